// Package cost estimates the monthly AWS bill of an environment from its
// Terraform plan (planned values plus configuration references, read the
// way infracost reads them), with the prices of prices.json and the usage
// figures of assumptions.json. Unlike infracost it prices Fargate Spot and
// ARM64, capacity-provider strategies with a base, in-use public IPv4
// addresses, scheduled scale-to-zero hours, Valkey against Redis nodes and
// serverless cache minimums, and it lists every resource type it does not
// know as "not priced" instead of dropping it.
package cost

import (
	"fmt"
	"math"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Categories, in the order the tables list them.
const (
	CatFargate    = "Fargate"
	CatIPv4       = "Public IPv4"
	CatLB         = "Load balancer"
	CatNAT        = "NAT"
	CatEndpoint   = "VPC endpoint"
	CatDatabase   = "Database"
	CatCache      = "Cache"
	CatLogs       = "Logs"
	CatMonitoring = "Monitoring"
	CatSecrets    = "Secrets"
	CatRegistry   = "Registry"
	CatDiscovery  = "Service discovery"
	CatCDN        = "CloudFront"
	CatCompute    = "EC2"
)

var categoryOrder = []string{CatFargate, CatIPv4, CatLB, CatNAT, CatEndpoint, CatDatabase, CatCache, CatLogs, CatMonitoring, CatSecrets, CatRegistry, CatDiscovery, CatCDN, CatCompute}

// Line is one priced line of an environment.
type Line struct {
	Category string  `json:"category"`
	Name     string  `json:"name"`
	Address  string  `json:"address"`
	Detail   string  `json:"detail"`
	Monthly  float64 `json:"monthly_usd"`
}

// FreeTier is a free allowance that would lower the bill. It is shown, never
// subtracted: the budget must hold without it (free tiers are per account
// and shared by both environments).
type FreeTier struct {
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Worth  float64 `json:"worth_usd"`
}

// Unpriced is a resource the estimator cannot price.
type Unpriced struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Reason  string `json:"reason"`
}

// Estimate is one environment's monthly estimate.
type Estimate struct {
	Env       string             `json:"environment"`
	Region    string             `json:"region"`
	Lines     []Line             `json:"lines"`
	FreeTiers []FreeTier         `json:"free_tiers_not_counted"`
	NotPriced []Unpriced         `json:"not_priced"`
	Free      int                `json:"free_resources"`
	Scheduled map[string]float64 `json:"scheduled_hours,omitempty"`
	Fargate   float64            `json:"fargate_usd"`
	Total     float64            `json:"total_usd"`
}

// Options change how a plan is priced.
type Options struct {
	// AlwaysOn ignores scheduled scale-to-zero: every service runs 730 h.
	AlwaysOn bool
	// DesiredCounts overrides services' desired counts, by service name.
	DesiredCounts map[string]float64
	// OnDemandX86 prices every task on on-demand FARGATE, X86_64 — the
	// obvious design before Spot and capacity-provider strategies.
	OnDemandX86 bool
	// OnDemandBase overrides services' on-demand base, by service name:
	// that many tasks on FARGATE, the rest on FARGATE_SPOT.
	OnDemandBase map[string]float64
	// ServiceHours, when positive, is the hours a month of every service
	// (a what-if of a schedule the plan does not have).
	ServiceHours float64
}

