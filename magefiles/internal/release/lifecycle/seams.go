// Package lifecycle takes an AWS environment from nothing to healthy and
// back through Terraform: plan, apply (guarded), destroy (confirmed, past
// deletion protection), up <version> (registry, images, the rest, secrets,
// migrate, health, seed), scale-down and verify.
//
// Every flow is written against small seams so it runs in tests without
// AWS: Terraform (a saved-plan runner: tfdriver online in the targets, the
// offline toolchain or a fake in tests), Caller (STS GetCallerIdentity),
// Services (ECS service status), Health (the environment's URL), and for
// up, Release (build+push, migrate, seed: the AWS backend's steps) and
// Secrets.
package lifecycle

import (
	"context"
	"io"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Plan is a saved plan and what it shows.
type Plan struct {
	File    string
	JSON    *tfjson.Plan
	Changes bool
}

// Terraform runs one environment root. Apply takes a plan file only: what
// is applied is exactly what a Plan (or Show) returned.
type Terraform interface {
	Plan(ctx context.Context, spec tfdriver.PlanSpec) (*Plan, error)
	Show(ctx context.Context, planFile string) (*Plan, error)
	Apply(ctx context.Context, planFile string) error
}

// Identity is who the AWS credentials are and where the client points.
type Identity struct {
	Account string
	ARN     string
	Region  string
}

// Caller answers STS GetCallerIdentity (plus the configured region).
type Caller interface {
	Identity(ctx context.Context) (Identity, error)
}

// ServiceStatus is one ECS service as it runs.
type ServiceStatus struct {
	Name                      string // the key of the tfvars' services map
	Desired, Running, Pending int
	// Rollout is the PRIMARY deployment's rolloutState: COMPLETED,
	// IN_PROGRESS or FAILED.
	Rollout string
}

// Services reads the environment's ECS services.
type Services interface {
	Status(ctx context.Context) ([]ServiceStatus, error)
}

// Health checks the environment through its public URL.
type Health interface {
	Check(ctx context.Context) error
}

// Release is the AWS backend's release steps that up needs.
type Release interface {
	// BuildPush builds and pushes every service's (and the seeder's)
	// image at version into repositories (name => repository URL, from the
	// registry up has just applied: the environment's facts parameter does
	// not exist yet on a first up); images already there are skipped.
	BuildPush(ctx context.Context, version string, repositories map[string]string) error
	// Migrate runs the migration task of version's revision.
	Migrate(ctx context.Context, version string) error
	// Seed runs the seeder and checks its fingerprint.
	Seed(ctx context.Context, version string) error
}

// Secrets makes sure the environment's secrets hold values (Terraform
// generates them; a secret without a current value is set here).
type Secrets interface {
	Ensure(ctx context.Context) error
}

// Coster prices a plan before (its prior state) and after (its planned
// values), in USD a month.
type Coster func(env string, p *tfjson.Plan) (before, after float64, err error)

// Clock lets tests run the waits in no time.
type Clock struct {
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
func RealClock() Clock {
	return Clock{Now: time.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}}
}

// Out is where a flow prints: one line per step, tables at the end.
type Out = io.Writer
