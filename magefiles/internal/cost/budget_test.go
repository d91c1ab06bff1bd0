package cost

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// The six services of the application; each environment must price all of
// them, or the budget check would pass on a plan that lost a service.
var appServices = []string{"gateway", "inventory", "location", "user", "reporting", "ui"}

// TestBudgetOfCommittedEnvironments plans terraform/envs/dev and
// terraform/envs/staging offline as committed and checks the budget
// (docs/cost.md): both environments, always on (no schedule), under
// $200/month, every service priced, nothing unpriced; and dev's bill at
// least halved against dev as it was (gateway 3, inventory 2, location 2,
// the others 1, all on-demand x86 Fargate).
func TestBudgetOfCommittedEnvironments(t *testing.T) {
	if testing.Short() {
		t.Skip("plans both environments with OpenTofu (not under -short)")
	}
	// OpenTofu and the replica come provisioned (go run magefile.go test:tools).
	ctx, cancel := context.WithTimeout(cachedir.Provisioned(context.Background()), 8*time.Minute)
	defer cancel()
	plans, err := PlanEnvironments(ctx, filepath.Join("..", "..", "..", "terraform"), Environments, tfdriver.CheckerOptions{}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	p, a := defaults(t)
	r, err := Estimates(plans, Environments, p, a, Options{AlwaysOn: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.Write(&b, Text); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	for _, e := range r.Environments {
		priced := map[string]bool{}
		for _, l := range e.Lines {
			if l.Category == CatFargate && l.Monthly > 0 {
				priced[l.Name] = true
			}
		}
		for _, s := range appServices {
			if !priced[s] {
				t.Errorf("%s: no priced Fargate line for service %s", e.Env, s)
			}
		}
	}
	if err := r.CheckBudget(); err != nil {
		t.Errorf("budget: %v", err)
	}
	sd := r.ScaleDown
	if sd == nil {
		t.Fatal("no scale-down of dev")
	}
	t.Logf("dev as it was $%s, now $%s (-%.1f%%); Fargate $%s -> $%s (-%.1f%%)",
		usd(sd.TotalBefore), usd(sd.TotalNow), sd.TotalSaved, usd(sd.FargateBefore), usd(sd.FargateNow), sd.FargateSaved)
	if sd.TotalNow > sd.TotalBefore/2 {
		t.Errorf("dev now $%s is more than half of dev as it was ($%s): the scale-down must at least halve dev's bill", usd(sd.TotalNow), usd(sd.TotalBefore))
	}
}
