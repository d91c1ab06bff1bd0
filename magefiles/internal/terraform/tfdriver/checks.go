package tfdriver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// defaultParallel bounds concurrent directories: the checks are CPU-bound
// (each OpenTofu process parses the 4 MB provider schema) and the machines
// running them have 2 cores.
const defaultParallel = 2

// Checker runs the offline checks over a scratch copy of a Terraform tree.
type Checker struct {
	Env      *Env
	Root     string // the tree checked (the repository's terraform/)
	Scratch  string // its scratch copy, where commands run
	Targets  []Target
	Parallel int
	Logf     sh.Logf
	// PlanDir receives plans/<env>/plan.{tfplan,json}. Empty: the plan
	// file stays in the scratch copy (private to this Checker) and the
	// JSON goes to the kit's cache, plans/<env>/plan.json, replaced
	// atomically, so it survives for inspection and concurrent planners
	// never read each other's half-written files.
	PlanDir string

	mu     sync.Mutex
	inited map[string]bool
}

// NewChecker prepares the offline toolchain (see NewCheckerMode).
//
// NewCheckerMode prepares the toolchain, discovers the tree's directories and
// makes the scratch copy; Close removes the copy. Offline (the default
// here): OpenTofu, the schema and the replica mirror, lock files left out.
// Online (GitHub Actions, a laptop with internet): the binary only, the real
// providers from the registry and the committed lock files verified.
func NewChecker(ctx context.Context, root string, logf sh.Logf) (*Checker, error) {
	return NewCheckerWith(ctx, root, CheckerOptions{}, logf)
}

// Mode says where the checks get the hashicorp/aws provider.
type Mode int

const (
	// OfflineMode: the schema replica from a local mirror; no internet, no AWS.
	OfflineMode Mode = iota
	// OnlineMode: the real providers from their registries, lock files verified.
	OnlineMode
)

// CheckerOptions choose the toolchain; the zero value is offline with the
// kit's OpenTofu.
type CheckerOptions struct {
	Mode Mode
	// Binary is the terraform/tofu to drive (a path or a name on PATH);
	// "" is the kit's pinned OpenTofu. See Binary.
	Binary string
}

// NewCheckerWith is NewChecker with the given toolchain.
func NewCheckerWith(ctx context.Context, root string, o CheckerOptions, logf sh.Logf) (*Checker, error) {
	mode := o.Mode
	targets, err := discover(root)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var env *Env
	if mode == OnlineMode {
		if env, err = Online(ctx, o.Binary, logf); err != nil {
			return nil, err
		}
	} else {
		if env, err = Offline(ctx, o.Binary, logf); err != nil {
			return nil, err
		}
	}
	if d := time.Since(start); d > time.Second {
		logf("infra: toolchain ready in %s (%s)", d.Round(100*time.Millisecond), env.Binary)
	}
	locks := DropLocks
	if mode == OnlineMode {
		locks = KeepLocks
	}
	scratch, cleanup, err := Scratch(root, locks)
	if err != nil {
		return nil, err
	}
	if mode == OfflineMode {
		if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
			cleanup()
			return nil, err
		}
	}
	return &Checker{Env: env, Root: root, Scratch: scratch, Targets: targets, Parallel: defaultParallel, Logf: logf, inited: map[string]bool{}}, nil
}

// Close removes the scratch copy.
func (c *Checker) Close() error { return os.RemoveAll(c.Scratch) }

func (c *Checker) open(ctx context.Context, t Target) (*Dir, error) {
	d, err := c.Env.Open(filepath.Join(c.Scratch, filepath.FromSlash(t.Rel)))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	done := c.inited[t.Rel]
	c.mu.Unlock()
	if !done {
		if err := d.Init(ctx); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.inited[t.Rel] = true
		c.mu.Unlock()
	}
	return d, nil
}

// Validate runs, for every target: fmt -check, init and validate; and
// over the whole tree, the Terraform-compatibility scan.
func (c *Checker) Validate(ctx context.Context) error {
	incompat, err := terraformCompat(c.Root)
	if err != nil {
		return err
	}
	if len(incompat) > 0 {
		var lines []string
		for _, i := range incompat {
			lines = append(lines, "  "+i.String())
		}
		return fmt.Errorf("OpenTofu-only constructs (the configuration must also run with Terraform):\n%s", strings.Join(lines, "\n"))
	}
	c.Logf("  ok   %-32s Terraform-compatibility scan", c.Root)
	c.Logf("infra: validating %d directories (fmt -check, init, validate; %d at a time)", len(c.Targets), c.Parallel)
	_, err = runAll(ctx, c.Targets, c.Parallel, "fmt+init+validate", c.Logf, func(ctx context.Context, t Target) error {
		d, err := c.Env.Open(filepath.Join(c.Scratch, filepath.FromSlash(t.Rel)))
		if err != nil {
			return err
		}
		files, err := d.FmtCheck(ctx)
		if err != nil {
			return err
		}
		if len(files) > 0 {
			return fmt.Errorf("not formatted (run `tofu fmt -recursive terraform/`): %s", strings.Join(files, ", "))
		}
		d, err = c.open(ctx, t)
		if err != nil {
			return err
		}
		_, err = d.Validate(ctx)
		return err
	})
	return err
}

// Test runs every target's native tests.
func (c *Checker) Test(ctx context.Context) error {
	var withTests []Target
	for _, t := range c.Targets {
		if t.HasTests {
			withTests = append(withTests, t)
		}
	}
	if len(withTests) == 0 {
		return fmt.Errorf("no *.tftest.hcl found under %s", c.Root)
	}
	c.Logf("infra: testing %d directories (init, test; %d at a time)", len(withTests), c.Parallel)
	_, err := runAll(ctx, withTests, c.Parallel, "init+test", c.Logf, func(ctx context.Context, t Target) error {
		d, err := c.open(ctx, t)
		if err != nil {
			return err
		}
		return d.Test(ctx)
	})
	return err
}

