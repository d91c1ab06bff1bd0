package cost

import (
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// DevAsItWas is dev's task count per service before the scale-down
// (docs/cost.md, "The scale-down of dev"): gateway 3, inventory 2, location 2, the others 1.
func DevAsItWas() map[string]float64 {
	return map[string]float64{"gateway": 3, "inventory": 2, "location": 2, "user": 1, "reporting": 1, "ui": 1}
}

// ScaleDown compares an environment as it was (the old task counts, every
// task on on-demand x86 Fargate — the obvious design before Spot and
// capacity-provider strategies) with the environment as planned now.
type ScaleDown struct {
	Env           string             `json:"environment"`
	Before        map[string]float64 `json:"tasks_before"`
	FargateBefore float64            `json:"fargate_before_usd"`
	FargateNow    float64            `json:"fargate_now_usd"`
	TotalBefore   float64            `json:"total_before_usd"`
	TotalNow      float64            `json:"total_now_usd"`
	// FargateSaved and TotalSaved are the reductions in percent.
	FargateSaved float64 `json:"fargate_saved_pct"`
	TotalSaved   float64 `json:"total_saved_pct"`
}

// CompareScaleDown re-prices plan with the before counts on on-demand x86
// and prices it as it is (always on), both with the same prices and
// assumptions, so only the services differ.
func CompareScaleDown(env string, plan *tfjson.Plan, p *Prices, a Assumptions, before map[string]float64) (*ScaleDown, error) {
	was, err := EstimatePlan(env, plan, p, a, Options{AlwaysOn: true, DesiredCounts: before, OnDemandX86: true})
	if err != nil {
		return nil, fmt.Errorf("scale-down, %s as it was: %w", env, err)
	}
	now, err := EstimatePlan(env, plan, p, a, Options{AlwaysOn: true})
	if err != nil {
		return nil, err
	}
	if was.Fargate <= 0 || was.Total <= 0 {
		return nil, fmt.Errorf("scale-down: %s as it was has no Fargate cost: is the plan empty?", env)
	}
	return &ScaleDown{
		Env: env, Before: before,
		FargateBefore: was.Fargate, FargateNow: now.Fargate,
		TotalBefore: was.Total, TotalNow: now.Total,
		FargateSaved: 100 * (was.Fargate - now.Fargate) / was.Fargate,
		TotalSaved:   100 * (was.Total - now.Total) / was.Total,
	}, nil
}

func (s *ScaleDown) counts() string {
	names := make([]string, 0, len(s.Before))
	for n := range s.Before {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %s", n, fmtN(s.Before[n]))
	}
	return strings.Join(parts, ", ")
}

// String is the scale-down as text (what dev:scaleDown prints).
func (s *ScaleDown) String() string {
	return fmt.Sprintf("scale-down of %s (as it was: %s; on-demand x86)\n"+
		"  Fargate: $%s -> $%s/month (-%.1f%%)\n"+
		"  whole environment: $%s -> $%s/month (-%.1f%%)\n",
		s.Env, s.counts(), usd(s.FargateBefore), usd(s.FargateNow), s.FargateSaved,
		usd(s.TotalBefore), usd(s.TotalNow), s.TotalSaved)
}

// Markdown is the scale-down as a Markdown table.
func (s *ScaleDown) Markdown() string {
	return fmt.Sprintf("As it was: %s tasks, all on-demand x86. Now: the plan as committed.\n\n"+
		"| | as it was | now | saved |\n|---|--:|--:|--:|\n"+
		"| Fargate | $%s | $%s | %.1f%% |\n| whole %s | $%s | $%s | %.1f%% |\n",
		s.counts(), usd(s.FargateBefore), usd(s.FargateNow), s.FargateSaved,
		s.Env, usd(s.TotalBefore), usd(s.TotalNow), s.TotalSaved)
}
