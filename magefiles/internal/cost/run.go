package cost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Environments are the environment roots the estimate covers, in order.
var Environments = []string{"dev", "staging"}

// AssumptionsEnv names a file to use instead of the embedded assumptions.
const AssumptionsEnv = "COST_ASSUMPTIONS"

// LoadAssumptions reads the assumptions file at path ($COST_ASSUMPTIONS,
// read by the target), or the embedded file when path is "".
func LoadAssumptions(path string) (Assumptions, error) {
	if path == "" {
		return DefaultAssumptions()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", AssumptionsEnv, err)
	}
	a, err := ParseAssumptions(b)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", AssumptionsEnv, path, err)
	}
	return a, nil
}

// PlanEnvironments plans each environment root under terraformRoot/envs
// offline, through tfdriver (OpenTofu against the hashicorp/aws schema
// replica), one after the other.
func PlanEnvironments(ctx context.Context, terraformRoot string, envs []string, o tfdriver.CheckerOptions, logf sh.Logf) (map[string]*tfjson.Plan, error) {
	o.Mode = tfdriver.OfflineMode // the replica needs no AWS credentials
	c, err := tfdriver.NewCheckerWith(ctx, terraformRoot, o, logf)
	if err != nil {
		return nil, fmt.Errorf("cost: %w", err)
	}
	defer c.Close()
	plans := map[string]*tfjson.Plan{}
	for _, env := range envs {
		t := time.Now()
		res, err := c.Plan(ctx, env, nil)
		if err != nil {
			return nil, fmt.Errorf("cost: plan %s: %w", env, err)
		}
		logf("cost: planned %s in %s", env, time.Since(t).Round(100*time.Millisecond))
		plans[env] = res.Plan
	}
	return plans, nil
}

// Estimates prices the plans of the environments (in the order given), and
// dev's scale-down when dev is among them.
func Estimates(plans map[string]*tfjson.Plan, envs []string, p *Prices, a Assumptions, o Options) (*Report, error) {
	var ests []*Estimate
	var whatIfs []WhatIf
	for _, env := range envs {
		plan, ok := plans[env]
		if !ok {
			return nil, fmt.Errorf("cost: no plan of %s", env)
		}
		e, err := EstimatePlan(env, plan, p, a, o)
		if err != nil {
			return nil, err
		}
		ests = append(ests, e)
		w, err := WhatIfs(env, plan, p, a)
		if err != nil {
			return nil, err
		}
		whatIfs = append(whatIfs, w...)
	}
	r := NewReport(p, a, ests...)
	r.WhatIfs = whatIfs
	if plan, ok := plans["dev"]; ok {
		sd, err := CompareScaleDown("dev", plan, p, a, DevAsItWas())
		if err != nil {
			return nil, err
		}
		r.ScaleDown = sd
	}
	return r, nil
}

// CheckBudget fails when the report cannot vouch for the budget: an
// environment without a priced Fargate service (an empty or broken plan),
// a resource it could not price, or a total at or over the budget or
// within MinMargin of it.
func (r *Report) CheckBudget() error {
	var errs []error
	if len(r.Environments) == 0 {
		errs = append(errs, errors.New("no environment estimated"))
	}
	for _, e := range r.Environments {
		fargate := 0
		for _, l := range e.Lines {
			if l.Category == CatFargate && l.Monthly > 0 {
				fargate++
			}
		}
		if fargate == 0 {
			errs = append(errs, fmt.Errorf("%s: no priced Fargate service (empty plan?)", e.Env))
		}
		for _, u := range e.NotPriced {
			errs = append(errs, fmt.Errorf("%s: %s not priced: %s", e.Env, u.Address, u.Reason))
		}
	}
	if r.Total >= r.Budget {
		errs = append(errs, fmt.Errorf("both environments cost $%s/month: over the $%s budget by $%s", usd(r.Total), usd(r.Budget), usd(r.Total-r.Budget)))
	} else if r.Budget-r.Total < MinMargin {
		errs = append(errs, fmt.Errorf("both environments cost $%s/month: $%s under the $%s budget, less than the $%s that must stay unspent", usd(r.Total), usd(r.Budget-r.Total), usd(r.Budget), usd(MinMargin)))
	}
	return errors.Join(errs...)
}

// DevScaleDown plans terraform/envs/dev offline and compares dev as it was
// (DevAsItWas, on-demand x86) with dev as planned now — what `dev:scaleDown`
// prints (ScaleDown.String or .Markdown).
func DevScaleDown(ctx context.Context, terraformRoot string, logf sh.Logf) (*ScaleDown, error) {
	p, err := DefaultPrices()
	if err != nil {
		return nil, err
	}
	a, err := LoadAssumptions("")
	if err != nil {
		return nil, err
	}
	plans, err := PlanEnvironments(ctx, terraformRoot, []string{"dev"}, tfdriver.CheckerOptions{}, logf)
	if err != nil {
		return nil, err
	}
	return CompareScaleDown("dev", plans["dev"], p, a, DevAsItWas())
}