// knownFree are resource types that cost nothing by themselves (or are
// priced through another resource, said why).
var knownFree = map[string]string{
	"aws_iam_role":                            "IAM",
	"aws_iam_policy":                          "IAM",
	"aws_iam_role_policy":                     "IAM",
	"aws_iam_role_policy_attachment":          "IAM",
	"aws_iam_openid_connect_provider":         "IAM",
	"aws_iam_instance_profile":                "IAM",
	"aws_vpc":                                 "VPC",
	"aws_subnet":                              "VPC",
	"aws_route_table":                         "VPC",
	"aws_route":                               "VPC",
	"aws_route_table_association":             "VPC",
	"aws_default_route_table":                 "VPC",
	"aws_internet_gateway":                    "VPC",
	"aws_egress_only_internet_gateway":        "VPC",
	"aws_network_acl":                         "VPC",
	"aws_default_network_acl":                 "VPC",
	"aws_security_group":                      "security group",
	"aws_default_security_group":              "security group",
	"aws_security_group_rule":                 "security group",
	"aws_vpc_security_group_ingress_rule":     "security group",
	"aws_vpc_security_group_egress_rule":      "security group",
	"aws_db_subnet_group":                     "configuration",
	"aws_db_parameter_group":                  "configuration",
	"aws_elasticache_subnet_group":            "configuration",
	"aws_elasticache_parameter_group":         "configuration",
	"aws_ecs_cluster_capacity_providers":      "configuration",
	"aws_ecs_task_definition":                 "priced through the services that run it; one-off tasks (migrate, seed) run minutes a month",
	"aws_lb_target_group":                     "priced with the load balancer",
	"aws_lb_listener":                         "priced with the load balancer",
	"aws_lb_listener_rule":                    "priced with the load balancer",
	"aws_ecr_lifecycle_policy":                "configuration",
	"aws_ecr_repository_policy":               "configuration",
	"aws_secretsmanager_secret_version":       "priced with its secret",
	"aws_secretsmanager_secret_policy":        "configuration",
	"aws_cloudfront_vpc_origin":               "VPC origins cost nothing extra",
	"aws_cloudfront_origin_access_control":    "configuration",
	"aws_cloudfront_cache_policy":             "configuration",
	"aws_cloudfront_origin_request_policy":    "configuration",
	"aws_sns_topic":                           "first million publishes a month are free",
	"aws_sns_topic_policy":                    "configuration",
	"aws_sns_topic_subscription":              "first 1,000 e-mail notifications a month are free",
	"aws_cloudwatch_event_rule":               "EventBridge: events published by AWS services (ECS state changes) are free",
	"aws_cloudwatch_event_target":             "EventBridge: delivering AWS service events to a target is free",
	"aws_kms_alias":                           "priced with its key",
	"aws_ssm_parameter":                       "standard SSM parameters are free (Intelligent-Tiering turns one advanced, $0.05/month, only above 4 KB)",
	"aws_appautoscaling_target":               "configuration",
	"aws_appautoscaling_scheduled_action":     "configuration (its hours are priced on the service)",
	"aws_appautoscaling_policy":               "configuration",
	"aws_service_discovery_http_namespace":    "HTTP namespaces are free",
	"aws_acm_certificate":                     "public certificates are free",
	"aws_acm_certificate_validation":          "no resource",
	"aws_cloudwatch_log_resource_policy":      "configuration",
	"aws_ecs_account_setting_default":         "configuration",
	"aws_ecr_registry_scanning_configuration": "basic scanning is free",
}

type estimator struct {
	ix     *index
	p      *Prices
	a      Assumptions
	o      Options
	region string
	hours  float64
	est    *Estimate
	tasks  map[string]float64 // module instance -> running tasks of its ECS service
	logGB  float64
	alarms float64
	custom float64
}

