package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/planguard"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Rollout states of an ECS deployment.
const RolloutCompleted = "COMPLETED"

// Mismatch is a service not running as the tfvars say.
type Mismatch struct {
	Service string
	Want    int
	Got     ServiceStatus
	Missing bool
}

func (m Mismatch) String() string {
	if m.Missing {
		return fmt.Sprintf("%s: not found (want %d)", m.Service, m.Want)
	}
	return fmt.Sprintf("%s: desired %d, running %d, pending %d, rollout %s (want %d running, COMPLETED)", m.Service, m.Got.Desired, m.Got.Running, m.Got.Pending, orDash(m.Got.Rollout), m.Want)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Compare lists the services whose status differs from want: desired =
// running = want, nothing pending, rollout COMPLETED.
func Compare(want map[string]int, got []ServiceStatus) []Mismatch {
	by := map[string]ServiceStatus{}
	for _, s := range got {
		by[s.Name] = s
	}
	var out []Mismatch
	for _, name := range slices.Sorted(maps.Keys(want)) {
		s, ok := by[name]
		switch {
		case !ok:
			out = append(out, Mismatch{Service: name, Want: want[name], Missing: true})
		case s.Desired != want[name] || s.Running != want[name] || s.Pending != 0 || s.Rollout != RolloutCompleted:
			out = append(out, Mismatch{Service: name, Want: want[name], Got: s})
		}
	}
	return out
}

// VerifyError lists the services that do not run as the tfvars say.
type VerifyError struct {
	Env        string
	Mismatches []Mismatch
}

func (e *VerifyError) Error() string {
	lines := []string{fmt.Sprintf("%s: %d service(s) not as terraform/envs/%s says:", e.Env, len(e.Mismatches), e.Env)}
	for _, m := range e.Mismatches {
		lines = append(lines, "  "+m.String())
	}
	return strings.Join(lines, "\n")
}

// Verify checks every service against the tfvars' desired counts (and
// health through the URL when a Health is given), printing the table.
func (e *Env) Verify(ctx context.Context) error {
	st, err := e.Services.Status(ctx)
	if err != nil {
		return fmt.Errorf("%s: service status: %w", e.Name, err)
	}
	e.table(nil, st)
	if mm := Compare(e.Vars.Desired, st); len(mm) > 0 {
		return &VerifyError{Env: e.Name, Mismatches: mm}
	}
	if e.Health != nil {
		if err := e.Health.Check(ctx); err != nil {
			return fmt.Errorf("%s: health: %w", e.Name, err)
		}
		e.logf("health: ok")
	}
	e.logf("verified: every service runs its desired count")
	if u := e.url(ctx); u != "" {
		e.logf("url: %s", u)
	}
	return nil
}

// wait polls the services until they run as want, or WaitTimeout passes.
func (e *Env) wait(ctx context.Context, want map[string]int) ([]ServiceStatus, error) {
	c := e.clock()
	timeout, every := e.WaitTimeout, e.PollEvery
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	start := c.Now()
	last := ""
	for {
		st, err := e.Services.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("service status: %w", err)
		}
		mm := Compare(want, st)
		if len(mm) == 0 {
			e.logf("services settled in %s", c.Now().Sub(start).Round(time.Second))
			return st, nil
		}
		for _, m := range mm {
			if !m.Missing && m.Got.Rollout == "FAILED" {
				return st, fmt.Errorf("rollout FAILED: %s", m)
			}
		}
		var parts []string
		for _, m := range mm {
			parts = append(parts, fmt.Sprintf("%s %d/%d", m.Service, m.Got.Running, m.Want))
		}
		if now := strings.Join(parts, ", "); now != last {
			e.logf("waiting: %s", now)
			last = now
		}
		if c.Now().Sub(start) >= timeout {
			return st, fmt.Errorf("services not settled after %s: %w", timeout, &VerifyError{Env: e.Name, Mismatches: mm})
		}
		if err := c.Sleep(ctx, every); err != nil {
			return st, err
		}
	}
}

// ScaleOptions are <env>:scaleDown's.
type ScaleOptions struct {
	// AllowOtherChanges applies a plan that changes more than the desired
	// counts (what else changes is still printed).
	AllowOtherChanges bool
	AllowReplace      []string
}

// ScaleResult is what a scale-down did.
type ScaleResult struct {
	Before, After []ServiceStatus
	Nothing       bool // nothing to do
	CostBefore    float64
	CostAfter     float64
	CostErr       error
}

