package targets

import (
	"context"
	"fmt"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/lifecycle"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// awsSeams are what the lifecycle flows read and run in AWS besides
// Terraform and STS: ECS service status, health through the URL, and up's
// release steps and secrets — the AWS backend's (internal/release/awsenv),
// opened on first use with the release targets' own settings (awsEnv.open).
type awsSeams struct {
	Services lifecycle.Services
	Health   lifecycle.Health
	Release  lifecycle.Release
	Secrets  lifecycle.Secrets
	URL      func(context.Context) string
}

// openAWS builds the seams of one environment. Nothing is read here: the
// backend needs the facts parameter, which a first up creates only in its
// full apply.
var openAWS = func(_ context.Context, env string, _ *lifecycle.Vars) (*awsSeams, error) {
	a := &devEnv
	if env == "staging" {
		a = &stagingEnv
	}
	svc := &lifecycle.AWSServices{Open: func(ctx context.Context) (*awsenv.Env, error) {
		r, err := a.open(ctx, false)
		if err != nil {
			return nil, err
		}
		return r.e, nil
	}}
	return &awsSeams{Services: svc, Health: awsHealth{a}, Release: awsRelease{a}, Secrets: terraformSecrets{}, URL: svc.URL}, nil
}

type awsHealth struct{ a *awsEnv }

func (h awsHealth) Check(ctx context.Context) error { return h.a.health(ctx) }

// awsRelease runs up's release steps through the release pipeline.
type awsRelease struct{ a *awsEnv }

func (r awsRelease) BuildPush(ctx context.Context, v string, repos map[string]string) error {
	run, err := r.a.open(ctx, false)
	if err != nil {
		// The backend pushes to the repositories its facts name; before the
		// first full apply there are none to read.
		return fmt.Errorf("build and push to %d repositories: %w (a first up of an empty account needs the backend to push before the facts exist: see docs/lifecycle.md)", len(repos), err)
	}
	if err := run.p.Build(ctx, v); err != nil {
		return err
	}
	return run.p.Push(ctx, v)
}

func (r awsRelease) Migrate(ctx context.Context, v string) error {
	return r.a.step(ctx, v, (*pipeline.Pipeline).Migrate)
}

func (r awsRelease) Seed(ctx context.Context, v string) error {
	run, err := r.a.open(ctx, true)
	if err != nil {
		return err
	}
	return run.p.Seed(ctx, v)
}

// terraformSecrets: the environment's secrets (JWT key, seed admin
// password) get their values in Terraform's apply (modules/secrets
// generates them), so up has nothing left to set.
type terraformSecrets struct{}

func (terraformSecrets) Ensure(context.Context) error { return nil }
