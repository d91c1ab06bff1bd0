// Package configure is the one place the services manifest becomes a release
// pipeline: the readiness checks, smoke request, UI page, migration and seed
// task come from the manifest, the backend from the caller. No backend maps
// the manifest itself, so the local and the AWS environment check and run
// exactly the same things.
package configure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Options are what differs between environments beyond the backend.
type Options struct {
	// Env names the environment ("local", "dev", "staging", or an isolated
	// local environment's name).
	Env string
	// RunTests runs the application's tests (the Test step); nil refuses
	// the Test step with one line.
	RunTests func(ctx context.Context) error
	// Seed enables the seed task; ExpectedFingerprint is the committed
	// dataset's fingerprint ("" skips the comparison).
	Seed                bool
	SeedCommand         []string
	ExpectedFingerprint string
	// Health overrides budgets and timeouts of the health check; the checks
	// themselves (Ready, SmokePath, PagePath) come from the manifest unless
	// set here.
	Health   pipeline.HealthConfig
	Timeouts pipeline.Timeouts
	// LeaseTTL is the release lease's time to live (renewed while an
	// operation runs); 0 takes pipeline.DefaultLeaseTTL.
	LeaseTTL time.Duration
	Holder   string
	Logf     func(format string, args ...any)
}

// Pipeline maps the manifest onto a pipeline over the backend. It fails when
// the backend lacks a part or the manifest is nil.
func Pipeline(m *manifest.Manifest, b pipeline.Backend, o Options) (*pipeline.Pipeline, error) {
	if m == nil {
		return nil, errors.New("configure: no manifest")
	}
	if o.Env == "" {
		return nil, errors.New("configure: no environment name")
	}
	var missing []string
	for _, part := range []struct {
		name string
		ok   bool
	}{
		{"Builder", b.Builder != nil}, {"Registry", b.Registry != nil}, {"Tasks", b.Tasks != nil},
		{"Deployer", b.Deployer != nil}, {"Prober", b.Prober != nil}, {"Store", b.Store != nil},
	} {
		if !part.ok {
			missing = append(missing, part.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("configure %s: the backend lacks %s", o.Env, strings.Join(missing, ", "))
	}
	h := o.Health
	if len(h.Ready) == 0 {
		for _, s := range m.Services {
			h.Ready = append(h.Ready, pipeline.ReadyCheck{Service: s.Name, Path: s.PublicHealthPath})
		}
	}
	if h.SmokePath == "" {
		h.SmokePath = m.Smoke.Path
		h.SmokeStatus = m.Smoke.ExpectStatus
	}
	if h.PagePath == "" {
		h.PagePath = m.Page.Path
	}
	p := &pipeline.Pipeline{
		Env:         o.Env,
		Services:    m.Names(),
		RunTests:    o.RunTests,
		Builder:     b.Builder,
		Registry:    b.Registry,
		Tasks:       b.Tasks,
		Deployer:    b.Deployer,
		Prober:      b.Prober,
		Store:       b.Store,
		Migration:   pipeline.MigrateConfig{Service: m.Migrate.Service, Command: m.Migrate.Command},
		HealthCheck: h,
		Timeouts:    o.Timeouts,
		LeaseTTL:    o.LeaseTTL,
		Holder:      o.Holder,
		Logf:        o.Logf,
	}
	if o.Seed {
		p.Seeder = &pipeline.SeedConfig{Command: o.SeedCommand, ExpectedFingerprint: o.ExpectedFingerprint}
	}
	return p, nil
}