// EstimatePlan prices one environment's plan.
func EstimatePlan(env string, plan *tfjson.Plan, p *Prices, a Assumptions, o Options) (*Estimate, error) {
	ix, err := newIndex(plan)
	if err != nil {
		return nil, fmt.Errorf("cost %s: %w", env, err)
	}
	region := ix.region()
	if region == "" {
		return nil, fmt.Errorf("cost %s: cannot tell the plan's region (no aws provider region, no region variable)", env)
	}
	e := &estimator{ix: ix, p: p, a: a, o: o, region: region, hours: p.HoursPerMonth,
		est: &Estimate{Env: env, Region: region, Lines: []Line{}, FreeTiers: []FreeTier{}, NotPriced: []Unpriced{}}, tasks: map[string]float64{}}
	for name := range o.DesiredCounts {
		found := false
		for _, r := range ix.ofType("aws_ecs_service") {
			if serviceName(r) == name {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("cost %s: no ECS service %q in the plan to re-count", env, name)
		}
	}
	// Services first: Cloud Map and Container Insights depend on them.
	sched := e.schedules()
	for _, r := range ix.ofType("aws_ecs_service") {
		if err := e.ecsService(r, sched); err != nil {
			return nil, fmt.Errorf("cost %s: %w", env, err)
		}
	}
	for _, r := range ix.resources {
		if r.Type == "aws_ecs_service" {
			continue
		}
		if err := e.price(r); err != nil {
			return nil, fmt.Errorf("cost %s: %w", env, err)
		}
	}
	e.freeTiers()
	sort.SliceStable(e.est.Lines, func(i, j int) bool {
		a, b := e.est.Lines[i], e.est.Lines[j]
		if ca, cb := catRank(a.Category), catRank(b.Category); ca != cb {
			return ca < cb
		}
		return a.Address < b.Address
	})
	for _, l := range e.est.Lines {
		e.est.Total += l.Monthly
		if l.Category == CatFargate {
			e.est.Fargate += l.Monthly
		}
	}
	return e.est, nil
}

func catRank(c string) int {
	for i, x := range categoryOrder {
		if x == c {
			return i
		}
	}
	return len(categoryOrder)
}

func (e *estimator) add(cat string, r *resource, name, detail string, usd float64) {
	e.est.Lines = append(e.est.Lines, Line{Category: cat, Name: name, Address: r.Address, Detail: detail, Monthly: usd})
}

func (e *estimator) unpriced(r *resource, why string) {
	e.est.NotPriced = append(e.est.NotPriced, Unpriced{Address: r.Address, Type: r.Type, Reason: why})
}

func (e *estimator) get(r *resource, key string) (float64, error) {
	return e.p.Get(r.Address, e.region, key)
}

func (e *estimator) global(r *resource, key string) (float64, error) {
	return e.p.Get(r.Address, GlobalRegion, key)
}

func (e *estimator) ipv4(r *resource, name string, addresses, hours float64, why string) error {
	price, err := e.get(r, "public_ipv4.hour")
	if err != nil {
		return err
	}
	e.add(CatIPv4, r, name, fmt.Sprintf("%s: %s × %s h × $%g", why, fmtN(addresses), fmtN(hours), price), addresses*hours*price)
	return nil
}

func serviceName(r *resource) string {
	if s := str(r.Values, "name"); s != "" {
		return s
	}
	return r.Name
}

func shortName(r *resource) string {
	for _, k := range []string{"name", "family", "identifier", "replication_group_id", "cluster_id"} {
		if s := str(r.Values, k); s != "" {
			return s
		}
	}
	if r.Index != nil {
		return fmt.Sprintf("%s[%v]", r.Name, r.Index)
	}
	return r.Name
}

func (e *estimator) ecsService(r *resource, sched map[string]float64) error {
	name := serviceName(r)
	td := e.ix.refTarget(r, "task_definition", "aws_ecs_task_definition")
	if td == nil {
		var same []*resource
		for _, x := range e.ix.ofType("aws_ecs_task_definition") {
			if x.Module == r.Module {
				same = append(same, x)
			}
		}
		if len(same) == 1 {
			td = same[0]
		}
	}
	if td == nil {
		e.unpriced(r, "its task definition is not in the plan")
		return nil
	}
	cpu, ok1 := num(td.Values, "cpu")
	mem, ok2 := num(td.Values, "memory")
	if !ok1 || !ok2 || cpu <= 0 || mem <= 0 {
		e.unpriced(r, "its task definition's task-level cpu/memory are not known at plan time")
		return nil
	}
	task := Task{CPUUnits: cpu, MemoryMiB: mem, Arch: "X86_64", OS: "LINUX"}
	if rp := blocks(td.Values, "runtime_platform"); len(rp) > 0 {
		if s := str(rp[0], "cpu_architecture"); s != "" {
			task.Arch = s
		}
		if s := str(rp[0], "operating_system_family"); s != "" {
			task.OS = s
		}
	}
	desired, _ := num(r.Values, "desired_count")
	if n, ok := e.o.DesiredCounts[name]; ok {
		desired = n
	}
	strategy, launch, err := e.strategy(r)
	if err != nil {
		return err
	}
	if launch == "EC2" || launch == "EXTERNAL" {
		e.unpriced(r, "launch type "+launch+" (the EC2 capacity is priced by its instances)")
		return nil
	}
	if b, ok := e.o.OnDemandBase[name]; ok {
		strategy = []Strategy{{Provider: "FARGATE", Base: b}, {Provider: "FARGATE_SPOT", Weight: 1}}
	}
	if e.o.OnDemandX86 {
		strategy = []Strategy{{Provider: "FARGATE", Weight: 1}}
		task.Arch = "X86_64"
	}
	hours := e.hours
	schedNote := ""
	if h, ok := sched[name]; ok && !e.o.AlwaysOn {
		hours = h
		schedNote = " (scheduled scale-to-zero)"
		if e.est.Scheduled == nil {
			e.est.Scheduled = map[string]float64{}
		}
		e.est.Scheduled[name] = h
	}
	if e.o.ServiceHours > 0 {
		hours = e.o.ServiceHours
		schedNote = " (what-if schedule)"
	}
	split, err := Split(desired, strategy)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Address, err)
	}
	var total float64
	var parts []string
	for _, prov := range []string{"FARGATE", "FARGATE_SPOT"} {
		n := split[prov]
		if n == 0 {
			continue
		}
		usd, err := TaskMonthly(e.p, r.Address, e.region, prov, task, n, hours)
		if err != nil {
			return err
		}
		total += usd
		label := "on-demand"
		if prov == "FARGATE_SPOT" {
			label = "Spot"
		}
		parts = append(parts, fmt.Sprintf("%s %s $%.2f", fmtN(n), label, usd))
	}
	for prov := range split {
		if prov != "FARGATE" && prov != "FARGATE_SPOT" {
			e.unpriced(r, "capacity provider "+prov+" (not Fargate)")
			return nil
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no tasks")
	}
	detail := fmt.Sprintf("%s × %g vCPU/%g GB %s × %s h%s: %s", plural(desired, "task"), task.vCPU(), task.gb(), task.Arch, fmtN(hours), schedNote, strings.Join(parts, " + "))
	e.add(CatFargate, r, name, detail, total)
	e.tasks[r.Module] += desired
	for _, nc := range blocks(r.Values, "network_configuration") {
		if boolean(nc, "assign_public_ip") && desired > 0 {
			if err := e.ipv4(r, name, desired, hours, "tasks with assign_public_ip"); err != nil {
				return err
			}
		}
	}
	return nil
}

