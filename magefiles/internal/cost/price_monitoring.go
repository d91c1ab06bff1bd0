// Pricers of logs and monitoring: log groups, alarms, KMS keys, Container Insights, and the free
// tiers shown beside the total.

package cost

import (
	"fmt"
)

func (e *estimator) logGroup(r *resource, name string) error {
	v := r.Values
	ingest := e.a.v(LogIngestGBPerGroupMonth)
	retention, _ := num(v, "retention_in_days")
	months := retention / 30.4
	if retention == 0 {
		months = e.a.v(LogNeverExpireMonths)
	}
	ip, err := e.get(r, "logs.ingest_gb")
	if err != nil {
		return err
	}
	sp, err := e.get(r, "logs.storage_gb_month")
	if err != nil {
		return err
	}
	stored := ingest * months
	e.logGB += ingest
	e.add(CatLogs, r, name, fmt.Sprintf("%s GB/month ingested × $%g + %s GB stored (%g-day retention) × $%g", fmtN(ingest), ip, fmtN(stored), retention, sp), ingest*ip+stored*sp)
	return nil
}

func (e *estimator) metricAlarm(r *resource, name string) error {
	v := r.Values
	metrics := 0.0
	for _, q := range blocks(v, "metric_query") {
		if len(blocks(q, "metric")) > 0 {
			metrics++
		}
	}
	if metrics == 0 {
		metrics = 1
	}
	key := "cloudwatch.alarm_metric_month"
	if period, ok := num(v, "period"); ok && period > 0 && period < 60 {
		key = "cloudwatch.alarm_metric_month_high_resolution"
	}
	price, err := e.get(r, key)
	if err != nil {
		return err
	}
	e.alarms += metrics
	e.add(CatMonitoring, r, name, fmt.Sprintf("alarm on %s × $%g", plural(metrics, "metric"), price), metrics*price)
	return nil
}

func (e *estimator) kmsKey(r *resource, name string) error {
	price, err := e.get(r, "kms.key_month")
	if err != nil {
		return err
	}
	e.add(CatMonitoring, r, name, fmt.Sprintf("customer-managed KMS key $%g", price), price)
	return nil
}

func (e *estimator) cluster(r *resource, name string) error {
	mode := "disabled"
	for _, s := range blocks(r.Values, "setting") {
		if str(s, "name") == "containerInsights" {
			mode = str(s, "value")
		}
	}
	switch mode {
	case "disabled", "":
		e.est.Free++
		return nil
	case "enhanced":
		e.unpriced(r, "Container Insights with enhanced observability is priced per observation")
		return nil
	}
	var services float64
	all := e.ix.ofType("aws_ecs_service")
	for _, s := range all {
		if cl := e.ix.refTarget(s, "cluster", "aws_ecs_cluster"); cl == r || (cl == nil && len(e.ix.ofType("aws_ecs_cluster")) == 1) {
			services++
		}
	}
	metrics := e.a.v(InsightsMetricsPerCluster) + services*e.a.v(InsightsMetricsPerService)
	price, err := e.get(r, "cloudwatch.custom_metric_month")
	if err != nil {
		return err
	}
	e.custom += metrics
	e.add(CatMonitoring, r, name+" Container Insights", fmt.Sprintf("%s custom metrics (%g cluster + %s × %g, assumed) × $%g", fmtN(metrics), e.a.v(InsightsMetricsPerCluster), plural(services, "service"), e.a.v(InsightsMetricsPerService), price), metrics*price)
	return nil
}

func (e *estimator) freeTiers() {
	if e.logGB > 0 {
		ip, _ := e.p.Get("CloudWatch Logs free tier", e.region, "logs.ingest_gb")
		e.est.FreeTiers = append(e.est.FreeTiers, freeTier("CloudWatch Logs", "always-free 5 GB of ingestion a month per account", e.logGB, 5, ip))
	}
	if e.alarms > 0 {
		p, _ := e.p.Get("CloudWatch alarms free tier", e.region, "cloudwatch.alarm_metric_month")
		e.est.FreeTiers = append(e.est.FreeTiers, freeTier("CloudWatch alarms", "always-free 10 alarm metrics a month per account", e.alarms, 10, p))
	}
	if e.custom > 0 {
		p, _ := e.p.Get("CloudWatch metrics free tier", e.region, "cloudwatch.custom_metric_month")
		e.est.FreeTiers = append(e.est.FreeTiers, freeTier("CloudWatch metrics", "always-free 10 custom metrics a month per account", e.custom, 10, p))
	}
}
