package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/planguard"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Env is one environment and the seams its flows run through. Services,
// Health are needed by ScaleDown, Verify and Up only.
type Env struct {
	Name     string
	Vars     *Vars
	TF       Terraform
	Caller   Caller
	Services Services
	Health   Health
	// URL returns the environment's public URL (from its facts), printed
	// by up and verify; nil or "" when unknown.
	URL   func(context.Context) string
	Cost  Coster
	Out   io.Writer
	Clock Clock
	// WaitTimeout bounds the wait for services to settle (default 15 min);
	// PollEvery is the status poll interval (default 10 s).
	WaitTimeout time.Duration
	PollEvery   time.Duration

	checked bool // the identity was checked (once per run is enough)
}

func (e *Env) logf(format string, args ...any) {
	if e.Out != nil {
		fmt.Fprintf(e.Out, e.Name+": "+format+"\n", args...)
	}
}

func (e *Env) url(ctx context.Context) string {
	if e.URL == nil {
		return ""
	}
	return e.URL(ctx)
}

func (e *Env) clock() Clock {
	if e.Clock.Now == nil || e.Clock.Sleep == nil {
		return RealClock()
	}
	return e.Clock
}

// CheckIdentity refuses credentials of another account, or a client
// pointed at another region, before any work: a plan against the wrong
// account would offer to create the whole environment there.
func (e *Env) CheckIdentity(ctx context.Context) error {
	if e.checked {
		return nil
	}
	if e.Vars.Account == "" {
		return fmt.Errorf("%s: terraform/envs/%s names no %s: commit the environment's AWS account (12 digits) so that a wrong account is refused before any work", e.Name, e.Name, AccountVar)
	}
	if e.Caller == nil {
		return fmt.Errorf("%s: no AWS identity to check", e.Name)
	}
	id, err := e.Caller.Identity(ctx)
	if err != nil {
		return fmt.Errorf("%s: sts GetCallerIdentity: %w", e.Name, err)
	}
	if id.Account != e.Vars.Account {
		return fmt.Errorf("%s: the AWS credentials are of account %s (%s), %s lives in %s (terraform/envs/%s): use the environment's credentials", e.Name, id.Account, id.ARN, e.Name, e.Vars.Account, e.Name)
	}
	if id.Region != e.Vars.Region {
		return fmt.Errorf("%s: the AWS region is %s, %s lives in %s (terraform/envs/%s): unset AWS_REGION/AWS_DEFAULT_REGION or set it to %s", e.Name, id.Region, e.Name, e.Vars.Region, e.Name, e.Vars.Region)
	}
	e.logf("account %s, region %s (%s)", id.Account, id.Region, id.ARN)
	e.checked = true
	return nil
}

// show prints a plan's summary and its monthly cost before -> after.
func (e *Env) show(p *Plan) {
	if !p.Changes {
		e.logf("plan: no changes")
		return
	}
	for _, line := range strings.Split(strings.TrimRight(tfdriver.Summary(p.JSON), "\n"), "\n") {
		e.logf("  %s", line)
	}
	if e.Cost == nil {
		return
	}
	before, after, err := e.Cost(e.Name, p.JSON)
	if err != nil {
		// The estimate informs, it does not gate: say why it is missing.
		e.logf("monthly cost: not estimated (%v)", err)
		return
	}
	e.logf("monthly cost: $%.2f -> $%.2f (%s)", before, after, signed(after-before))
}

func signed(d float64) string {
	if d < 0 {
		return fmt.Sprintf("-$%.2f", -d)
	}
	return fmt.Sprintf("+$%.2f", d)
}

// guard refuses a plan replacing or destroying stateful resources not in
// allow, and an allow naming something the plan does not touch.
func guard(p *tfjson.Plan, allow []string) error {
	if bad := planguard.Unallowed(p, allow); len(bad) > 0 {
		return fmt.Errorf("-allowReplace names %s, which the plan neither replaces nor destroys", strings.Join(bad, ", "))
	}
	return planguard.Stateful(p, allow)
}

// PlanOptions are <env>:plan's.
type PlanOptions struct {
	Spec tfdriver.PlanSpec
}

// Plan checks the identity, plans, and prints the summary by resource
// type and the monthly cost before -> after. The plan file it returns is
// what `<env>:apply -plan=<file>` applies.
func (e *Env) Plan(ctx context.Context, o PlanOptions) (*Plan, error) {
	if err := e.CheckIdentity(ctx); err != nil {
		return nil, err
	}
	p, err := e.TF.Plan(ctx, o.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: plan: %w", e.Name, err)
	}
	e.show(p)
	if p.Changes {
		if err := guard(p.JSON, nil); err != nil {
			// Shown, not refused: apply refuses it (unless allowed).
			e.logf("apply would refuse this plan: %v", err)
		}
		e.logf("plan saved: %s (apply exactly this plan: mage %s:apply -plan=%s)", p.File, e.Name, p.File)
	}
	return p, nil
}

