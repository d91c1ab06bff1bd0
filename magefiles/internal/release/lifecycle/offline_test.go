package lifecycle

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// countsApplier is the Terraform runner of the end-to-end test: the real
// Runner (OpenTofu, the dev root, the schema replica applying what it
// plans), and, once a plan is applied, its planned desired counts applied
// to the fake AWS's services — what ECS does when Terraform updates them.
type countsApplier struct {
	*Runner
	aws   *fakeAWS
	plans map[string]*Plan
}

func (c *countsApplier) Plan(ctx context.Context, spec tfdriver.PlanSpec) (*Plan, error) {
	p, err := c.Runner.Plan(ctx, spec)
	if err == nil {
		c.plans[p.File] = p
	}
	return p, err
}

func (c *countsApplier) Apply(ctx context.Context, file string) error {
	if err := c.Runner.Apply(ctx, file); err != nil {
		return err
	}
	c.aws.mu.Lock()
	defer c.aws.mu.Unlock()
	for _, rc := range c.plans[file].JSON.ResourceChanges {
		if rc.Type != "aws_ecs_service" || !rc.Change.Actions.Update() {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		name := regexp.MustCompile(`\["([^"]+)"\]`).FindStringSubmatch(rc.Address)[1]
		c.aws.services[name].desired = int(after["desired_count"].(float64))
		c.aws.services[name].rollout = "IN_PROGRESS"
	}
	return nil
}

// TestScaleDownOfTheRealDevRoot: the repository's dev root, brought to the
// seed's 3/2/2/1/1/1 with the replica, scaled down to the committed one
// task each through the real plan JSON, guard and cost estimate.
func TestScaleDownOfTheRealDevRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("applies and plans dev with OpenTofu and the schema replica; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	env, err := tfdriver.Offline(ctx, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	// LIFECYCLE_TERRAFORM_ROOT points the test at another tree (a branch's
	// thin roots, a mutated copy).
	root := filepath.Join("..", "..", "..", "..", "terraform")
	if r := os.Getenv("LIFECYCLE_TERRAFORM_ROOT"); r != "" {
		root = r
	}
	r, err := OpenRunner(ctx, env, root, "dev", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// dev as the seed found it, in the scratch copy's tfvars (a saved plan
	// is applied with the tfvars it was made with).
	tfvars := filepath.Join(r.Root(), "terraform.tfvars")
	if _, err := os.Stat(tfvars); err != nil {
		tfvars = filepath.Join(r.Root(), "main.tf") // a thin root: the values are in its module call
	}
	committed, err := os.ReadFile(tfvars)
	if err != nil {
		t.Fatal(err)
	}
	asItWas := committed
	for name, n := range map[string]string{"gateway": "3", "inventory": "2", "location": "2"} {
		re := regexp.MustCompile(`(?m)^(\s*` + name + `\s*=\s*\{[^}]*desired_count\s*=\s*)1`)
		if !re.Match(asItWas) {
			t.Fatalf("terraform.tfvars: no desired_count = 1 for %s", name)
		}
		asItWas = re.ReplaceAll(asItWas, []byte("${1}"+n))
	}
	if err := os.WriteFile(tfvars, asItWas, 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := r.Plan(ctx, tfdriver.PlanSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, first.File); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tfvars, committed, 0o644); err != nil {
		t.Fatal(err)
	}

	// up's registry step on the real root: the plan targeted at the
	// registry module names every repository up pushes to.
	reg, err := r.Plan(ctx, tfdriver.PlanSpec{Targets: []string{RegistryTarget}})
	if err != nil {
		t.Fatal(err)
	}
	repos, err := RepositoryURLs(reg.JSON, "123456789012", "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 7 || repos["gateway"] != "123456789012.dkr.ecr.us-west-2.amazonaws.com/equiptrack-dev/gateway" ||
		repos["seeder"] != "123456789012.dkr.ecr.us-west-2.amazonaws.com/equiptrack-dev/seeder" {
		t.Errorf("repositories = %v", repos)
	}

	// <env>:secrets reads the real root's output `secrets` from the state
	// the apply left: every purpose, named, with its generation policy.
	specs, err := ReadSecretSpecs(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]awsenv.SecretSpec{
		SecretJWT:           {Name: "equiptrack-dev/jwt-signing-key", Length: 64, ExcludePunctuation: true},
		SecretAdminPassword: {Name: "equiptrack-dev/seed-admin-password", Length: 24, ExcludeCharacters: "\"'`\\/@ ", RequireEachIncludedType: true},
		SecretDBAppPassword: {Name: "equiptrack-dev/db-app-password", Length: 32, ExcludePunctuation: true},
	} {
		if specs[p] != want {
			t.Errorf("secrets.%s = %+v, want %+v", p, specs[p], want)
		}
	}

	aws := seedDev()
	tf := &countsApplier{Runner: r, aws: aws, plans: map[string]*Plan{}}
	var out bytes.Buffer
	e := devEnv(aws, tf, &out)
	e.Cost = PlanCost
	res, err := e.ScaleDown(ctx, ScaleOptions{})
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Nothing {
		t.Fatal("nothing to do at 3/2/2/1/1/1")
	}
	// Seven tasks fewer on Fargate Spot in us-west-2 — gateway 2 x $6.31,
	// inventory and location 1 x $3.16 each (the per-task lines of the cost
	// report) — and four Cloud Map instances fewer at $0.10: $19.33 a
	// month, give or take a cent of rounding per line. The rest of dev
	// (database, cache, load balancer) does not move.
	if d := res.CostBefore - res.CostAfter; d < 19.30 || d > 19.35 {
		t.Errorf("monthly saving = $%.2f (%.2f -> %.2f), want $19.33 +- 0.03", d, res.CostBefore, res.CostAfter)
	}
	for _, want := range []string{
		"dev:   gateway: 3 -> 1 tasks\n",
		"gateway    3       1      1        COMPLETED\n",
		"dev: monthly cost: $",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	out.Reset()
	res, err = e.ScaleDown(ctx, ScaleOptions{})
	if err != nil || !res.Nothing {
		t.Fatalf("second run: nothing = %v, err = %v\n%s", res != nil && res.Nothing, err, out.String())
	}
	if err := e.Verify(ctx); err != nil {
		t.Error(err)
	}

	// Destroy on the real root: the deletion protections lifted by one
	// targeted apply (only updates, of exactly the protected resources),
	// then everything destroyed — the plan files applied without the -var
	// values they were planned with.
	out.Reset()
	n := len(tf.plans)
	if err := e.Destroy(ctx, DestroyOptions{Confirm: "dev"}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	var lift, destroy *Plan
	for _, p := range tf.plans {
		if len(tf.plans) != n+2 {
			t.Fatalf("destroy planned %d times, want 2", len(tf.plans)-n)
		}
		if p.JSON.PriorState == nil {
			continue
		}
		switch {
		case hasAction(p, "delete"):
			destroy = p
		case hasAction(p, "update") && !hasAction(p, "create"):
			if lift == nil || p.File > lift.File {
				lift = p
			}
		}
	}
	if lift == nil || destroy == nil {
		t.Fatal("no protection plan or no destroy plan")
	}
	var lifted []string
	for _, rc := range lift.JSON.ResourceChanges {
		if rc.Change.Actions.Update() {
			lifted = append(lifted, rc.Type)
		}
	}
	if got := strings.Join(lifted, ","); got != "aws_db_instance,aws_ecr_repository,aws_ecr_repository,aws_ecr_repository,aws_ecr_repository,aws_ecr_repository,aws_ecr_repository,aws_ecr_repository,aws_secretsmanager_secret,aws_secretsmanager_secret,aws_secretsmanager_secret" {
		t.Errorf("protections lifted on %s", got)
	}
	if !strings.Contains(out.String(), "dev: destroy: done") || !strings.Contains(out.String(), "-> $0.00") {
		t.Errorf("destroy output:\n%s", out.String())
	}
}

func hasAction(p *Plan, action string) bool {
	for _, rc := range p.JSON.ResourceChanges {
		for _, a := range rc.Change.Actions {
			if string(a) == action {
				return true
			}
		}
	}
	return false
}
