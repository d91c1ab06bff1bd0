package lifecycle

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// AWSServices is the Services seam over the AWS backend: the status of
// `<env>:status` (ECS DescribeServices: desired, running, pending, the
// PRIMARY deployment's rolloutState). The backend is opened on first use —
// it reads the facts parameter Terraform publishes, which a first `up`
// creates only in its full apply.
type AWSServices struct {
	Open func(ctx context.Context) (*awsenv.Env, error)

	mu sync.Mutex
	e  *awsenv.Env
}

func (s *AWSServices) env(ctx context.Context) (*awsenv.Env, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.e == nil {
		e, err := s.Open(ctx)
		if err != nil {
			return nil, err
		}
		s.e = e
	}
	return s.e, nil
}

// Status implements Services.
func (s *AWSServices) Status(ctx context.Context) ([]ServiceStatus, error) {
	e, err := s.env(ctx)
	if err != nil {
		return nil, err
	}
	st, err := e.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	out := make([]ServiceStatus, 0, len(st.Services))
	for _, x := range st.Services {
		out = append(out, ServiceStatus{Name: x.Service, Desired: x.Desired, Running: x.Running, Pending: x.Pending, Rollout: x.Rollout})
	}
	return out, nil
}

// URL is the environment's public URL from its facts ("" before they exist).
func (s *AWSServices) URL(ctx context.Context) string {
	e, err := s.env(ctx)
	if err != nil {
		return ""
	}
	return e.URL()
}

// AWSRelease is the Release seam over the AWS backend. The targets (and
// the tests) say how the backend and its pipeline are opened.
type AWSRelease struct {
	// Registry opens the backend on the repositories alone
	// (awsenv.OpenRegistry: a first up has no facts yet) and returns the
	// builder and the images (the services and the seeder) to push.
	Registry func(ctx context.Context, repositories map[string]string) (*awsenv.Env, pipeline.ImageBuilder, []string, error)
	// Pipeline opens the backend from its facts and builds the release
	// pipeline (seed: with the seeder).
	Pipeline func(ctx context.Context, seed bool) (*pipeline.Pipeline, error)
}

// BuildPush implements Release: builds and pushes the images ECR lacks.
func (r AWSRelease) BuildPush(ctx context.Context, version string, repositories map[string]string) error {
	e, b, images, err := r.Registry(ctx, repositories)
	if err != nil {
		return err
	}
	for _, img := range images {
		if _, ok := repositories[img]; !ok {
			return fmt.Errorf("the registry plan has no repository for %s (it has %s)", img, strings.Join(slices.Sorted(maps.Keys(repositories)), ", "))
		}
	}
	return e.BuildPush(ctx, b, version, images)
}

// Migrate implements Release.
func (r AWSRelease) Migrate(ctx context.Context, version string) error {
	p, err := r.Pipeline(ctx, false)
	if err != nil {
		return err
	}
	return p.Migrate(ctx, version)
}

// Seed implements Release.
func (r AWSRelease) Seed(ctx context.Context, version string) error {
	p, err := r.Pipeline(ctx, true)
	if err != nil {
		return err
	}
	return p.Seed(ctx, version)
}
