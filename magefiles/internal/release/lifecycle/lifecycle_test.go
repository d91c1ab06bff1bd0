package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/planguard"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

var oneEach = map[string]int{"gateway": 1, "inventory": 1, "location": 1, "user": 1, "reporting": 1, "ui": 1}

// seedDev is dev as the seed found it: 3/2/2/1/1/1, settled, at v0.9.0.
func seedDev() *fakeAWS {
	f := newFakeAWS()
	f.registry = true
	f.images["v0.9.0"] = true
	f.imageTag = "v0.9.0"
	f.other["module.environment.module.postgres.aws_db_instance.this"] = true
	for name, n := range map[string]int{"gateway": 3, "inventory": 2, "location": 2, "user": 1, "reporting": 1, "ui": 1} {
		f.services[name] = &fakeSvc{desired: n, running: n, rollout: RolloutCompleted}
	}
	return f
}

func devEnv(aws *fakeAWS, tf Terraform, out *bytes.Buffer) *Env {
	return &Env{
		Name: "dev", Vars: &Vars{Env: "dev", Region: "us-west-2", Account: "123456789012", Desired: oneEach},
		TF: tf, Caller: aws, Services: aws, Health: aws, Out: out, Clock: instantClock(),
		WaitTimeout: 5 * time.Minute, PollEvery: 10 * time.Second,
		Cost: func(string, *tfjson.Plan) (float64, float64, error) { return 141.25, 83.5, nil },
	}
}