// strategy is a service's capacity-provider strategy: its own, its launch
// type, or its cluster's default.
func (e *estimator) strategy(r *resource) ([]Strategy, string, error) {
	toStrategy := func(bs []map[string]any) []Strategy {
		var out []Strategy
		for _, b := range bs {
			base, _ := num(b, "base")
			w, _ := num(b, "weight")
			out = append(out, Strategy{Provider: str(b, "capacity_provider"), Base: base, Weight: w})
		}
		return out
	}
	if s := toStrategy(blocks(r.Values, "capacity_provider_strategy")); len(s) > 0 {
		return s, "", nil
	}
	switch lt := str(r.Values, "launch_type"); lt {
	case "FARGATE":
		return []Strategy{{Provider: "FARGATE", Weight: 1}}, lt, nil
	case "EC2", "EXTERNAL":
		return nil, lt, nil
	}
	cps := e.ix.ofType("aws_ecs_cluster_capacity_providers")
	var chosen *resource
	if cl := e.ix.refTarget(r, "cluster", "aws_ecs_cluster"); cl != nil {
		for _, cp := range cps {
			if e.ix.refTarget(cp, "cluster_name", "aws_ecs_cluster") == cl {
				chosen = cp
			}
		}
	}
	if chosen == nil && len(cps) == 1 {
		chosen = cps[0]
	}
	if chosen != nil {
		if s := toStrategy(blocks(chosen.Values, "default_capacity_provider_strategy")); len(s) > 0 {
			return s, "", nil
		}
	}
	// No strategy anywhere: ECS uses the EC2 launch type.
	return nil, "EC2", nil
}

