// Package pipeline is the kit's release pipeline, written once: Test → Build →
// Push → Migrate → Deploy → Health → (Seed), in that fixed order, each step
// also callable alone. It knows nothing about Docker or AWS; the environment's
// backend is plugged in through the small interfaces of interfaces.go, and the
// strategies that differ (how tests run, what the health check probes, the
// timeouts) are plain values in Pipeline.
//
// The decisions it owns:
//   - nothing is built when the tests fail;
//   - a version whose images are all in the registry is not rebuilt: Build and
//     Push are skipped and those images are deployed; an immutable tag that
//     exists with another digest is an error;
//   - a migration that exits non-zero stops the release before any service is
//     touched;
//   - a failed deploy or a failed health check puts every service back on the
//     revision it ran before, and the release fails;
//   - a failed seed fails the release without rolling back (the seed is
//     idempotent and is re-run instead);
//   - two releases of one environment never run at once: the second is
//     refused;
//   - every step runs under its own timeout, prints one line with its
//     duration, and a failure names its step in one line.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// SeederImage is the image name of the seeder in Build, Push and TaskSpec.
const SeederImage = "seeder"

// Step names, as printed and as they appear in errors.
const (
	StepTest    = "test"
	StepBuild   = "build"
	StepPush    = "push"
	StepMigrate = "migrate"
	StepDeploy  = "deploy"
	StepHealth  = "health"
	StepSeed    = "seed"
)

// Timeouts bound each step; zero fields take DefaultTimeouts' values.
type Timeouts struct {
	Test, Build, Push, Migrate, Deploy, Health, Seed time.Duration
}

// DefaultTimeouts are generous for a laptop and for Fargate alike.
var DefaultTimeouts = Timeouts{
	Test:    15 * time.Minute,
	Build:   15 * time.Minute,
	Push:    10 * time.Minute,
	Migrate: 5 * time.Minute,
	Deploy:  10 * time.Minute,
	Health:  3 * time.Minute,
	Seed:    5 * time.Minute,
}

func (t Timeouts) of(step string) time.Duration {
	pick := func(v, d time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return d
	}
	d := DefaultTimeouts
	switch step {
	case StepTest:
		return pick(t.Test, d.Test)
	case StepBuild:
		return pick(t.Build, d.Build)
	case StepPush:
		return pick(t.Push, d.Push)
	case StepMigrate:
		return pick(t.Migrate, d.Migrate)
	case StepDeploy:
		return pick(t.Deploy, d.Deploy)
	case StepHealth:
		return pick(t.Health, d.Health)
	case StepSeed:
		return pick(t.Seed, d.Seed)
	}
	return 10 * time.Minute
}

// MigrateConfig is the application's migration: a command run in one
// service's image.
type MigrateConfig struct {
	Service string
	Command []string
}

// SeedConfig is the seeder task. A nil *SeedConfig means the environment has
// no seeder: no seeder image is built and Seed is refused.
type SeedConfig struct {
	// Command overrides the seeder image's command; nil keeps it.
	Command []string
	// ExpectedFingerprint is the committed fingerprint of the dataset; the
	// seed fails when the seeder prints another. Empty skips the comparison.
	ExpectedFingerprint string
}

// Pipeline is one environment's release pipeline.
type Pipeline struct {
	// Env names the environment ("local", "dev", "staging").
	Env string
	// Services are the application's services, in manifest order.
	Services []string

	// RunTests runs the application's tests (the Test step).
	RunTests func(ctx context.Context) error
	Builder  ImageBuilder
	Registry Registry
	Tasks    TaskRunner
	Deployer Deployer
	Prober   Prober
	Store    Store

	Migrate MigrateConfig
	Seed    *SeedConfig
	Health  HealthConfig

	Timeouts Timeouts
	// Holder names this run in the lock ("pid 123 on host"); defaulted.
	Holder string
	// Logf receives the progress lines; nil is silent.
	Logf func(format string, args ...any)
}

// ReleaseOptions are the per-run choices of Release.
type ReleaseOptions struct {
	// Seed runs the seeder after a healthy deploy.
	Seed bool
}

// StepTiming is one step's outcome in a Report.
type StepTiming struct {
	Step     string
	Duration time.Duration
	// Skipped is set when the step had nothing to do (an existing version's
	// Build and Push).
	Skipped bool
	Err     error
}

// Report is what a release or rollback did.
type Report struct {
	Version string
	Steps   []StepTiming
	Total   time.Duration
	// Reused is true when the version's images were already in the registry.
	Reused bool
	// RolledBack is true when the services were restored after a failure.
	RolledBack bool
}

