package cost

import (
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"
)

// WhatIf is the effect of one change on an environment's monthly bill,
// priced from the same plan (no re-plan).
type WhatIf struct {
	Env    string  `json:"environment"`
	Change string  `json:"change"`
	Delta  float64 `json:"delta_usd"`
	Total  float64 `json:"new_total_usd"`
}

// DefaultScheduleHours is what the environment module's default schedule
// (scale to zero at 20:00, back at 07:00, Monday to Friday) leaves running
// a month: 13 h × 5 days × 730/168.
func DefaultScheduleHours(hoursPerMonth float64) float64 {
	h, _ := monthlyHours([]scheduled{{"cron(0 20 ? * MON-FRI *)", false}, {"cron(0 7 ? * MON-FRI *)", true}}, hoursPerMonth)
	return h
}

// WhatIfs prices the changes docs/cost.md discusses against an
// environment's plan: the schedule turned on, one more on-demand task per
// service that has none, a NAT gateway instead of the NAT instance, and
// Container Insights off.
func WhatIfs(env string, plan *tfjson.Plan, p *Prices, a Assumptions) ([]WhatIf, error) {
	base, err := EstimatePlan(env, plan, p, a, Options{AlwaysOn: true})
	if err != nil {
		return nil, err
	}
	var out []WhatIf
	add := func(change string, o Options) error {
		o.AlwaysOn = true
		e, err := EstimatePlan(env, plan, p, a, o)
		if err != nil {
			return err
		}
		out = append(out, WhatIf{Env: env, Change: change, Delta: e.Total - base.Total, Total: e.Total})
		return nil
	}
	h := DefaultScheduleHours(p.HoursPerMonth)
	if err := add(fmt.Sprintf("schedule on (every service %s h: 07:00-20:00 on weekdays; database and cache stay on)", fmtN(h)), Options{ServiceHours: h}); err != nil {
		return nil, err
	}
	for _, l := range base.Lines {
		if l.Category != CatFargate {
			continue
		}
		if r := findService(plan, l.Address); r != nil {
			if b, spot := onDemandBase(r); b == 0 && spot {
				if err := add("on-demand base 1 for "+l.Name, Options{OnDemandBase: map[string]float64{l.Name: 1}}); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, l := range base.Lines {
		if l.Category == CatNAT && l.Address != "" {
			hour, err := p.Get(l.Address, base.Region, "nat_gateway.hour")
			if err != nil {
				return nil, err
			}
			gb, err := p.Get(l.Address, base.Region, "nat_gateway.gb")
			if err != nil {
				return nil, err
			}
			// A gateway keeps one public address (its Elastic IP) like the instance.
			delta := p.HoursPerMonth*hour + a.v(NATGatewayGBPerMonth)*gb - l.Monthly
			out = append(out, WhatIf{Env: env, Change: "NAT gateway instead of the NAT instance " + l.Name, Delta: delta, Total: base.Total + delta})
		}
		if l.Category == CatCache {
			if r := findService(plan, l.Address); r != nil && r.Type != "aws_elasticache_serverless_cache" {
				engine := str(r.Values, "engine")
				minGB := 1.0
				if engine == "valkey" {
					minGB = 0.1
				}
				gbh, err1 := p.Get(l.Address, base.Region, "elasticache_serverless."+engine+".gb_hour")
				ecpu, err2 := p.Get(l.Address, base.Region, "elasticache_serverless."+engine+".million_ecpu")
				if err1 == nil && err2 == nil {
					delta := minGB*p.HoursPerMonth*gbh + a.v(ServerlessCacheMECPU)*ecpu - l.Monthly
					out = append(out, WhatIf{Env: env, Change: fmt.Sprintf("ElastiCache Serverless %s (minimum %g GB) instead of the %s node", engine, minGB, str(r.Values, "node_type")), Delta: delta, Total: base.Total + delta})
				}
			}
		}
		if l.Category == CatMonitoring && len(l.Name) > len(" Container Insights") && l.Name[len(l.Name)-len(" Container Insights"):] == " Container Insights" {
			out = append(out, WhatIf{Env: env, Change: "Container Insights off", Delta: -l.Monthly, Total: base.Total - l.Monthly})
		}
	}
	return out, nil
}

func findService(plan *tfjson.Plan, addr string) *resource {
	ix, err := newIndex(plan)
	if err != nil {
		return nil
	}
	return ix.byAddr[addr]
}

// onDemandBase is the FARGATE base of a service's own strategy, and
// whether that strategy uses FARGATE_SPOT at all.
func onDemandBase(r *resource) (base float64, spot bool) {
	for _, b := range blocks(r.Values, "capacity_provider_strategy") {
		switch str(b, "capacity_provider") {
		case "FARGATE":
			base, _ = num(b, "base")
		case "FARGATE_SPOT":
			spot = true
		}
	}
	return base, spot
}