func (e *estimator) price(r *resource) error {
	v := r.Values
	name := shortName(r)
	switch r.Type {
	case "aws_db_instance":
		return e.rds(r, name)
	case "aws_elasticache_replication_group", "aws_elasticache_cluster":
		return e.cacheNodes(r, name)
	case "aws_elasticache_serverless_cache":
		return e.serverlessCache(r, name)
	case "aws_lb", "aws_alb":
		return e.loadBalancer(r, name)
	case "aws_nat_gateway":
		hour, err := e.get(r, "nat_gateway.hour")
		if err != nil {
			return err
		}
		gbPrice, err := e.get(r, "nat_gateway.gb")
		if err != nil {
			return err
		}
		gb := e.a.v(NATGatewayGBPerMonth)
		e.add(CatNAT, r, name, fmt.Sprintf("NAT gateway %s h × $%g + %s GB (assumed) × $%g", fmtN(e.hours), hour, fmtN(gb), gbPrice), e.hours*hour+gb*gbPrice)
		if str(v, "connectivity_type") != "private" && e.ix.refTarget(r, "allocation_id", "aws_eip") == nil {
			return e.ipv4(r, name, 1, e.hours, "NAT gateway address")
		}
		return nil
	case "aws_eip":
		return e.ipv4(r, name, 1, e.hours, "Elastic IP (charged in use or idle)")
	case "aws_instance":
		return e.instance(r, name)
	case "aws_ebs_volume":
		size, _ := num(v, "size")
		t := str(v, "type")
		if t == "" {
			t = "gp3"
		}
		price, err := e.get(r, "ebs."+t+".gb_month")
		if err != nil {
			return err
		}
		e.add(CatCompute, r, name, fmt.Sprintf("EBS %s %s GB × $%g", t, fmtN(size), price), size*price)
		return nil
	case "aws_vpc_endpoint":
		t := str(v, "vpc_endpoint_type")
		if t == "" || t == "Gateway" {
			e.est.Free++
			return nil
		}
		if t != "Interface" {
			e.unpriced(r, "VPC endpoint type "+t)
			return nil
		}
		azs := float64(r.listLen("subnet_ids"))
		if azs == 0 {
			e.unpriced(r, "interface endpoint without known subnets")
			return nil
		}
		hour, err := e.get(r, "vpc_endpoint.interface.az_hour")
		if err != nil {
			return err
		}
		gbPrice, err := e.get(r, "vpc_endpoint.interface.gb")
		if err != nil {
			return err
		}
		gb := e.a.v(VPCEndpointGBPerMonth)
		svc := str(v, "service_name")
		e.add(CatEndpoint, r, svc, fmt.Sprintf("interface endpoint in %s AZ × %s h × $%g + %s GB × $%g", fmtN(azs), fmtN(e.hours), hour, fmtN(gb), gbPrice), azs*e.hours*hour+gb*gbPrice)
		return nil
	case "aws_cloudwatch_log_group":
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
	case "aws_ecs_cluster":
		return e.cluster(r, name)
	case "aws_cloudwatch_metric_alarm":
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
	case "aws_kms_key":
		price, err := e.get(r, "kms.key_month")
		if err != nil {
			return err
		}
		e.add(CatMonitoring, r, name, fmt.Sprintf("customer-managed KMS key $%g", price), price)
		return nil
	case "aws_secretsmanager_secret":
		return e.secret(r, name, "secret")
	case "aws_ecr_repository":
		gb := e.a.v(ECRGBPerRepository)
		price, err := e.get(r, "ecr.storage_gb_month")
		if err != nil {
			return err
		}
		e.add(CatRegistry, r, name, fmt.Sprintf("%s GB images (assumed) × $%g", fmtN(gb), price), gb*price)
		return nil
	case "aws_service_discovery_private_dns_namespace", "aws_service_discovery_public_dns_namespace":
		price, err := e.global(r, "route53.hosted_zone_month")
		if err != nil {
			return err
		}
		e.add(CatDiscovery, r, name, fmt.Sprintf("Route 53 hosted zone $%g", price), price)
		return nil
	case "aws_service_discovery_service":
		n := e.tasks[r.Module]
		price, err := e.get(r, "cloudmap.instance_month")
		if err != nil {
			return err
		}
		e.add(CatDiscovery, r, name, fmt.Sprintf("%s registered × $%g", plural(n, "instance"), price), n*price)
		return nil
	case "aws_cloudfront_distribution":
		gb := e.a.v(CloudFrontGBOutPerMonth)
		req := e.a.v(CloudFrontRequestsPerMon)
		gp, err := e.global(r, "cloudfront.gb_out_north_america")
		if err != nil {
			return err
		}
		rp, err := e.global(r, "cloudfront.10k_https_requests")
		if err != nil {
			return err
		}
		usd := gb*gp + req/10000*rp
		e.add(CatCDN, r, "distribution", fmt.Sprintf("%s GB out × $%g + %s requests × $%g/10k (list price)", fmtN(gb), gp, fmtN(req), rp), usd)
		e.est.FreeTiers = append(e.est.FreeTiers, FreeTier{Name: "CloudFront", Detail: "always-free tier: 1 TB out and 10M requests a month per account cover the assumed usage", Worth: usd})
		return nil
	}
	if _, ok := knownFree[r.Type]; ok {
		e.est.Free++
		return nil
	}
	e.unpriced(r, "resource type unknown to the estimator")
	return nil
}