func TestScaleDownFromTheSeedsDev(t *testing.T) {
	aws := seedDev()
	tf := newFakeTF(aws, oneEach)
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	res, err := e.ScaleDown(context.Background(), ScaleOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Nothing || len(tf.applied) != 1 {
		t.Fatalf("nothing = %v, applied %v", res.Nothing, tf.applied)
	}
	for _, s := range res.After {
		if s.Desired != 1 || s.Running != 1 || s.Rollout != RolloutCompleted {
			t.Errorf("after: %+v", s)
		}
	}
	wantTable := "service    before  after  running  rollout\n" +
		"gateway    3       1      1        COMPLETED\n" +
		"inventory  2       1      1        COMPLETED\n" +
		"location   2       1      1        COMPLETED\n" +
		"reporting  1       1      1        COMPLETED\n" +
		"ui         1       1      1        COMPLETED\n" +
		"user       1       1      1        COMPLETED\n"
	for _, want := range []string{
		"dev: account 123456789012, region us-west-2",
		"dev:   gateway: 3 -> 1 tasks\n",
		"dev:   inventory: 2 -> 1 tasks\n",
		"dev:   location: 2 -> 1 tasks\n",
		"dev: waiting: gateway 2/1\n", // inventory and location reached 1 on the first read
		"dev: services settled in 10s\n",
		"dev: health: ok\n",
		wantTable,
		"dev: monthly cost: $141.25 -> $83.50 (-$57.75)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A second run: nothing to do, nothing applied.
	out.Reset()
	res, err = e.ScaleDown(context.Background(), ScaleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Nothing || len(tf.applied) != 1 {
		t.Errorf("second run: nothing = %v, applied %v", res.Nothing, tf.applied)
	}
	if !strings.Contains(out.String(), "dev: nothing to do: every service runs its desired count (gateway 1, inventory 1, location 1, reporting 1, ui 1, user 1)") {
		t.Errorf("second run output:\n%s", out.String())
	}
}

func TestScaleDownRefusesOtherChanges(t *testing.T) {
	aws := seedDev()
	tf := newFakeTF(aws, oneEach)
	tf.drift = true
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	_, err := e.ScaleDown(context.Background(), ScaleOptions{})
	var oc *planguard.OtherChangesError
	if !errors.As(err, &oc) || !strings.Contains(err.Error(), "update aws_lb.this: idle_timeout") {
		t.Fatalf("err = %v", err)
	}
	if len(tf.applied) != 0 || aws.services["gateway"].desired != 3 {
		t.Fatalf("refused, yet applied %v (gateway desired %d)", tf.applied, aws.services["gateway"].desired)
	}
	// Allowed: applied, drift included.
	if _, err := e.ScaleDown(context.Background(), ScaleOptions{AllowOtherChanges: true}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(aws.log, "; "); !strings.Contains(got, "[update] aws_lb.this") || aws.services["gateway"].desired != 1 {
		t.Errorf("log = %s", got)
	}
}

func TestScaleDownWaitsAndTimesOut(t *testing.T) {
	aws := seedDev()
	aws.stuck = "gateway" // its tasks never stop (a draining target, say)
	tf := newFakeTF(aws, oneEach)
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	_, err := e.ScaleDown(context.Background(), ScaleOptions{})
	if err == nil || !strings.Contains(err.Error(), "services not settled after 5m0s") ||
		!strings.Contains(err.Error(), "gateway: desired 1, running 3, pending 0, rollout IN_PROGRESS (want 1 running, COMPLETED)") {
		t.Fatalf("err = %v", err)
	}
}

func TestScaleDownRefusesPlanNotAtTheTfvarsCounts(t *testing.T) {
	aws := seedDev()
	// Terraform's configuration says gateway 2 while the tfvars read by the
	// target say 1: the plan is not a scale-down to what was asked.
	tf := newFakeTF(aws, map[string]int{"gateway": 2, "inventory": 1, "location": 1, "user": 1, "reporting": 1, "ui": 1})
	e := devEnv(aws, tf, &bytes.Buffer{})
	_, err := e.ScaleDown(context.Background(), ScaleOptions{})
	if err == nil || !strings.Contains(err.Error(), "the plan's desired counts (gateway 2, inventory 1") {
		t.Fatalf("err = %v", err)
	}
	if len(tf.applied) != 0 {
		t.Error("applied")
	}
}

func TestVerify(t *testing.T) {
	aws := seedDev()
	var out bytes.Buffer
	e := devEnv(aws, newFakeTF(aws, oneEach), &out)
	err := e.Verify(context.Background())
	want := "dev: 3 service(s) not as terraform/envs/dev says:\n" +
		"  gateway: desired 3, running 3, pending 0, rollout COMPLETED (want 1 running, COMPLETED)\n" +
		"  inventory: desired 2, running 2, pending 0, rollout COMPLETED (want 1 running, COMPLETED)\n" +
		"  location: desired 2, running 2, pending 0, rollout COMPLETED (want 1 running, COMPLETED)"
	if err == nil || err.Error() != want {
		t.Fatalf("err =\n%v\nwant\n%s", err, want)
	}
	if _, err := e.ScaleDown(context.Background(), ScaleOptions{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := e.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "gateway    1     1        1        0        COMPLETED") || !strings.Contains(out.String(), "dev: verified") {
		t.Errorf("output:\n%s", out.String())
	}
	aws.broken = true
	if err := e.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), "dev: health: https://dev.example: 503") {
		t.Errorf("broken health: %v", err)
	}
}

func TestWrongAccountOrRegionRefusedBeforeAnyWork(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*fakeAWS, *Vars)
		wantErr string
	}{
		{"account", func(a *fakeAWS, _ *Vars) { a.account = "999999999999" }, "dev: the AWS credentials are of account 999999999999 (arn:aws:sts::999999999999:assumed-role/deploy/test), dev lives in 123456789012"},
		{"region", func(a *fakeAWS, _ *Vars) { a.region = "us-east-1" }, "dev: the AWS region is us-east-1, dev lives in us-west-2"},
		{"no account in tfvars", func(_ *fakeAWS, v *Vars) { v.Account = "" }, "dev: terraform/envs/dev names no account_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aws := seedDev()
			tf := newFakeTF(aws, oneEach)
			e := devEnv(aws, tf, &bytes.Buffer{})
			tc.mutate(aws, e.Vars)
			ctx := context.Background()
			for what, run := range map[string]func() error{
				"plan":      func() error { _, err := e.Plan(ctx, PlanOptions{}); return err },
				"apply":     func() error { _, err := e.Apply(ctx, ApplyOptions{}); return err },
				"destroy":   func() error { return e.Destroy(ctx, DestroyOptions{Confirm: "dev"}) },
				"scaleDown": func() error { _, err := e.ScaleDown(ctx, ScaleOptions{}); return err },
				"up":        func() error { return e.Up(ctx, UpOptions{Version: "v1.0.0"}) },
			} {
				if err := run(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s: err = %v, want %q", what, err, tc.wantErr)
				}
			}
			if len(tf.specs) != 0 {
				t.Errorf("planned %d times before refusing", len(tf.specs))
			}
		})
	}
}

