package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/release/lifecycle"
	"github.com/equiptrack/release-kit/magefiles/internal/release/version"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// The environment lifecycle through Terraform (docs/lifecycle.md):
// <env>:plan, apply, destroy, up, verify, and dev:scaleDown. The flows are
// in internal/release/lifecycle; here the arguments are checked, the
// seams built, and the environment variables read:
//
//	AWS_PROFILE, AWS_REGION, … the AWS SDK's usual configuration (the
//	                            region defaults to the environment's)
//	AWS_ENDPOINT_URL            every AWS client's endpoint (a fake AWS)
//	TF_BINARY                   terraform/tofu binary instead of the kit's OpenTofu
//	EQUIPTRACK_KIT_CACHE        the kit's cache (plan files: plans/<env>-aws/)

// Plan plans dev against its real backend (dev.s3.tfbackend) with the
// real provider, after checking the AWS account and region; prints the
// change summary by resource type, the monthly cost before -> after, and
// the saved plan file for `dev:apply -plan=<file>`.
func (Dev) Plan(ctx context.Context) error { return lifecyclePlan(ctx, "dev") }

// Apply plans dev and applies exactly that plan (or -plan=<file>, a plan
// saved by dev:plan), refusing one that replaces or destroys the database,
// the cache or a bucket unless -allowReplace=<address>[,<address>] names it.
func (Dev) Apply(ctx context.Context, plan, allowReplace *string) error {
	return lifecycleApply(ctx, "dev", plan, allowReplace)
}

// Destroy destroys dev: -confirm=dev is required. Lifts the deletion
// protections first (database, repositories holding images, secrets'
// recovery window) with a targeted apply; the database's final snapshot is
// kept.
func (Dev) Destroy(ctx context.Context, confirm *string) error {
	return lifecycleDestroy(ctx, "dev", confirm)
}

// Up takes dev from an empty account (after terraform/bootstrap) to healthy
// and seeded at <version> (a commit SHA): the registry, build and push, the
// rest of the apply at that version, secrets, migrate, health, seed.
// Re-runnable: after a failure the same command converges.
func (Dev) Up(ctx context.Context, version string) error { return lifecycleUp(ctx, "dev", version) }

// Secrets sets every secret of dev that has no value yet (Terraform creates
// them without one) with a value Secrets Manager generates by the policy
// in Terraform's output `secrets`; -rotate=<purpose>[,<purpose>] (jwt,
// admin_password, db_app_password) or -rotate=all puts new values. After
// the app database password changes, the migration sets it and every
// service is redeployed; after the JWT key, the gateway. No value is
// printed.
func (Dev) Secrets(ctx context.Context, rotate *string) error {
	return lifecycleSecrets(ctx, "dev", rotate)
}

// Verify compares dev's services with its committed desired counts (desired = running,
// rollout COMPLETED) and checks health through the URL.
func (Dev) Verify(ctx context.Context) error { return lifecycleVerify(ctx, "dev") }

// ScaleDown applies dev's one task per service through Terraform: refuses a
// plan changing anything but the desired counts (and what is tied to them)
// unless -allowOtherChanges=true; waits until every service runs 1 task
// with its rollout COMPLETED; checks health; prints before -> after per
// service and the monthly cost. A second run has nothing to do.
func (Dev) ScaleDown(ctx context.Context, allowOtherChanges *bool, allowReplace *string) error {
	v, err := lifecycle.ReadVars(terraformRoot, "dev")
	if err != nil {
		return err
	}
	for _, s := range v.Services() {
		if v.Desired[s] != 1 {
			return fmt.Errorf("dev:scaleDown: terraform/envs/dev sets %s desired_count = %d: the scale-down runs one task per service (set it to 1, or use dev:apply)", s, v.Desired[s])
		}
	}
	allow, err := addresses(allowReplace)
	if err != nil {
		return err
	}
	return withLifecycle(ctx, "dev", true, func(e *lifecycle.Env, _ *awsSeams) error {
		_, err := e.ScaleDown(ctx, lifecycle.ScaleOptions{AllowOtherChanges: allowOtherChanges != nil && *allowOtherChanges, AllowReplace: allow})
		return err
	})
}

