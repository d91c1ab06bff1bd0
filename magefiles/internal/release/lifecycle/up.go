package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// ImageTagVar is the environment roots' variable naming the image tag the
// task definitions Terraform registers point at. up sets it to the version
// it pushed, so no service ever points at a missing image (a first apply
// at the default "latest" would: staging's immutable repositories never
// hold it).
const ImageTagVar = "initial_image_tag"

// RegistryTarget is the module up applies first: the repositories must
// exist before images can be pushed, and the services after the images.
const RegistryTarget = "module.environment.module.registry"

// UpOptions are <env>:up's.
type UpOptions struct {
	Version string
	Release Release
	Secrets Secrets
	// AllowReplace, as for apply: up never replaces data unasked.
	AllowReplace []string
	// Redeploy forces a new deployment of the named services on the
	// revisions they have (the AWS backend's); nil skips the restart of
	// the services that have not started (see Up).
	Redeploy func(ctx context.Context, services []string) error
}

// Up takes the environment from an empty account (after bootstrap) to
// healthy and seeded at version: the registry, build and push, the rest of
// the apply with every service at version, the secrets, migrate, the
// services settled, health, seed. Every step converges when run again:
// a plan without changes is not applied, images already pushed are not
// rebuilt, migrations and the seed are idempotent.
func (e *Env) Up(ctx context.Context, o UpOptions) error {
	if o.Version == "" {
		return fmt.Errorf("%s: up needs a version", e.Name)
	}
	if err := e.CheckIdentity(ctx); err != nil {
		return err
	}
	vars := map[string]string{ImageTagVar: o.Version}
	var repos map[string]string
	steps := []struct {
		name string
		fn   func() error
	}{
		{"registry", func() error {
			p, err := e.planApply(ctx, tfdriver.PlanSpec{Targets: []string{RegistryTarget}, Vars: vars}, o.AllowReplace)
			if err != nil {
				return err
			}
			repos, err = RepositoryURLs(p.JSON, e.Vars.Account, e.Vars.Region)
			return err
		}},
		{"build and push " + o.Version, func() error { return o.Release.BuildPush(ctx, o.Version, repos) }},
		{"apply at " + o.Version, func() error { _, err := e.planApply(ctx, tfdriver.PlanSpec{Vars: vars}, o.AllowReplace); return err }},
		{"secrets", func() error { return o.Secrets.Ensure(ctx) }},
		{"migrate", func() error { return o.Release.Migrate(ctx, o.Version) }},
		{"services", func() error { return e.startServices(ctx, o.Redeploy) }},
		{"health", func() error { return e.Health.Check(ctx) }},
		{"seed", func() error { return o.Release.Seed(ctx, o.Version) }},
	}
	c := e.clock()
	for i, s := range steps {
		t := c.Now()
		e.logf("[%d/%d] %s", i+1, len(steps), s.name)
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: up %s, step %s: %w (run the same command again once fixed: every step converges)", e.Name, o.Version, s.name, err)
		}
		e.logf("[%d/%d] %s: ok %s", i+1, len(steps), s.name, c.Now().Sub(t).Round(100*time.Millisecond))
	}
	if u := e.url(ctx); u != "" {
		e.logf("up at %s: %s", o.Version, u)
		return nil
	}
	e.logf("up at %s", o.Version)
	return nil
}

// startServices waits for the services after a new deployment of those
// that do not run as configured yet. The apply creates them before their
// secrets have values and before the migration has created the database
// user, so their first tasks cannot start; ECS's circuit breaker then
// fails that first deployment and stops launching tasks (there is no
// earlier one to roll back to) — waiting alone would never end, on this
// run or the next. A new deployment of the same revisions starts them
// now that secrets and user exist; services already settled are left
// alone, so a converged environment is not restarted.
func (e *Env) startServices(ctx context.Context, redeploy func(context.Context, []string) error) error {
	if redeploy != nil {
		st, err := e.Services.Status(ctx)
		if err != nil {
			return fmt.Errorf("service status: %w", err)
		}
		var names []string
		for _, m := range Compare(e.Vars.Desired, st) {
			if !m.Missing {
				names = append(names, m.Service)
			}
		}
		if len(names) > 0 {
			e.logf("new deployment of %s (started before the secrets and the database user existed)", strings.Join(names, ", "))
			if err := redeploy(ctx, names); err != nil {
				return err
			}
		}
	}
	_, err := e.wait(ctx, e.Vars.Desired)
	return err
}

// planApply plans, prints, guards and applies when there is anything to do.
func (e *Env) planApply(ctx context.Context, spec tfdriver.PlanSpec, allow []string) (*Plan, error) {
	p, err := e.TF.Plan(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	e.show(p)
	if !p.Changes {
		return p, nil
	}
	if err := guard(p.JSON, allow); err != nil {
		return nil, err
	}
	return p, e.apply(ctx, "apply", p)
}

// RepositoryURLs reads the ECR repositories of a plan's planned values
// (name => URL, the for_each key naming the service or the seeder). The
// URL is computed by AWS but follows from the account, the region and the
// repository name, all known before the apply.
func RepositoryURLs(p *tfjson.Plan, account, region string) (map[string]string, error) {
	out := map[string]string{}
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode != tfjson.ManagedResourceMode || r.Type != "aws_ecr_repository" {
				continue
			}
			name, _ := r.AttributeValues["name"].(string)
			key, _ := r.Index.(string)
			if name == "" || key == "" {
				continue
			}
			out[key] = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, region, name)
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	if p.PlannedValues != nil {
		walk(p.PlannedValues.RootModule)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the registry plan has no ECR repository (is %s still the registry module?)", RegistryTarget)
	}
	return out, nil
}