func (e *estimator) secret(r *resource, name, what string) error {
	price, err := e.get(r, "secretsmanager.secret_month")
	if err != nil {
		return err
	}
	callPrice, err := e.get(r, "secretsmanager.10k_api_calls")
	if err != nil {
		return err
	}
	calls := e.a.v(SecretsAPICallsPerSecret)
	e.add(CatSecrets, r, name, fmt.Sprintf("%s $%g + %s calls × $%g/10k", what, price, fmtN(calls), callPrice), price+calls/10000*callPrice)
	return nil
}

func (e *estimator) rds(r *resource, name string) error {
	v := r.Values
	class := str(v, "instance_class")
	engine := str(v, "engine")
	if class == "" || engine == "" {
		e.unpriced(r, "instance class or engine unknown at plan time")
		return nil
	}
	hour, err := e.get(r, "rds."+engine+"."+class+".hour")
	if err != nil {
		return err
	}
	azs := 1.0
	if boolean(v, "multi_az") {
		azs = 2
	}
	storage, _ := num(v, "allocated_storage")
	stype := str(v, "storage_type")
	if stype == "" {
		stype = "gp2"
	}
	sp, err := e.get(r, "rds.storage."+stype+".gb_month")
	if err != nil {
		return err
	}
	az := "single-AZ"
	if azs == 2 {
		az = "multi-AZ"
	}
	e.add(CatDatabase, r, name, fmt.Sprintf("%s %s %s × %s h × $%g", engine, class, az, fmtN(e.hours), hour), azs*e.hours*hour)
	e.add(CatDatabase, r, name+" storage", fmt.Sprintf("%s %s GB × $%g (backups up to the storage size are free)", stype, fmtN(storage*azs), sp), storage*azs*sp)
	if boolean(v, "manage_master_user_password") {
		return e.secret(r, name+" master password", "RDS-managed master secret")
	}
	return nil
}

func (e *estimator) cacheNodes(r *resource, name string) error {
	v := r.Values
	engine := str(v, "engine")
	if engine == "" {
		engine = "redis"
	}
	node := str(v, "node_type")
	if node == "" {
		e.unpriced(r, "node type unknown at plan time")
		return nil
	}
	nodes := 1.0
	if r.Type == "aws_elasticache_cluster" {
		if n, ok := num(v, "num_cache_nodes"); ok && n > 0 {
			nodes = n
		}
	} else if n, ok := num(v, "num_cache_clusters"); ok && n > 0 {
		nodes = n
	} else if g, ok := num(v, "num_node_groups"); ok && g > 0 {
		rep, _ := num(v, "replicas_per_node_group")
		nodes = g * (rep + 1)
	}
	hour, err := e.get(r, "elasticache."+engine+"."+node+".hour")
	if err != nil {
		return err
	}
	e.add(CatCache, r, name, fmt.Sprintf("%s %s × %s × %s h × $%g", engine, node, plural(nodes, "node"), fmtN(e.hours), hour), nodes*e.hours*hour)
	return nil
}

func (e *estimator) serverlessCache(r *resource, name string) error {
	engine := str(r.Values, "engine")
	minGB := 1.0 // Redis OSS and Memcached are metered at 1 GB at least
	if engine == "valkey" {
		minGB = 0.1 // Valkey: 100 MB
	}
	for _, lim := range blocks(r.Values, "cache_usage_limits") {
		for _, ds := range blocks(lim, "data_storage") {
			if m, ok := num(ds, "minimum"); ok && m > minGB {
				minGB = m
			}
		}
	}
	gbh, err := e.get(r, "elasticache_serverless."+engine+".gb_hour")
	if err != nil {
		return err
	}
	ecpu, err := e.get(r, "elasticache_serverless."+engine+".million_ecpu")
	if err != nil {
		return err
	}
	m := e.a.v(ServerlessCacheMECPU)
	e.add(CatCache, r, name, fmt.Sprintf("serverless %s minimum %g GB × %s h × $%g + %sM ECPU × $%g", engine, minGB, fmtN(e.hours), gbh, fmtN(m), ecpu), minGB*e.hours*gbh+m*ecpu)
	return nil
}

