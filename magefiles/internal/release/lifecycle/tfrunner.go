package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

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
		scratch, cleanup, err := tfdriver.Scratch(terraformRoot, tfdriver.DropLocks)
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

// Close removes what OpenRunner made (an offline scratch copy, an
// override file).
func (r *Runner) Close() {
	_ = os.Remove(filepath.Join(r.dir.Path, OverrideFile))
	r.cleanup()
}

// OverrideFile carries, for one run, the settings a root does not declare
// as variables (a thin root passes literals to module "environment"):
// Terraform merges *_override.tf files into the configuration.
const OverrideFile = "zz_kit_lifecycle_override.tf"

// Plan writes a new plan file and reads it back as JSON. spec.Vars the
// root declares go on the command line (-var); the others are arguments of
// its module "environment" call, set in OverrideFile until the next plan
// or Close.
func (r *Runner) Plan(ctx context.Context, spec tfdriver.PlanSpec) (*Plan, error) {
	declared, err := RootVariables(r.dir.Path)
	if err != nil {
		return nil, err
	}
	cli, module := map[string]string{}, map[string]string{}
	for k, v := range spec.Vars {
		if declared[k] {
			cli[k] = v
		} else {
			module[k] = v
		}
	}
	spec.Vars = cli
	if err := writeOverride(filepath.Join(r.dir.Path, OverrideFile), module); err != nil {
		return nil, err
	}
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

// RootVariables lists the variables a root declares.
func RootVariables(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range files {
		if filepath.Base(p) == OverrideFile {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, diags := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s", p, diags.Error())
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "variable" && len(b.Labels) == 1 {
				out[b.Labels[0]] = true
			}
		}
	}
	return out, nil
}

var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// OverrideText renders module "environment" arguments: booleans and
// numbers as such, anything else as a string.
func OverrideText(args map[string]string) string {
	keys := make([]string, 0, len(args))
	width := 0
	for k := range args {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by the equiptrack kit for one lifecycle run (up, destroy) and removed at its end:\n")
	b.WriteString("# delete it if a run was killed. Terraform merges *_override.tf into the configuration.\n")
	b.WriteString("module \"environment\" {\n")
	for _, k := range keys {
		v := args[k]
		if v != "true" && v != "false" && !number.MatchString(v) {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, "  %-*s = %s\n", width, k, v)
	}
	b.WriteString("}\n")
	return b.String()
}

func writeOverride(path string, args map[string]string) error {
	if len(args) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(path, []byte(OverrideText(args)), 0o644)
}

// Output reads the root's outputs from its state (OutputReader).
func (r *Runner) Output(ctx context.Context, dst any) error { return r.dir.Output(ctx, dst) }
