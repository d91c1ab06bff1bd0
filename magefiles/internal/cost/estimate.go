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

// FreeTier is an always-free allowance (not the 12-month trial) that
// lowers the bill. An environment's estimate shows what it would be worth
// to that environment alone and never subtracts it: an account (or an
// organization under consolidated billing) has one allowance, shared by
// every environment in it. The report subtracts it once for both
// environments (Report.FreeCredits), the least any account layout gets.
type FreeTier struct {
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Worth  float64 `json:"worth_usd"`
	// Used is the environment's use of the allowance (in the unit of
	// UnitPrice), Allowance the free quantity a month.
	Used      float64 `json:"used"`
	Allowance float64 `json:"allowance"`
	UnitPrice float64 `json:"unit_price_usd"`
}

// freeTier builds an allowance worth min(used, allowance) × unit price.
func freeTier(name, detail string, used, allowance, unit float64) FreeTier {
	return FreeTier{Name: name, Detail: detail, Used: used, Allowance: allowance, UnitPrice: unit, Worth: math.Min(used, allowance) * unit}
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

// pricer prices one resource of its family; name is the resource's short name.
type pricer func(e *estimator, r *resource, name string) error

// pricers maps each priced resource type to its family's pricer (price_*.go).
var pricers = map[string]pricer{
	"aws_ecs_cluster":             (*estimator).cluster,
	"aws_instance":                (*estimator).instance,
	"aws_ebs_volume":              (*estimator).ebsVolume,
	"aws_lb":                      (*estimator).loadBalancer,
	"aws_alb":                     (*estimator).loadBalancer,
	"aws_nat_gateway":             (*estimator).natGateway,
	"aws_eip":                     (*estimator).elasticIP,
	"aws_vpc_endpoint":            (*estimator).vpcEndpoint,
	"aws_cloudfront_distribution": (*estimator).cloudFront,
	"aws_service_discovery_private_dns_namespace": (*estimator).dnsNamespace,
	"aws_service_discovery_public_dns_namespace":  (*estimator).dnsNamespace,
	"aws_service_discovery_service":               (*estimator).discoveryService,
	"aws_db_instance":                             (*estimator).rds,
	"aws_elasticache_replication_group":           (*estimator).cacheNodes,
	"aws_elasticache_cluster":                     (*estimator).cacheNodes,
	"aws_elasticache_serverless_cache":            (*estimator).serverlessCache,
	"aws_secretsmanager_secret":                   (*estimator).secretResource,
	"aws_ecr_repository":                          (*estimator).ecrRepository,
	"aws_cloudwatch_log_group":                    (*estimator).logGroup,
	"aws_cloudwatch_metric_alarm":                 (*estimator).metricAlarm,
	"aws_kms_key":                                 (*estimator).kmsKey,
}

func (e *estimator) price(r *resource) error {
	if p, ok := pricers[r.Type]; ok {
		return p(e, r, shortName(r))
	}
	if _, ok := knownFree[r.Type]; ok {
		e.est.Free++
		return nil
	}
	e.unpriced(r, "resource type unknown to the estimator")
	return nil
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