func (e *estimator) loadBalancer(r *resource, name string) error {
	v := r.Values
	t := str(v, "load_balancer_type")
	if t == "" {
		t = "application"
	}
	var hourKey, lcuKey, kind string
	switch t {
	case "application":
		hourKey, lcuKey, kind = "alb.hour", "alb.lcu_hour", "ALB"
	case "network":
		hourKey, lcuKey, kind = "nlb.hour", "nlb.nlcu_hour", "NLB"
	default:
		e.unpriced(r, "load balancer type "+t)
		return nil
	}
	hour, err := e.get(r, hourKey)
	if err != nil {
		return err
	}
	lcuPrice, err := e.get(r, lcuKey)
	if err != nil {
		return err
	}
	lcu := e.a.v(ALBLCUPerHour)
	scheme := "internal"
	if !boolean(v, "internal") {
		scheme = "internet-facing"
	}
	e.add(CatLB, r, name, fmt.Sprintf("%s %s %s h × $%g + %g LCU (assumed) × %s h × $%g", scheme, kind, fmtN(e.hours), hour, lcu, fmtN(e.hours), lcuPrice), e.hours*hour+lcu*e.hours*lcuPrice)
	if scheme == "internet-facing" {
		azs := float64(max(r.listLen("subnets"), len(blocks(v, "subnet_mapping"))))
		why := "internet-facing load balancer, one address per AZ"
		if azs == 0 {
			azs = 2
			why += " (AZ count unknown at plan time: 2 assumed, the minimum for an ALB)"
		}
		return e.ipv4(r, name, azs, e.hours, why)
	}
	return nil
}

func (e *estimator) instance(r *resource, name string) error {
	v := r.Values
	it := str(v, "instance_type")
	if it == "" {
		e.unpriced(r, "instance type unknown at plan time")
		return nil
	}
	hour, err := e.get(r, "ec2."+it+".hour")
	if err != nil {
		return err
	}
	cat, what := CatCompute, "instance"
	if b, ok := v["source_dest_check"].(bool); ok && !b {
		cat, what = CatNAT, "NAT instance"
	}
	usd := e.hours * hour
	detail := fmt.Sprintf("%s %s × %s h × $%g", what, it, fmtN(e.hours), hour)
	size, vt := 8.0, "gp3" // the usual AMI root volume when the plan does not say
	if rb := blocks(v, "root_block_device"); len(rb) > 0 {
		if s, ok := num(rb[0], "volume_size"); ok && s > 0 {
			size = s
		}
		if s := str(rb[0], "volume_type"); s != "" {
			vt = s
		}
	}
	vols := []struct {
		size float64
		typ  string
	}{{size, vt}}
	for _, b := range blocks(v, "ebs_block_device") {
		s, _ := num(b, "volume_size")
		t := str(b, "volume_type")
		if t == "" {
			t = "gp3"
		}
		vols = append(vols, struct {
			size float64
			typ  string
		}{s, t})
	}
	for _, vol := range vols {
		p, err := e.get(r, "ebs."+vol.typ+".gb_month")
		if err != nil {
			return err
		}
		usd += vol.size * p
		detail += fmt.Sprintf(" + EBS %s %s GB × $%g", vol.typ, fmtN(vol.size), p)
	}
	if cat == CatNAT {
		detail += "; no per-GB processing charge"
	}
	e.add(cat, r, name, detail, usd)
	if boolean(v, "associate_public_ip_address") {
		return e.ipv4(r, name, 1, e.hours, what+" public address")
	}
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
		gb := math.Min(5, e.logGB)
		e.est.FreeTiers = append(e.est.FreeTiers, FreeTier{Name: "CloudWatch Logs", Detail: "always-free 5 GB of ingestion a month per account", Worth: gb * ip})
	}
	if e.alarms > 0 {
		p, _ := e.p.Get("CloudWatch alarms free tier", e.region, "cloudwatch.alarm_metric_month")
		n := math.Min(10, e.alarms)
		e.est.FreeTiers = append(e.est.FreeTiers, FreeTier{Name: "CloudWatch alarms", Detail: "always-free 10 alarm metrics a month per account", Worth: n * p})
	}
	if e.custom > 0 {
		p, _ := e.p.Get("CloudWatch metrics free tier", e.region, "cloudwatch.custom_metric_month")
		n := math.Min(10, e.custom)
		e.est.FreeTiers = append(e.est.FreeTiers, FreeTier{Name: "CloudWatch metrics", Detail: "always-free 10 custom metrics a month per account", Worth: n * p})
	}
}

func fmtN(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

func plural(n float64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmtN(n) + " " + word + "s"
}