// Plan plans staging against its real backend; see dev:plan.
func (Staging) Plan(ctx context.Context) error { return lifecyclePlan(ctx, "staging") }

// Apply applies a plan of staging; see dev:apply.
func (Staging) Apply(ctx context.Context, plan, allowReplace *string) error {
	return lifecycleApply(ctx, "staging", plan, allowReplace)
}

// Destroy destroys staging: -confirm=staging is required; see dev:destroy.
func (Staging) Destroy(ctx context.Context, confirm *string) error {
	return lifecycleDestroy(ctx, "staging", confirm)
}

// Up takes staging from an empty account to healthy and seeded at
// <version> (vX.Y.Z): `staging:up v1.0.0` is the initial staging setup.
func (Staging) Up(ctx context.Context, version string) error {
	return lifecycleUp(ctx, "staging", version)
}

// Secrets sets staging's missing secret values, or rotates them with
// -rotate=<purpose>|all; see dev:secrets.
func (Staging) Secrets(ctx context.Context, rotate *string) error {
	return lifecycleSecrets(ctx, "staging", rotate)
}

// Verify compares staging's services with its committed desired counts; see dev:verify.
func (Staging) Verify(ctx context.Context) error { return lifecycleVerify(ctx, "staging") }

func lifecyclePlan(ctx context.Context, env string) error {
	return withLifecycle(ctx, env, false, func(e *lifecycle.Env, _ *awsSeams) error {
		_, err := e.Plan(ctx, lifecycle.PlanOptions{})
		return err
	})
}

func lifecycleApply(ctx context.Context, env string, plan, allowReplace *string) error {
	allow, err := addresses(allowReplace)
	if err != nil {
		return err
	}
	o := lifecycle.ApplyOptions{AllowReplace: allow}
	if plan != nil && *plan != "" {
		if _, err := os.Stat(*plan); err != nil {
			return fmt.Errorf("%s:apply: -plan: %w", env, err)
		}
		if o.PlanFile, err = filepath.Abs(*plan); err != nil {
			return err
		}
	}
	return withLifecycle(ctx, env, false, func(e *lifecycle.Env, _ *awsSeams) error {
		_, err := e.Apply(ctx, o)
		return err
	})
}

func lifecycleDestroy(ctx context.Context, env string, confirm *string) error {
	c := ""
	if confirm != nil {
		c = *confirm
	}
	if c != env {
		// Refused before anything is read or opened.
		return (&lifecycle.Env{Name: env}).Destroy(ctx, lifecycle.DestroyOptions{Confirm: c})
	}
	return withLifecycle(ctx, env, false, func(e *lifecycle.Env, _ *awsSeams) error {
		return e.Destroy(ctx, lifecycle.DestroyOptions{Confirm: c})
	})
}

func lifecycleUp(ctx context.Context, env, v string) error {
	kind := version.Semver
	if env == "dev" {
		kind = version.Commit
	}
	if err := version.Validate(kind, v); err != nil {
		return fmt.Errorf("%s:up: %w", env, err)
	}
	return withLifecycle(ctx, env, true, func(e *lifecycle.Env, a *awsSeams) error {
		s, err := a.secrets(ctx, e.TF)
		if err != nil {
			return err
		}
		return e.Up(ctx, lifecycle.UpOptions{Version: v, Release: a.Release, Secrets: s, Redeploy: a.redeploy})
	})
}

