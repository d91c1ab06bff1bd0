package tfdriver

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	tfjson "github.com/hashicorp/terraform-json"
)

// These tests run OpenTofu against the schema replica. They build what is
// missing (OpenTofu ~4 min, the schema ~1 min, the replica ~30 s cold) and
// fail when that is impossible; under -short (test:unit) they skip.

var (
	envOnce sync.Once
	envVal  *Env
	envErr  error
)

func offlineEnv(t *testing.T) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("runs OpenTofu (skipped under -short)")
	}
	envOnce.Do(func() {
		// The tools come provisioned (go run magefile.go test:tools): no
		// OpenTofu build inside the test's timeout.
		ctx, cancel := context.WithTimeout(cachedir.Provisioned(context.Background()), 2*time.Minute)
		defer cancel()
		envVal, envErr = Offline(ctx, "", t.Logf)
	})
	if envErr != nil {
		t.Fatalf("offline toolchain: %v", envErr)
	}
	e := *envVal
	return &e
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestCheckerRejectsBrokenConfigurations shows that the checker checks:
// each configuration under testdata/broken has exactly one mistake, and
// validate must reject it with OpenTofu's message for that mistake.
func TestCheckerRejectsBrokenConfigurations(t *testing.T) {
	env := offlineEnv(t)
	ctx := testCtx(t, 10*time.Minute)
	scratch, cleanup, err := Scratch("testdata/broken", DropLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir, summary, detail string
	}{
		{"unknown_argument", "Unsupported argument", `An argument named "retention_days" is not expected here.`},
		{"missing_required_argument", "Missing required argument", `The argument "assume_role_policy" is required, but no definition was found.`},
		{"block_as_argument", "Unsupported argument", `Did you mean to define a block of type "deployment_circuit_breaker"?`},
		{"wrong_type", "Incorrect attribute value type", `Inappropriate value for attribute "retention_in_days": number required`},
		{"unknown_attribute_reference", "Unsupported attribute", `This object has no argument, nested block, or exported attribute named "url".`},
		{"undeclared_module_variable", "Unsupported argument", `An argument named "retention" is not expected here.`},
		{"variable_validation", "Invalid value for variable", "The log group name must start with a slash."},
	}
	entries, err := os.ReadDir("testdata/broken")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(cases) {
		t.Fatalf("testdata/broken has %d cases, the table %d", len(entries), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			d, err := env.Open(filepath.Join(scratch, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Init(ctx); err != nil {
				t.Fatal(err)
			}
			out, err := d.Validate(ctx)
			if err == nil {
				t.Fatal("validate accepted the broken configuration")
			}
			if out == nil {
				t.Fatalf("validate did not run: %v", err)
			}
			var errs []tfjson.Diagnostic
			for _, dg := range out.Diagnostics {
				if dg.Severity == tfjson.DiagnosticSeverityError {
					errs = append(errs, dg)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got:\n%s", diagnosticsText(out.Diagnostics))
			}
			if errs[0].Summary != tc.summary || !strings.Contains(errs[0].Detail, tc.detail) {
				t.Errorf("got %q: %q\nwant %q: …%q…", errs[0].Summary, errs[0].Detail, tc.summary, tc.detail)
			}
			if !strings.Contains(err.Error(), tc.summary) {
				t.Errorf("error does not name the problem: %v", err)
			}
		})
	}
}

// TestCheckerOnTestTree runs the whole offline flow on a small tree with a
// module (and its native test) and two environments: validate, test, and
// plans of both environments whose JSON is compared across environments.
func TestCheckerOnTestTree(t *testing.T) {
	env := offlineEnv(t)
	ctx := testCtx(t, 10*time.Minute)
	targets, err := discover("testdata/tree")
	if err != nil {
		t.Fatal(err)
	}
	scratch, cleanup, err := Scratch("testdata/tree", DropLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
		t.Fatal(err)
	}
	c := &Checker{Env: env, Root: "testdata/tree", Scratch: scratch, Targets: targets, Parallel: 2, Logf: t.Logf, PlanDir: t.TempDir(), inited: map[string]bool{}}
	if err := c.Validate(ctx); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if err := c.Test(ctx); err != nil {
		t.Fatalf("test: %v", err)
	}
	dev, err := c.Plan(ctx, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	staging, err := c.Plan(ctx, "staging", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !dev.Changes || !staging.Changes {
		t.Error("plans of empty state report no changes")
	}
	// The replica applies what it planned (OpenTofu checks the result
	// against the plan), and a second plan finds nothing to do.
	d, err := env.Open(filepath.Join(scratch, "envs", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(ctx, dev.PlanFile); err != nil {
		t.Fatal(err)
	}
	again, err := d.Plan(ctx, filepath.Join(t.TempDir(), "again.tfplan"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again {
		t.Error("a plan after apply still has changes")
	}
	wantSummary := "2 to add, 0 to change, 0 to replace, 0 to destroy; 1 outputs\n" +
		"by type: 1 aws_cloudwatch_log_group, 1 aws_iam_role\n" +
		"  +   module.app.aws_cloudwatch_log_group.app\n" +
		"  +   module.app.aws_iam_role.task"
	if got := Summary(dev.Plan); got != wantSummary {
		t.Errorf("dev summary:\n%s\nwant:\n%s", got, wantSummary)
	}
	// The JSON on disk is the plan shown.
	var fromDisk tfjson.Plan
	b, err := os.ReadFile(dev.JSONFile)
	if err != nil || json.Unmarshal(b, &fromDisk) != nil || len(fromDisk.ResourceChanges) != 2 {
		t.Errorf("plan JSON %s unreadable or incomplete (%v)", dev.JSONFile, err)
	}

	after := func(p *tfjson.Plan, addr string) map[string]any {
		for _, rc := range p.ResourceChanges {
			if rc.Address == addr {
				m, _ := rc.Change.After.(map[string]any)
				return m
			}
		}
		t.Fatalf("%s not in plan", addr)
		return nil
	}
	// The replica fills region and tags_all at plan time, so facts across
	// environments are asserted on real values, not on "known after apply".
	for _, tc := range []struct {
		p            *tfjson.Plan
		region, name string
	}{{dev.Plan, "us-west-2", "dev"}, {staging.Plan, "us-east-1", "staging"}} {
		lg := after(tc.p, "module.app.aws_cloudwatch_log_group.app")
		if lg["region"] != tc.region {
			t.Errorf("%s log group region = %v, want %s", tc.name, lg["region"], tc.region)
		}
		tags, _ := lg["tags_all"].(map[string]any)
		if tags["Environment"] != tc.name || tags["Name"] != "equiptrack-"+tc.name {
			t.Errorf("%s tags_all = %v", tc.name, lg["tags_all"])
		}
		role := after(tc.p, "module.app.aws_iam_role.task")
		var policy struct {
			Statement []struct {
				Action    string
				Principal map[string]string
			}
		}
		if err := json.Unmarshal([]byte(role["assume_role_policy"].(string)), &policy); err != nil {
			t.Fatalf("%s trust policy is not JSON: %v", tc.name, err)
		}
		if len(policy.Statement) != 1 || policy.Statement[0].Principal["Service"] != "ecs-tasks.amazonaws.com" || policy.Statement[0].Action != "sts:AssumeRole" {
			t.Errorf("%s trust policy = %+v", tc.name, policy)
		}
	}
}

// TestCheckerReportsFailingTest: a native test whose assertion fails makes
// Test fail with the assertion's message.
func TestCheckerReportsFailingTest(t *testing.T) {
	env := offlineEnv(t)
	ctx := testCtx(t, 5*time.Minute)
	scratch, cleanup, err := Scratch("testdata/tree", DropLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	bad := filepath.Join(scratch, "modules", "app", "tests", "app.tftest.hcl")
	src, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	// Break the expectation (the provider's region is eu-west-1).
	mutated := strings.Replace(string(src), `region == "eu-west-1"`, `region == "us-east-1"`, 1)
	if mutated == string(src) {
		t.Fatal("mutation did not apply")
	}
	if err := os.WriteFile(bad, []byte(mutated), 0o644); err != nil {
		t.Fatal(err)
	}
	if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
		t.Fatal(err)
	}
	d, err := env.Open(filepath.Join(scratch, "modules", "app"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Init(ctx); err != nil {
		t.Fatal(err)
	}
	err = d.Test(ctx)
	if err == nil || !strings.Contains(err.Error(), "the log group follows the provider's region") {
		t.Fatalf("err = %v", err)
	}
}

// TestRepositoryTerraform validates and tests every module and root of
// the repository's terraform/ tree, offline.
func TestRepositoryTerraform(t *testing.T) {
	env := offlineEnv(t)
	ctx := testCtx(t, 20*time.Minute)
	root := filepath.Join("..", "..", "..", "..", "terraform")
	targets, err := discover(root)
	if err != nil {
		t.Fatal(err)
	}
	scratch, cleanup, err := Scratch(root, DropLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
		t.Fatal(err)
	}
	c := &Checker{Env: env, Root: root, Scratch: scratch, Targets: targets, Parallel: defaultParallel, Logf: t.Logf, inited: map[string]bool{}}
	if err := c.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Test(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTerraformAcceptsTheTree is an extra compatibility check: where a
// Terraform binary is present, it must init (against the same replica
// mirror), validate and run the native tests of the test tree and the
// repository's tree too. CI does
// not depend on it: without Terraform the test is skipped.
func TestTerraformAcceptsTheTree(t *testing.T) {
	tfBin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("no terraform binary on PATH (optional compatibility check)")
	}
	env := offlineEnv(t)
	env.Binary = tfBin
	ctx := testCtx(t, 10*time.Minute)
	for _, root := range []string{"testdata/tree", filepath.Join("..", "..", "..", "..", "terraform")} {
		targets, err := discover(root)
		if err != nil {
			t.Fatal(err)
		}
		scratch, cleanup, err := Scratch(root, DropLocks)
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		if env.TypesFile, err = WriteUsedTypes(scratch); err != nil {
			t.Fatal(err)
		}
		_, err = runAll(ctx, targets, defaultParallel, "terraform init+validate+test", t.Logf, func(ctx context.Context, tg Target) error {
			d, err := env.Open(filepath.Join(scratch, filepath.FromSlash(tg.Rel)))
			if err != nil {
				return err
			}
			if err := d.Init(ctx); err != nil {
				return err
			}
			if _, err = d.Validate(ctx); err != nil || !tg.HasTests {
				return err
			}
			return d.Test(ctx)
		})
		if err != nil {
			t.Errorf("terraform on %s (OpenTofu-only behaviour? see docs/terraform-testing.md, \"Terraform compatibility\"): %v", root, err)
		}
	}
}

// A failed command says why: terraform-exec keeps stderr out of its errors,
// so without the driver's own capture a failed plan reads "exit status 1".
func TestFailedPlanSaysWhy(t *testing.T) {
	env := offlineEnv(t)
	ctx := testCtx(t, 5*time.Minute)
	dir := t.TempDir()
	cfg := "variable \"needed\" {\n  type = string\n}\n\noutput \"echo\" {\n  value = var.needed\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := env.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Init(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = d.Plan(ctx, filepath.Join(dir, "p.tfplan"), nil, nil)
	if err == nil {
		t.Fatal("plan without a required variable succeeded")
	}
	if !strings.Contains(err.Error(), "No value for required variable") || !strings.Contains(err.Error(), "needed") {
		t.Fatalf("plan error = %q, want OpenTofu's reason naming the variable", err)
	}
}
