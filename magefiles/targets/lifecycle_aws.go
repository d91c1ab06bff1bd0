package targets

import (
	"context"
	"fmt"
	"os"

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
	URL      func(context.Context) string
	env      *awsEnv
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
	return &awsSeams{Services: svc, Health: awsHealth{a}, Release: awsRelease(a), URL: svc.URL, env: a}, nil
}

type awsHealth struct{ a *awsEnv }

func (h awsHealth) Check(ctx context.Context) error { return h.a.health(ctx) }

// awsRelease runs up's release steps: the first build and push from the
// repositories the registry plan names (awsenv.OpenRegistry: the facts
// parameter does not exist before the full apply), migrate and seed
// through the release pipeline.
func awsRelease(a *awsEnv) lifecycle.AWSRelease {
	return lifecycle.AWSRelease{
		Registry: func(ctx context.Context, repos map[string]string) (*awsenv.Env, pipeline.ImageBuilder, []string, error) {
			st, err := a.settings(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			e, err := awsenv.OpenRegistry(ctx, st.opts, repos)
			if err != nil {
				return nil, nil, nil, err
			}
			return e, a.builder(e, st.m), append(st.m.Names(), pipeline.SeederImage), nil
		},
		Pipeline: func(ctx context.Context, seed bool) (*pipeline.Pipeline, error) {
			r, err := a.open(ctx, seed)
			if err != nil {
				return nil, err
			}
			return r.p, nil
		},
	}
}

// secrets is `<env>:secrets` over Secrets Manager, the secrets' names and
// policies read from Terraform's output `secrets` (tf: the environment's
// runner, initialised on its real backend).
func (s *awsSeams) secrets(ctx context.Context, t lifecycle.Terraform) (*lifecycle.SecretsFlow, error) {
	tf, ok := t.(lifecycle.OutputReader)
	if !ok {
		return nil, fmt.Errorf("%s: the Terraform runner cannot read outputs", s.env.name)
	}
	st, err := s.env.settings(ctx)
	if err != nil {
		return nil, err
	}
	store, err := awsenv.OpenSecrets(st.opts)
	if err != nil {
		return nil, err
	}
	a := s.env
	return &lifecycle.SecretsFlow{
		Env: a.name,
		Specs: func(ctx context.Context) (map[string]awsenv.SecretSpec, error) {
			return lifecycle.ReadSecretSpecs(ctx, tf)
		},
		Store: store,
		Released: func(ctx context.Context) (string, error) {
			r, err := a.open(ctx, false)
			if err != nil {
				return "", err
			}
			rec, err := r.e.Load(ctx)
			return rec.Version, err
		},
		Migrate:  func(ctx context.Context, v string) error { return a.step(ctx, v, (*pipeline.Pipeline).Migrate) },
		Redeploy: s.redeploy,
		Out:      os.Stdout,
	}, nil
}

// redeploy forces a new deployment of the named services (all when none
// is named) on the revisions they run, and waits for it.
func (s *awsSeams) redeploy(ctx context.Context, services []string) error {
	r, err := s.env.open(ctx, false)
	if err != nil {
		return err
	}
	return r.e.Redeploy(ctx, services)
}
