package planguard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// These tests read real plan JSON: the repository's dev root, planned with
// OpenTofu against the hashicorp/aws schema replica. The replica applies
// what it plans, so dev can be brought to the seed's state first (gateway
// 3, inventory 2, location 2, the others 1) and then planned to the
// committed tfvars (one task each). Under -short they skip.

// asItWas is dev as the seed found it: the committed one task per service
// with gateway 3, inventory 2 and location 2 instead.
var asItWas = map[string]string{"gateway": "3", "inventory": "2", "location": "2"}

const dbAddress = "module.environment.module.postgres.aws_db_instance.this"

type realPlans struct {
	scaleDown, withExtra, replaceDB *tfjson.Plan
}

var (
	plansOnce sync.Once
	plans     realPlans
	plansErr  error
)

func loadRealPlans(t *testing.T) realPlans {
	t.Helper()
	if testing.Short() {
		t.Skip("applies and plans dev with OpenTofu and the schema replica (minutes); skipped under -short")
	}
	plansOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
		defer cancel()
		plans, plansErr = makeRealPlans(ctx, t.Logf)
	})
	if plansErr != nil {
		t.Fatalf("real plans: %v", plansErr)
	}
	return plans
}

func makeRealPlans(ctx context.Context, logf func(string, ...any)) (realPlans, error) {
	var out realPlans
	env, err := tfdriver.Offline(ctx, "", logf)
	if err != nil {
		return out, err
	}
	scratch, cleanup, err := tfdriver.Scratch(filepath.Join("..", "..", "..", "..", "terraform"), tfdriver.DropLocks)
	if err != nil {
		return out, err
	}
	defer cleanup()
	if env.TypesFile, err = tfdriver.WriteUsedTypes(scratch); err != nil {
		return out, err
	}
	d, err := env.Open(filepath.Join(scratch, "envs", "dev"))
	if err != nil {
		return out, err
	}
	if err := d.UseLocalBackend(); err != nil {
		return out, err
	}
	if err := d.InitWithBackend(ctx); err != nil {
		return out, err
	}
	// dev as it was goes into terraform.tfvars itself: OpenTofu compares
	// the auto-loaded tfvars with the values saved in a plan when applying
	// it, so an override given with -var-file at plan time would not apply.
	tfvars := filepath.Join(scratch, "envs", "dev", "terraform.tfvars")
	if _, err := os.Stat(tfvars); err != nil {
		tfvars = filepath.Join(scratch, "envs", "dev", "main.tf") // a thin root: the values are in its module call
	}
	committed, err := os.ReadFile(tfvars)
	if err != nil {
		return out, err
	}
	seed := committed
	for name, n := range asItWas {
		re := regexp.MustCompile(`(?m)^(\s*` + name + `\s*=\s*\{[^}]*desired_count\s*=\s*)1\b`)
		if !re.Match(seed) {
			return out, fmt.Errorf("%s: no desired_count = 1 for %s", tfvars, name)
		}
		seed = re.ReplaceAll(seed, []byte("${1}"+n))
	}
	if err := os.WriteFile(tfvars, seed, 0o644); err != nil {
		return out, err
	}
	step := func(name string, t0 time.Time) { logf("%s: %s", name, time.Since(t0).Round(100*time.Millisecond)) }
	t0 := time.Now()
	first := filepath.Join(scratch, "first.tfplan")
	if _, err := d.PlanSpec(ctx, first, tfdriver.PlanSpec{}); err != nil {
		return out, err
	}
	step("plan dev at 3/2/2/1/1/1", t0)
	t0 = time.Now()
	if err := d.Apply(ctx, first); err != nil {
		return out, err
	}
	step("apply", t0)
	if err := os.WriteFile(tfvars, committed, 0o644); err != nil {
		return out, err
	}
	plan := func(name string, spec tfdriver.PlanSpec) (*tfjson.Plan, error) {
		t0 := time.Now()
		f := filepath.Join(scratch, name+".tfplan")
		if _, err := d.PlanSpec(ctx, f, spec); err != nil {
			return nil, err
		}
		p, err := d.ShowPlanJSON(ctx, f)
		step("plan "+name, t0)
		return p, err
	}
	if out.scaleDown, err = plan("scale-down", tfdriver.PlanSpec{}); err != nil {
		return out, err
	}
	// One unrelated change besides the scale-down: the log retention, 7 ->
	// 30 days, in the committed file itself (a variable in one layout, a
	// module argument in a thin root).
	retention := regexp.MustCompile(`(?m)^(\s*log_retention_days\s*=\s*)7\b`)
	if !retention.Match(committed) {
		return out, fmt.Errorf("%s: no log_retention_days = 7", tfvars)
	}
	if err := os.WriteFile(tfvars, retention.ReplaceAll(committed, []byte("${1}30")), 0o644); err != nil {
		return out, err
	}
	if out.withExtra, err = plan("with-extra", tfdriver.PlanSpec{}); err != nil {
		return out, err
	}
	if err := os.WriteFile(tfvars, committed, 0o644); err != nil {
		return out, err
	}
	// The replica has no ForceNew logic: -replace is how a real plan
	// replacing the database is made here.
	if out.replaceDB, err = plan("replace-db", tfdriver.PlanSpec{Replace: []string{dbAddress}}); err != nil {
		return out, err
	}
	return out, nil
}

