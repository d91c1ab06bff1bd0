package lifecycle

import (
	"context"
	"fmt"
	"sync"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
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
