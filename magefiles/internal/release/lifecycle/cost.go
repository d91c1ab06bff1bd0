package lifecycle

import (
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/cost"
)

// PlanCost is the Coster of the cost package: the plan's prior state
// priced as it is, and its planned values. An empty side (a new
// environment before, a destroyed one after) costs nothing.
func PlanCost(env string, p *tfjson.Plan) (before, after float64, err error) {
	prices, err := cost.DefaultPrices()
	if err != nil {
		return 0, 0, err
	}
	a, err := cost.DefaultAssumptions()
	if err != nil {
		return 0, 0, err
	}
	total := func(values *tfjson.StateValues) (float64, error) {
		if values == nil || values.RootModule == nil || countManaged(values.RootModule) == 0 {
			return 0, nil
		}
		q := *p
		q.PlannedValues = values
		q.ResourceChanges = nil
		est, err := cost.EstimatePlan(env, &q, prices, a, cost.Options{})
		if err != nil {
			return 0, err
		}
		return est.Total, nil
	}
	if p.PriorState != nil {
		if before, err = total(p.PriorState.Values); err != nil {
			return 0, 0, err
		}
	}
	after, err = total(p.PlannedValues)
	return before, after, err
}

func countManaged(m *tfjson.StateModule) int {
	n := 0
	for _, r := range m.Resources {
		if r.Mode == tfjson.ManagedResourceMode {
			n++
		}
	}
	for _, c := range m.ChildModules {
		n += countManaged(c)
	}
	return n
}