func TestRealScaleDownAccepted(t *testing.T) {
	p := loadRealPlans(t).scaleDown
	r := ScaleOnly(p)
	t.Logf("tied to the counts: %v", r.Tied)
	if err := r.Err(); err != nil {
		t.Fatalf("the scale-down plan is refused: %v", err)
	}
	var got []string
	for _, c := range r.Counts {
		got = append(got, c.Service+" "+ftoa(c.Before)+"->"+ftoa(c.After))
	}
	want := "gateway 3->1, inventory 2->1, location 2->1"
	if strings.Join(got, ", ") != want {
		t.Errorf("count changes = %q, want %q", strings.Join(got, ", "), want)
	}
	if err := Stateful(p, nil); err != nil {
		t.Errorf("stateful guard refuses the scale-down: %v", err)
	}
	wantCounts := map[string]float64{"gateway": 1, "inventory": 1, "location": 1, "user": 1, "reporting": 1, "ui": 1}
	gotCounts := DesiredCounts(p)
	for k, v := range wantCounts {
		if gotCounts[k] != v {
			t.Errorf("planned %s = %v, want %v", k, gotCounts[k], v)
		}
	}
	if len(gotCounts) != len(wantCounts) {
		t.Errorf("planned services = %v", gotCounts)
	}
}

func TestRealScaleDownWithAnotherChangeRefused(t *testing.T) {
	p := loadRealPlans(t).withExtra
	err := ScaleOnly(p).Err()
	var oc *OtherChangesError
	if !errors.As(err, &oc) {
		t.Fatalf("err = %v, want the other changes listed", err)
	}
	// Every log group of dev gets the new retention — the six services'
	// and the seeder's — and nothing else changes but the counts.
	want := `the plan changes 8 resource(s) besides the services' desired counts:
  update module.environment.module.migrate.aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.seeder.aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["gateway"].aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["inventory"].aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["location"].aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["reporting"].aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["ui"].aws_cloudwatch_log_group.this: retention_in_days
  update module.environment.module.service["user"].aws_cloudwatch_log_group.this: retention_in_days
  (apply them with <env>:apply first, or pass -allowOtherChanges=true to apply them with the scale-down)`
	if err.Error() != want {
		t.Errorf("refusal:\n%s\nwant:\n%s", err, want)
	}
	// The desired counts are still recognised besides.
	if n := len(ScaleOnly(p).Counts); n != 3 {
		t.Errorf("%d count changes, want 3", n)
	}
}

func TestRealReplacedDatabaseRefused(t *testing.T) {
	p := loadRealPlans(t).replaceDB
	err := Stateful(p, nil)
	var se *StatefulError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want the database refused", err)
	}
	if len(se.Offences) != 1 {
		t.Fatalf("offences = %v, want the database only", se.Offences)
	}
	o := se.Offences[0]
	if o.Address != dbAddress || o.Action != "replace" || o.Kind != "database" || o.Reason != "replacement requested with -replace" {
		t.Errorf("offence = %+v", o)
	}
	if !strings.Contains(err.Error(), "replace "+dbAddress+" (database)") || !strings.Contains(err.Error(), "-allowReplace=") {
		t.Errorf("message:\n%s", err)
	}
	if err := Stateful(p, []string{dbAddress}); err != nil {
		t.Errorf("allowed by address, still refused: %v", err)
	}
	if got := Unallowed(p, []string{dbAddress, "module.environment.module.redis.aws_elasticache_serverless_cache.this[0]"}); len(got) != 1 || !strings.Contains(got[0], "redis") {
		t.Errorf("Unallowed = %v, want the cache (not replaced) only", got)
	}
	// And a scale-down guard sees the replacement as another change.
	if err := ScaleOnly(p).Err(); err == nil || !strings.Contains(err.Error(), "replace "+dbAddress) {
		t.Errorf("scale-only err = %v", err)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