// Summary is one line: each step's duration and the total.
func (r Report) Summary() string {
	parts := make([]string, 0, len(r.Steps))
	for _, s := range r.Steps {
		d := round(s.Duration).String()
		if s.Skipped {
			d = "skipped"
		}
		if s.Err != nil {
			d += " FAILED"
		}
		parts = append(parts, s.Step+" "+d)
	}
	return fmt.Sprintf("%s (total %s)", strings.Join(parts, " · "), round(r.Total))
}

// StepError is a failure that names its step. Op is "release" or "rollback"
// when the step ran inside one; empty when the step was called alone.
type StepError struct {
	Op   string
	Step string
	Err  error
}

func (e *StepError) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("%s failed at %s: %v", e.Op, e.Step, e.Err)
	}
	return fmt.Sprintf("%s failed: %v", e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

func (p *Pipeline) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

func (p *Pipeline) holder() string {
	if p.Holder != "" {
		return p.Holder
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s", os.Getpid(), host)
}

// images lists every image a version consists of: the services and, when
// the environment seeds, the seeder.
func (p *Pipeline) images() []string {
	out := append([]string(nil), p.Services...)
	if p.Seed != nil {
		out = append(out, SeederImage)
	}
	return out
}

// run executes one step under its timeout, prints its start and outcome with
// the duration, and appends its timing to rep.
func (p *Pipeline) run(ctx context.Context, op string, rep *Report, step string, fn func(ctx context.Context) (skipped bool, err error)) error {
	timeout := p.Timeouts.of(step)
	p.logf("==> %s", step)
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	skipped, err := fn(sctx)
	timedOut := sctx.Err() == context.DeadlineExceeded
	cancel()
	d := time.Since(start)
	if err != nil && timedOut && ctx.Err() == nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	if rep != nil {
		rep.Steps = append(rep.Steps, StepTiming{Step: step, Duration: d, Skipped: skipped, Err: err})
	}
	switch {
	case err != nil:
		p.logf("    %s FAILED (%s)", step, round(d))
		return &StepError{Op: op, Step: step, Err: err}
	case skipped:
		p.logf("    %s skipped (%s)", step, round(d))
	default:
		p.logf("    %s ok (%s)", step, round(d))
	}
	return nil
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func (p *Pipeline) lock(ctx context.Context, op string) (func(), error) {
	unlock, err := p.Store.Lock(ctx, p.holder())
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s of %s refused: %w", op, p.Env, err)
		}
		return nil, fmt.Errorf("%s of %s: release lock: %w", op, p.Env, err)
	}
	return func() {
		if err := unlock(); err != nil {
			p.logf("warning: releasing the lock of %s: %v", p.Env, err)
		}
	}, nil
}

// ---- the steps, callable alone ----

// Test runs the application's tests.
func (p *Pipeline) Test(ctx context.Context) error {
	return p.run(ctx, "", nil, StepTest, p.testStep)
}

// Build builds the version's images that the registry does not hold yet.
// Building a version the registry already holds entirely is refused: its
// tags are immutable, so a rebuild could never be pushed.
func (p *Pipeline) Build(ctx context.Context, version string) error {
	unlock, err := p.lock(ctx, "build")
	if err != nil {
		return err
	}
	defer unlock()
	return p.run(ctx, "", nil, StepBuild, func(ctx context.Context) (bool, error) {
		missing, err := p.missing(ctx, version)
		if err != nil {
			return false, err
		}
		if len(missing) == 0 {
			return false, fmt.Errorf("%s is already in the registry and its tags are immutable: release it as is, or ship a new version", version)
		}
		_, err = p.buildImages(ctx, version, missing)
		return false, err
	})
}

// Push pushes every image of the version built on this machine. An image
// whose tag already holds other content is refused (ErrImmutableTag).
func (p *Pipeline) Push(ctx context.Context, version string) error {
	unlock, err := p.lock(ctx, "push")
	if err != nil {
		return err
	}
	defer unlock()
	return p.run(ctx, "", nil, StepPush, func(ctx context.Context) (bool, error) {
		imgs, err := p.builtImages(ctx, version, p.images())
		if err != nil {
			return false, err
		}
		return false, p.pushImages(ctx, imgs)
	})
}

// MigrateVersion runs the version's migration task (its images must be in
// the registry).
func (p *Pipeline) MigrateVersion(ctx context.Context, version string) error {
	unlock, err := p.lock(ctx, "migrate")
	if err != nil {
		return err
	}
	defer unlock()
	return p.run(ctx, "", nil, StepMigrate, func(ctx context.Context) (bool, error) {
		if err := p.requireInRegistry(ctx, version, []string{p.Migrate.Service}); err != nil {
			return false, err
		}
		return false, p.migrateStep(ctx, version)
	})
}

// Deploy rolls every service to the version (its images must be in the
// registry); a failed rollout restores every service.
func (p *Pipeline) Deploy(ctx context.Context, version string) error {
	unlock, err := p.lock(ctx, "deploy")
	if err != nil {
		return err
	}
	defer unlock()
	return p.deployAndCheck(ctx, "", version, false, nil)
}

// CheckHealth runs the health checks against the public entry.
func (p *Pipeline) CheckHealth(ctx context.Context) error {
	return p.run(ctx, "", nil, StepHealth, func(ctx context.Context) (bool, error) {
		return false, p.healthStep(ctx)
	})
}

// SeedVersion runs the version's seeder task and checks its fingerprint.
func (p *Pipeline) SeedVersion(ctx context.Context, version string) error {
	if p.Seed == nil {
		return &StepError{Step: StepSeed, Err: fmt.Errorf("the %s environment has no seeder", p.Env)}
	}
	unlock, err := p.lock(ctx, "seed")
	if err != nil {
		return err
	}
	defer unlock()
	return p.run(ctx, "", nil, StepSeed, func(ctx context.Context) (bool, error) {
		if err := p.requireInRegistry(ctx, version, []string{SeederImage}); err != nil {
			return false, err
		}
		return false, p.seedStep(ctx, version)
	})
}

// Status returns the release record and what the services run now.
func (p *Pipeline) Status(ctx context.Context) (Record, Revisions, error) {
	rec, err := p.Store.Load(ctx)
	if err != nil {
		return Record{}, nil, fmt.Errorf("status of %s: %w", p.Env, err)
	}
	cur, err := p.Deployer.Current(ctx)
	if err != nil {
		return rec, nil, fmt.Errorf("status of %s: %w", p.Env, err)
	}
	return rec, cur, nil
}

// ---- release and rollback ----

// Release runs Test → Build → Push → Migrate → Deploy → Health → (Seed) for
// the version. The version must have been validated by the caller.
func (p *Pipeline) Release(ctx context.Context, version string, opts ReleaseOptions) (Report, error) {
	rep := Report{Version: version}
	if opts.Seed && p.Seed == nil {
		return rep, fmt.Errorf("release of %s: the environment has no seeder", p.Env)
	}
	unlock, err := p.lock(ctx, "release")
	if err != nil {
		return rep, err
	}
	defer unlock()
	start := time.Now()
	p.logf("release %s to %s", version, p.Env)
	err = p.release(ctx, version, opts, &rep)
	rep.Total = time.Since(start)
	if err != nil {
		p.logf("release %s to %s FAILED after %s: %s", version, p.Env, round(rep.Total), rep.Summary())
		return rep, err
	}
	p.logf("release %s to %s done: %s", version, p.Env, rep.Summary())
	return rep, nil
}

func (p *Pipeline) release(ctx context.Context, version string, opts ReleaseOptions, rep *Report) error {
	const op = "release"
	if err := p.run(ctx, op, rep, StepTest, p.testStep); err != nil {
		return p.recordFailure(ctx, op, version, err, false)
	}

	// What the registry holds decides Build and Push (DESIGN §7).
	var missing []string
	var built []Image
	if err := p.run(ctx, op, rep, StepBuild, func(ctx context.Context) (bool, error) {
		var err error
		if missing, err = p.missing(ctx, version); err != nil {
			return false, err
		}
		if len(missing) == 0 {
			rep.Reused = true
			p.logf("    %s is already in the registry: not rebuilt, its images are deployed", version)
			return true, nil
		}
		built, err = p.buildImages(ctx, version, missing)
		return false, err
	}); err != nil {
		return p.recordFailure(ctx, op, version, err, false)
	}
	if err := p.run(ctx, op, rep, StepPush, func(ctx context.Context) (bool, error) {
		if len(missing) == 0 {
			return true, nil
		}
		return false, p.pushImages(ctx, built)
	}); err != nil {
		return p.recordFailure(ctx, op, version, err, false)
	}

	if err := p.run(ctx, op, rep, StepMigrate, func(ctx context.Context) (bool, error) {
		return false, p.migrateStep(ctx, version)
	}); err != nil {
		return p.recordFailure(ctx, op, version, err, false)
	}

	if err := p.deployAndCheck(ctx, op, version, true, rep); err != nil {
		return err
	}

	if opts.Seed {
		if err := p.run(ctx, op, rep, StepSeed, func(ctx context.Context) (bool, error) {
			return false, p.seedStep(ctx, version)
		}); err != nil {
			// No rollback: the services are healthy on the new version and the
			// seed is idempotent — fix the cause and re-run it.
			return p.recordFailure(ctx, op, version, err, false)
		}
	}
	return nil
}