// ScaleDown brings the services to the tfvars' desired counts through
// Terraform: plan, refuse anything but desired counts (and what is tied to
// them) unless allowed, apply that plan, wait until every service runs its
// count with its rollout COMPLETED, check health, print before -> after.
func (e *Env) ScaleDown(ctx context.Context, o ScaleOptions) (*ScaleResult, error) {
	if err := e.CheckIdentity(ctx); err != nil {
		return nil, err
	}
	res := &ScaleResult{}
	var err error
	if res.Before, err = e.Services.Status(ctx); err != nil {
		return nil, fmt.Errorf("%s: service status: %w", e.Name, err)
	}
	p, err := e.TF.Plan(ctx, tfdriver.PlanSpec{})
	if err != nil {
		return nil, fmt.Errorf("%s: plan: %w", e.Name, err)
	}
	if !p.Changes {
		if mm := Compare(e.Vars.Desired, res.Before); len(mm) > 0 {
			// Terraform has nothing to do yet the services differ: ECS is
			// still converging, or something outside Terraform changed them.
			st, err := e.wait(ctx, e.Vars.Desired)
			if err != nil {
				return nil, fmt.Errorf("%s: Terraform has nothing to change, but %w", e.Name, err)
			}
			res.After = st
		} else {
			res.After = res.Before
		}
		res.Nothing = true
		e.logf("nothing to do: every service runs its desired count (%s)", countsText(e.Vars.Desired))
		return res, nil
	}
	if got := planguard.DesiredCounts(p.JSON); !sameCounts(got, e.Vars.Desired) {
		return nil, fmt.Errorf("%s: the plan's desired counts (%s) are not the committed ones (%s)", e.Name, floatCounts(got), countsText(e.Vars.Desired))
	}
	rep := planguard.ScaleOnly(p.JSON)
	for _, c := range rep.Counts {
		e.logf("  %s: %g -> %g tasks", c.Service, c.Before, c.After)
	}
	if len(rep.Tied) > 0 {
		e.logf("  and, tied to the counts: %s", strings.Join(rep.Tied, ", "))
	}
	if err := rep.Err(); err != nil {
		if !o.AllowOtherChanges {
			return nil, fmt.Errorf("%s: scale-down refused: %w", e.Name, err)
		}
		e.logf("applying other changes too (-allowOtherChanges): %v", err)
	}
	if err := guard(p.JSON, o.AllowReplace); err != nil {
		return nil, fmt.Errorf("%s: scale-down refused: %w", e.Name, err)
	}
	if e.Cost != nil {
		res.CostBefore, res.CostAfter, res.CostErr = e.Cost(e.Name, p.JSON)
	}
	if err := e.apply(ctx, "apply", p); err != nil {
		return nil, err
	}
	if res.After, err = e.wait(ctx, e.Vars.Desired); err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	if e.Health != nil {
		if err := e.Health.Check(ctx); err != nil {
			return nil, fmt.Errorf("%s: health after the scale-down: %w", e.Name, err)
		}
		e.logf("health: ok")
	}
	e.table(res.Before, res.After)
	switch {
	case e.Cost == nil:
	case res.CostErr != nil:
		e.logf("monthly cost: not estimated (%v)", res.CostErr)
	default:
		e.logf("monthly cost: $%.2f -> $%.2f (%s)", res.CostBefore, res.CostAfter, signed(res.CostAfter-res.CostBefore))
	}
	return res, nil
}

// table prints services before -> after (after only when before is nil).
func (e *Env) table(before, after []ServiceStatus) {
	if e.Out == nil {
		return
	}
	b := map[string]ServiceStatus{}
	for _, s := range before {
		b[s.Name] = s
	}
	sorted := append([]ServiceStatus(nil), after...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	w := tabwriter.NewWriter(e.Out, 0, 0, 2, ' ', 0)
	if before != nil {
		fmt.Fprintln(w, "service\tbefore\tafter\trunning\trollout")
		for _, s := range sorted {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", s.Name, b[s.Name].Desired, s.Desired, s.Running, orDash(s.Rollout))
		}
	} else {
		fmt.Fprintln(w, "service\twant\tdesired\trunning\tpending\trollout")
		for _, s := range sorted {
			want := "-"
			if n, ok := e.Vars.Desired[s.Name]; ok {
				want = fmt.Sprint(n)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\n", s.Name, want, s.Desired, s.Running, s.Pending, orDash(s.Rollout))
		}
	}
	_ = w.Flush()
}

func sameCounts(plan map[string]float64, want map[string]int) bool {
	if len(plan) != len(want) {
		return false
	}
	for k, v := range want {
		if n, ok := plan[k]; !ok || n != float64(v) {
			return false
		}
	}
	return true
}

func countsText(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func floatCounts(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %g", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// IsVerifyError reports whether err lists services not as the tfvars say.
func IsVerifyError(err error) bool {
	var v *VerifyError
	return errors.As(err, &v)
}