// ApplyOptions are <env>:apply's.
type ApplyOptions struct {
	// PlanFile applies a saved plan; empty plans first (and applies
	// exactly the plan shown).
	PlanFile string
	// AllowReplace names stateful resources the plan may replace or
	// destroy.
	AllowReplace []string
	Spec         tfdriver.PlanSpec
}

// Apply checks the identity, plans (or reads the saved plan), prints it,
// refuses replacing or destroying stateful resources unless allowed, and
// applies that plan file.
func (e *Env) Apply(ctx context.Context, o ApplyOptions) (*Plan, error) {
	if err := e.CheckIdentity(ctx); err != nil {
		return nil, err
	}
	var p *Plan
	var err error
	if o.PlanFile != "" {
		p, err = e.TF.Show(ctx, o.PlanFile)
	} else {
		p, err = e.TF.Plan(ctx, o.Spec)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: plan: %w", e.Name, err)
	}
	e.show(p)
	if !p.Changes {
		e.logf("nothing to apply")
		return p, nil
	}
	if err := guard(p.JSON, o.AllowReplace); err != nil {
		return nil, fmt.Errorf("%s: apply refused: %w", e.Name, err)
	}
	if err := e.apply(ctx, "apply", p); err != nil {
		return nil, err
	}
	return p, nil
}

func (e *Env) apply(ctx context.Context, what string, p *Plan) error {
	t := e.clock().Now()
	if err := e.TF.Apply(ctx, p.File); err != nil {
		return fmt.Errorf("%s: %s: %w", e.Name, what, err)
	}
	e.logf("%s: done in %s", what, e.clock().Now().Sub(t).Round(100*time.Millisecond))
	return nil
}

// Protection is one deletion protection destroy lifts first, with a
// targeted apply of a variable.
type Protection struct {
	What   string
	Target string
	Var    string
	Value  string
}

// Protections are the environment roots' deletion protections: the
// database (deletion_protection; the final snapshot is kept), the
// repositories (they hold images: force_delete), and the secrets' recovery
// window (a secret scheduled for deletion blocks recreating the
// environment under the same name for that many days).
var Protections = []Protection{
	{"database deletion protection", "module.environment.module.postgres.aws_db_instance.this", "db_deletion_protection", "false"},
	{"repositories holding images", "module.environment.module.registry", "ecr_force_delete", "true"},
	{"secrets' recovery window", "module.environment.module.secrets", "secret_recovery_window_days", "0"},
}

// DestroyOptions are <env>:destroy's.
type DestroyOptions struct {
	// Confirm must be the environment's name.
	Confirm string
}

// ErrNotConfirmed: destroy without -confirm=<env>.
var ErrNotConfirmed = errors.New("destroy needs -confirm=<environment name>")

// Destroy checks the confirmation and the identity, lifts the deletion
// protections with one targeted apply, then plans and applies the
// destruction of everything.
func (e *Env) Destroy(ctx context.Context, o DestroyOptions) error {
	if o.Confirm != e.Name {
		if o.Confirm == "" {
			return fmt.Errorf("%s: %w: -confirm=%s", e.Name, ErrNotConfirmed, e.Name)
		}
		return fmt.Errorf("%s: %w: -confirm=%q does not name %s", e.Name, ErrNotConfirmed, o.Confirm, e.Name)
	}
	if err := e.CheckIdentity(ctx); err != nil {
		return err
	}
	vars := map[string]string{}
	var targets []string
	for _, pr := range Protections {
		vars[pr.Var] = pr.Value
		targets = append(targets, pr.Target)
	}
	unprotect, err := e.TF.Plan(ctx, tfdriver.PlanSpec{Targets: targets, Vars: vars})
	if err != nil {
		return fmt.Errorf("%s: plan lifting deletion protection: %w", e.Name, err)
	}
	if unprotect.Changes {
		for _, pr := range Protections {
			e.logf("lifting %s (%s = %s)", pr.What, pr.Var, pr.Value)
		}
		// Only the protections may change here: anything else in this
		// targeted plan means the configuration drifted.
		for _, rc := range unprotect.JSON.ResourceChanges {
			if rc.Change != nil && (rc.Change.Actions.Delete() || rc.Change.Actions.Create()) && rc.Mode == tfjson.ManagedResourceMode {
				return fmt.Errorf("%s: lifting deletion protection would also %v %s: apply the configuration first (%s:apply)", e.Name, rc.Change.Actions, rc.Address, e.Name)
			}
		}
		if err := e.apply(ctx, "lift deletion protection", unprotect); err != nil {
			return err
		}
	} else {
		e.logf("deletion protection already lifted")
	}
	p, err := e.TF.Plan(ctx, tfdriver.PlanSpec{Destroy: true, Vars: vars})
	if err != nil {
		return fmt.Errorf("%s: plan destroy: %w", e.Name, err)
	}
	e.show(p)
	if !p.Changes {
		e.logf("nothing to destroy")
		return nil
	}
	return e.apply(ctx, "destroy", p)
}
