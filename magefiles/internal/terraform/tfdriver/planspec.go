package tfdriver

import (
	"context"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// PlanSpec is everything a plan can be asked for beyond the configuration:
// the lifecycle targets (`<env>:plan`, `apply`, `destroy`, `up`,
// `dev:scaleDown`) and the plan guard's tests build on it. Kept apart from
// PlanOptions so the offline checks' signature does not move.
type PlanSpec struct {
	VarFiles []string
	Vars     map[string]string
	// Targets limits the plan to these addresses (-target): `up` applies
	// the registry first, destroy lifts deletion protection first.
	Targets []string
	// Replace forces these addresses to be replaced (-replace).
	Replace []string
	// Destroy plans the destruction of everything (-destroy).
	Destroy bool
}

// Options builds plan's options for a spec, writing the plan to planFile.
func (s PlanSpec) Options(planFile string) []tfexec.PlanOption {
	opts := planOptions(planFile, s.VarFiles, s.Vars)
	for _, t := range s.Targets {
		opts = append(opts, tfexec.Target(t))
	}
	for _, r := range s.Replace {
		opts = append(opts, tfexec.Replace(r))
	}
	if s.Destroy {
		opts = append(opts, tfexec.Destroy(true))
	}
	return opts
}

// PlanSpec writes a plan for spec to planFile and reports whether it
// changes anything.
func (d *Dir) PlanSpec(ctx context.Context, planFile string, spec PlanSpec) (bool, error) {
	d.stderr.Reset()
	changes, err := d.tf.Plan(ctx, spec.Options(planFile)...)
	if err != nil {
		return false, d.failed("plan "+d.Path, err)
	}
	return changes, nil
}