// PlanResult is an offline plan of an environment root.
type PlanResult struct {
	Env      string
	PlanFile string
	JSONFile string
	Plan     *tfjson.Plan
	Changes  bool
}

var envName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// CheckEnv validates an environment name against a tree before any work:
// a name like dev or staging with a directory envs/<env> holding .tf files.
func CheckEnv(root, env string) error {
	if !envName.MatchString(env) {
		return fmt.Errorf("plan: environment %q: want a name like dev or staging", env)
	}
	if tfs, _ := filepath.Glob(filepath.Join(root, "envs", env, "*.tf")); len(tfs) == 0 {
		var known []string
		if entries, err := os.ReadDir(filepath.Join(root, "envs")); err == nil {
			for _, e := range entries {
				if e.IsDir() {
					known = append(known, e.Name())
				}
			}
		}
		return fmt.Errorf("plan: no environment %q under %s/envs (have: %s)", env, root, strings.Join(known, ", "))
	}
	return nil
}

// Plan plans environment root envs/<env> offline (the backend replaced by
// a local one in the scratch copy) and keeps the plan and its JSON under
// the cache (plans/<env>/), overwritten by the next plan.
func (c *Checker) Plan(ctx context.Context, env string, varFiles []string) (*PlanResult, error) {
	if !envName.MatchString(env) {
		return nil, fmt.Errorf("plan: environment %q: want a name like dev or staging", env)
	}
	var target *Target
	var known []string
	var err error
	for i, t := range c.Targets {
		if strings.HasPrefix(t.Rel, "envs/") {
			known = append(known, strings.TrimPrefix(t.Rel, "envs/"))
			if t.Rel == "envs/"+env {
				target = &c.Targets[i]
			}
		}
	}
	if target == nil {
		return nil, fmt.Errorf("plan: no environment %q under %s/envs (have: %s)", env, c.Root, strings.Join(known, ", "))
	}
	var out string
	if c.PlanDir != "" {
		out = filepath.Join(c.PlanDir, "plans", env)
		err = os.MkdirAll(out, 0o755)
	} else {
		out, err = cachedir.Dir("plans", env)
	}
	if err != nil {
		return nil, err
	}
	d, err := c.Env.Open(filepath.Join(c.Scratch, filepath.FromSlash(target.Rel)))
	if err != nil {
		return nil, err
	}
	if c.Env.Mirror != nil {
		if err := d.UseLocalBackend(); err != nil {
			return nil, err
		}
	}
	step := func(name string, fn func() error) error {
		t := time.Now()
		if err := fn(); err != nil {
			return err
		}
		c.Logf("  ok   %-32s %s %s", target.Rel, name, time.Since(t).Round(100*time.Millisecond))
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dirTimeout)
	defer cancel()
	res := &PlanResult{Env: env, PlanFile: filepath.Join(out, "plan.tfplan"), JSONFile: filepath.Join(out, "plan.json")}
	if c.PlanDir == "" {
		res.PlanFile = filepath.Join(d.Path, "kit-offline.tfplan")
	}
	if err := step("init", func() error { return d.InitWithBackend(ctx) }); err != nil {
		return nil, err
	}
	if err := step("plan", func() error {
		var err error
		res.Changes, err = d.Plan(ctx, res.PlanFile, varFiles, nil)
		return err
	}); err != nil {
		return nil, err
	}
	if err := step("show -json", func() error {
		var err error
		res.Plan, err = d.ShowPlanJSON(ctx, res.PlanFile)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(res.Plan, "", " ")
		if err != nil {
			return err
		}
		tmp := fmt.Sprintf("%s.%d.tmp", res.JSONFile, os.Getpid())
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, res.JSONFile)
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// Summary renders a plan readably: counts, then one line per resource
// change ("+ create", "~ update", "-/+ replace", "- delete"), sorted by
// address; no-ops and reads are counted, not listed.
func Summary(p *tfjson.Plan) string {
	var add, change, destroy, replace, read int
	var lines []string
	byType := map[string]int{}
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		if rc.Mode == tfjson.ManagedResourceMode && !rc.Change.Actions.NoOp() {
			byType[rc.Type]++
		}
		a := rc.Change.Actions
		var sym string
		switch {
		case a.Replace():
			replace++
			sym = "-/+"
		case a.Create():
			add++
			sym = "+"
		case a.Update():
			change++
			sym = "~"
		case a.Delete():
			destroy++
			sym = "-"
		case a.Read():
			read++
			continue
		default:
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-3s %s", sym, rc.Address))
	}
	sort.Slice(lines, func(i, j int) bool { return addr(lines[i]) < addr(lines[j]) })
	head := fmt.Sprintf("%d to add, %d to change, %d to replace, %d to destroy", add, change, replace, destroy)
	if read > 0 {
		head += fmt.Sprintf(" (%d data sources read at apply)", read)
	}
	if len(p.OutputChanges) > 0 {
		head += fmt.Sprintf("; %d outputs", len(p.OutputChanges))
	}
	if len(byType) > 0 {
		// Most changed types first: what the plan is about, at a glance.
		types := slices.Sorted(maps.Keys(byType))
		sort.SliceStable(types, func(i, j int) bool { return byType[types[i]] > byType[types[j]] })
		var parts []string
		for _, t := range types {
			parts = append(parts, fmt.Sprintf("%d %s", byType[t], t))
		}
		head += "\nby type: " + strings.Join(parts, ", ")
	}
	return head + "\n" + strings.Join(lines, "\n")
}

func addr(line string) string {
	f := strings.Fields(line)
	return f[len(f)-1]
}