// lifecycleSecrets is <env>:secrets: -rotate is checked before anything
// is read.
func lifecycleSecrets(ctx context.Context, env string, rotate *string) error {
	r := ""
	if rotate != nil {
		r = *rotate
	}
	purposes, err := lifecycle.ParseRotate(r)
	if err != nil {
		return fmt.Errorf("%s:secrets: %w", env, err)
	}
	return withLifecycle(ctx, env, true, func(e *lifecycle.Env, a *awsSeams) error {
		s, err := a.secrets(ctx, e.TF)
		if err != nil {
			return err
		}
		return s.Run(ctx, purposes)
	})
}

func lifecycleVerify(ctx context.Context, env string) error {
	// Verify reads AWS only: no Terraform init.
	return withLifecycleTF(ctx, env, true, false, func(e *lifecycle.Env, _ *awsSeams) error { return e.Verify(ctx) })
}

// addresses splits -allowReplace=<a>,<b>.
func addresses(s *string) ([]string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	var out []string
	for _, a := range strings.Split(*s, ",") {
		a = strings.TrimSpace(a)
		if a == "" || strings.ContainsAny(a, " \t") {
			return nil, fmt.Errorf("-allowReplace=%q: want resource addresses separated by commas", *s)
		}
		out = append(out, a)
	}
	return out, nil
}

// withLifecycle reads the environment's tfvars, checks the AWS identity,
// then (only then) initialises Terraform against the real backend and runs
// fn. needServices: the flow also reads ECS and the URL (verify, up,
// scaleDown), which the AWS backend provides.
func withLifecycle(ctx context.Context, env string, needServices bool, fn func(*lifecycle.Env, *awsSeams) error) error {
	return withLifecycleTF(ctx, env, needServices, true, fn)
}

func withLifecycleTF(ctx context.Context, env string, needServices, needTF bool, fn func(*lifecycle.Env, *awsSeams) error) error {
	if err := tfdriver.CheckEnv(terraformRoot, env); err != nil {
		return err
	}
	v, err := lifecycle.ReadVars(terraformRoot, env)
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(regionFor(v)))
	if err != nil {
		return fmt.Errorf("%s: AWS configuration: %w", env, err)
	}
	e := &lifecycle.Env{Name: env, Vars: v, Caller: lifecycle.NewSTSCaller(cfg, os.Getenv("AWS_ENDPOINT_URL")), Cost: lifecycle.PlanCost, Out: os.Stdout, Clock: lifecycle.RealClock()}
	if err := e.CheckIdentity(ctx); err != nil {
		return err
	}
	var seams *awsSeams
	if needServices {
		if seams, err = openAWS(ctx, env, v); err != nil {
			return err
		}
		e.Services, e.Health, e.URL = seams.Services, seams.Health, seams.URL
	}
	if !needTF {
		return fn(e, seams)
	}
	tfEnv, err := tfdriver.Online(ctx, os.Getenv("TF_BINARY"), logf)
	if err != nil {
		return err
	}
	tfEnv.Verbose = mg.Verbose()
	tfEnv.BackendConfig = map[string]string{"bucket": stateBucket(v.Account)}
	planDir, err := cachedir.Dir("plans", env+"-aws")
	if err != nil {
		return err
	}
	r, err := lifecycle.OpenRunner(ctx, tfEnv, terraformRoot, env, planDir)
	if err != nil {
		return err
	}
	defer r.Close()
	e.TF = r
	return fn(e, seams)
}

// stateBucket is the state bucket terraform/bootstrap creates
// (equiptrack-tfstate-<account>; no committed backend file names it), or
// TF_STATE_BUCKET where an account's bucket was named otherwise.
func stateBucket(account string) string {
	if b := os.Getenv("TF_STATE_BUCKET"); b != "" {
		return b
	}
	return "equiptrack-tfstate-" + account
}

// regionFor is the environment's region unless AWS_REGION or
// AWS_DEFAULT_REGION says otherwise — which the identity check then refuses.
func regionFor(v *lifecycle.Vars) string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(k); r != "" {
			return r
		}
	}
	return v.Region
}
