package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Runner is the Terraform seam over tfdriver — the same driver as the
// offline `infra:plan`. Online (an Env from tfdriver.Online) it runs the
// environment root in place, initialised with its real backend
// (`<env>.s3.tfbackend`) and the real providers; offline (tfdriver.Offline)
// it runs a scratch copy of the tree with a local backend and the schema
// replica, which applies what it plans — how the tests exercise it.
type Runner struct {
	dir     *tfdriver.Dir
	planDir string
	n       int
	cleanup func()
}

// OpenRunner initialises envs/<name> under terraformRoot; plan files go to
// planDir (created). Close removes an offline scratch copy.
func OpenRunner(ctx context.Context, env *tfdriver.Env, terraformRoot, name, planDir string) (*Runner, error) {
	if err := tfdriver.CheckEnv(terraformRoot, name); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(planDir, 0o755); err != nil {
		return nil, err
	}
	r := &Runner{planDir: planDir, cleanup: func() {}}
	root := terraformRoot
	if env.Mirror != nil {
		scratch, cleanup, err := tfdriver.Scratch(terraformRoot, false)
		if err != nil {
			return nil, err
		}
		r.cleanup = cleanup
		if env.TypesFile, err = tfdriver.WriteUsedTypes(scratch); err != nil {
			cleanup()
			return nil, err
		}
		root = scratch
	}
	d, err := env.Open(filepath.Join(root, "envs", name))
	if err == nil && env.Mirror != nil {
		err = d.UseLocalBackend()
	}
	if err == nil {
		err = d.InitWithBackend(ctx)
	}
	if err != nil {
		r.cleanup()
		return nil, err
	}
	r.dir = d
	return r, nil
}

// Close removes what OpenRunner made (an offline scratch copy).
func (r *Runner) Close() { r.cleanup() }

// Plan writes a new plan file and reads it back as JSON.
func (r *Runner) Plan(ctx context.Context, spec tfdriver.PlanSpec) (*Plan, error) {
	r.n++
	file := filepath.Join(r.planDir, fmt.Sprintf("%s-%d.tfplan", time.Now().UTC().Format("20060102T150405"), r.n))
	changes, err := r.dir.PlanSpec(ctx, file, spec)
	if err != nil {
		return nil, err
	}
	p, err := r.dir.ShowPlanJSON(ctx, file)
	if err != nil {
		return nil, err
	}
	return &Plan{File: file, JSON: p, Changes: changes}, nil
}

// Show reads a saved plan.
func (r *Runner) Show(ctx context.Context, file string) (*Plan, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("-plan=%s: %w", file, err)
	}
	p, err := r.dir.ShowPlanJSON(ctx, file)
	if err != nil {
		return nil, err
	}
	return &Plan{File: file, JSON: p, Changes: HasChanges(p)}, nil
}

// Apply applies a saved plan file: exactly what it shows.
func (r *Runner) Apply(ctx context.Context, file string) error { return r.dir.Apply(ctx, file) }

// HasChanges is what `plan -detailed-exitcode` says, from the JSON: a
// resource or output that changes.
func HasChanges(p *tfjson.Plan) bool {
	for _, rc := range p.ResourceChanges {
		if rc.Change != nil && !rc.Change.Actions.NoOp() && !rc.Change.Actions.Read() {
			return true
		}
	}
	for _, oc := range p.OutputChanges {
		if oc != nil && !oc.Actions.NoOp() {
			return true
		}
	}
	return false
}

// Root is the environment root the runner runs in (a scratch copy offline).
func (r *Runner) Root() string { return r.dir.Path }