func TestDestroyNeedsConfirmation(t *testing.T) {
	for _, confirm := range []string{"", "staging", "Dev"} {
		aws := seedDev()
		tf := newFakeTF(aws, oneEach)
		e := devEnv(aws, tf, &bytes.Buffer{})
		err := e.Destroy(context.Background(), DestroyOptions{Confirm: confirm})
		if !errors.Is(err, ErrNotConfirmed) {
			t.Errorf("confirm %q: err = %v", confirm, err)
		}
		if len(tf.specs) != 0 || len(aws.services) != 6 {
			t.Errorf("confirm %q: work done before refusing", confirm)
		}
	}
}

func TestDestroyLiftsDeletionProtectionFirst(t *testing.T) {
	aws := seedDev()
	tf := newFakeTF(aws, oneEach)
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	if err := e.Destroy(context.Background(), DestroyOptions{Confirm: "dev"}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(aws.services) != 0 || len(aws.other) != 0 || aws.registry {
		t.Errorf("left: services %v, other %v, registry %v", aws.services, aws.other, aws.registry)
	}
	first := tf.specs[0]
	if first.Destroy || first.Vars["db_deletion_protection"] != "false" || first.Vars["ecr_force_delete"] != "true" || first.Vars["secret_recovery_window_days"] != "0" ||
		strings.Join(first.Targets, ",") != "module.environment.module.postgres.aws_db_instance.this,module.environment.module.registry,module.environment.module.secrets" {
		t.Errorf("first plan = %+v", first)
	}
	if !tf.specs[1].Destroy || tf.specs[1].Vars["db_deletion_protection"] != "false" {
		t.Errorf("second plan = %+v", tf.specs[1])
	}
	if aws.log[0] != "[update] module.environment.module.postgres.aws_db_instance.this" {
		t.Errorf("first change = %s", aws.log[0])
	}
	for _, want := range []string{"dev: lifting database deletion protection (db_deletion_protection = false)", "dev: destroy: done"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Without the protection step the fake refuses as RDS does: proven by
	// applying a destroy plan of a protected database directly.
	aws2 := seedDev()
	tf2 := newFakeTF(aws2, oneEach)
	p, _ := tf2.Plan(context.Background(), tfdriver.PlanSpec{Destroy: true})
	if err := tf2.Apply(context.Background(), p.File); err == nil || !strings.Contains(err.Error(), "deletion protection") {
		t.Errorf("fake deletes a protected database: %v", err)
	}
}

func TestUpFromAnEmptyAccountAndAgain(t *testing.T) {
	aws := newFakeAWS()
	tf := newFakeTF(aws, oneEach)
	rel := &fakeRelease{aws: aws, failSeed: true}
	sec := &fakeSecrets{}
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	e.Cost = nil
	o := UpOptions{Version: "v1.0.0", Release: rel, Secrets: sec}
	err := e.Up(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "dev: up v1.0.0, step seed: seed task exited 1 (run the same command again") {
		t.Fatalf("first up: %v", err)
	}
	// The registry alone first, at the version.
	if s := tf.specs[0]; strings.Join(s.Targets, ",") != RegistryTarget || s.Vars[ImageTagVar] != "v1.0.0" {
		t.Errorf("first plan = %+v", s)
	}
	if s := tf.specs[1]; len(s.Targets) != 0 || s.Vars[ImageTagVar] != "v1.0.0" {
		t.Errorf("second plan = %+v", s)
	}
	if aws.imageTag != "v1.0.0" || len(aws.services) != 6 || strings.Join(rel.built, ",") != "v1.0.0" || rel.migrated != 1 || sec.ensured != 1 {
		t.Errorf("after the first up: tag %s, services %d, built %v, migrated %d, secrets %d", aws.imageTag, len(aws.services), rel.built, rel.migrated, sec.ensured)
	}
	// Again: converges without rebuilding or re-applying.
	applied := len(tf.applied)
	out.Reset()
	if err := e.Up(context.Background(), o); err != nil {
		t.Fatalf("second up: %v\n%s", err, out.String())
	}
	if len(tf.applied) != applied || len(rel.built) != 1 || rel.seeded != 1 {
		t.Errorf("second up: applied %d more, built %v, seeded %d", len(tf.applied)-applied, rel.built, rel.seeded)
	}
	for _, want := range []string{"dev: [1/8] registry\n", "dev: plan: no changes\n", "dev: [8/8] seed: ok", "dev: up at v1.0.0\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUpWithoutTheRegistryFirstWouldFail(t *testing.T) {
	// The fake refuses services whose image was never pushed, as ECS
	// fails their tasks: a plain apply at the version on an empty account
	// is refused, which is why up applies the registry and pushes first.
	aws := newFakeAWS()
	tf := newFakeTF(aws, oneEach)
	p, err := tf.Plan(context.Background(), tfdriver.PlanSpec{Vars: map[string]string{ImageTagVar: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(context.Background(), p.File); err == nil || !strings.Contains(err.Error(), "image v1.0.0 not found") {
		t.Errorf("apply before push: %v", err)
	}
}

// planStub returns one literal plan.
type planStub struct {
	plan    *Plan
	applied int
}

func (s *planStub) Plan(context.Context, tfdriver.PlanSpec) (*Plan, error) { return s.plan, nil }
func (s *planStub) Show(context.Context, string) (*Plan, error)            { return s.plan, nil }
func (s *planStub) Apply(context.Context, string) error                    { s.applied++; return nil }

func TestApplyRefusesReplacingTheDatabase(t *testing.T) {
	const db = "module.environment.module.postgres.aws_db_instance.this"
	p := &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{{
		Address: db, Mode: tfjson.ManagedResourceMode, Type: "aws_db_instance", Name: "this",
		Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionDelete, tfjson.ActionCreate},
			Before: map[string]any{"engine_version": "16.4"}, After: map[string]any{"engine_version": "15.8"}, AfterUnknown: map[string]any{},
			ReplacePaths: []any{[]any{"engine_version"}}},
	}}}
	stub := &planStub{plan: &Plan{File: "/p.tfplan", JSON: p, Changes: true}}
	aws := seedDev()
	var out bytes.Buffer
	e := devEnv(aws, stub, &out)
	e.Cost = nil
	_, err := e.Apply(context.Background(), ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "replace "+db+" (database): forced by engine_version") || stub.applied != 0 {
		t.Fatalf("err = %v, applied %d", err, stub.applied)
	}
	if _, err := e.Apply(context.Background(), ApplyOptions{AllowReplace: []string{"module.redis.x"}}); err == nil || !strings.Contains(err.Error(), "-allowReplace names module.redis.x, which the plan neither replaces nor destroys") {
		t.Errorf("mistyped allow: %v", err)
	}
	if _, err := e.Apply(context.Background(), ApplyOptions{PlanFile: "/p.tfplan", AllowReplace: []string{db}}); err != nil || stub.applied != 1 {
		t.Errorf("allowed: %v, applied %d", err, stub.applied)
	}
	if !strings.Contains(out.String(), "dev:   0 to add, 0 to change, 1 to replace, 0 to destroy") {
		t.Errorf("summary not shown:\n%s", out.String())
	}
}

func TestReadVars(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..", "terraform")
	v, err := ReadVars(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if v.Region != "us-west-2" || v.Env != "dev" || countsText(v.Desired) != "gateway 1, inventory 1, location 1, reporting 1, ui 1, user 1" {
		t.Errorf("dev vars = %+v", v)
	}
	s, err := ReadVars(root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "us-east-1" || countsText(s.Desired) != "gateway 2, inventory 2, location 2, reporting 2, ui 2, user 2" {
		t.Errorf("staging vars = %+v", s)
	}

	dir := t.TempDir()
	write := func(src string) {
		if err := os.MkdirAll(filepath.Join(dir, "envs", "dev"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "envs", "dev", "terraform.tfvars"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("environment = \"dev\"\nregion = \"us-west-2\"\naccount_id = \"123456789012\"\nservices = { gateway = { cpu = 512, desired_count = 3 } }\n")
	if v, err := ReadVars(dir, "dev"); err != nil || v.Account != "123456789012" || v.Desired["gateway"] != 3 {
		t.Errorf("vars = %+v, %v", v, err)
	}
	for src, want := range map[string]string{
		"environment = \"dev\"\nregion = \"us-west-2\"\naccount_id = \"12345\"\nservices = { a = { desired_count = 1 } }\n": `account_id = "12345": want 12 digits`,
		"environment = \"staging\"\nregion = \"us-west-2\"\nservices = { a = { desired_count = 1 } }\n":                     `environment = "staging", want "dev"`,
		"environment = \"dev\"\nregion = \"us-west-2\"\nservices = { a = { desired_count = 1.5 } }\n":                       "services.a.desired_count must be a whole number",
		"environment = \"dev\"\nregion = \"us-west-2\"\nservices = { a = { cpu = 1 } }\n":                                   "services.a has no desired_count",
	} {
		write(src)
		if _, err := ReadVars(dir, "dev"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

// A thin root (provider and one module call with literal values, no
// terraform.tfvars) is read from its main.tf.
func TestReadVarsOfAThinRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "envs", "staging"), 0o755); err != nil {
		t.Fatal(err)
	}
	mainTF := `provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["210987654321"]
}

module "environment" {
  source      = "../../modules/environment"
  environment = "staging"
  services = {
    gateway = {
      cpu           = 512
      health_check  = ["CMD", "/equiptrack", "probe", "/healthz"]
      desired_count = 2
    }
    ui = {
      cpu           = 256
      desired_count = 2
    }
  }
}

output "url" {
  value = module.environment.url
}
`
	if err := os.WriteFile(filepath.Join(dir, "envs", "staging", "main.tf"), []byte(mainTF), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := ReadVars(dir, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if v.Region != "us-east-1" || v.Account != "210987654321" || countsText(v.Desired) != "gateway 2, ui 2" {
		t.Errorf("vars = %+v", v)
	}
}

func TestOverrideForUndeclaredSettings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "variables.tf"), []byte("variable \"initial_image_tag\" {\n  type = string\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars, err := RootVariables(dir)
	if err != nil || !vars["initial_image_tag"] || len(vars) != 1 {
		t.Fatalf("variables = %v, %v", vars, err)
	}
	got := OverrideText(map[string]string{"db_deletion_protection": "false", "secret_recovery_window_days": "0", "initial_image_tag": "v1.0.0"})
	want := `# Written by the equiptrack kit for one lifecycle run (up, destroy) and removed at its end:
# delete it if a run was killed. Terraform merges *_override.tf into the configuration.
module "environment" {
  db_deletion_protection      = false
  initial_image_tag           = "v1.0.0"
  secret_recovery_window_days = 0
}
`
	if got != want {
		t.Errorf("override:\n%s\nwant:\n%s", got, want)
	}
}
