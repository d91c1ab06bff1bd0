// Package pipeline is the kit's release pipeline, written once: Test → Build →
// Push → Prepare → Migrate → Deploy → Health → (Seed), in that fixed order,
// most steps also callable alone. It knows nothing about Docker or AWS; the
// environment's backend is plugged in through the small interfaces of
// interfaces.go, and the strategies that differ (how tests run, what the
// health check probes, the timeouts) are plain values in Pipeline.
//
// The decisions it owns:
//   - nothing is built when the tests fail;
//   - the registry is asked once per release, for every image at once; a
//     version whose images are all there is not rebuilt: Build and Push are
//     skipped and those images are deployed; an immutable tag that exists
//     with another digest is an error;
//   - what runs is prepared once (Deployer.Prepare) and the migration, the
//     deploy and the seed all run those prepared revisions;
//   - a migration that exits non-zero stops the release before any service is
//     touched;
//   - after every roll the pipeline reads what runs (Deployer.Current) and a
//     service that is not on its target revision at its desired count fails
//     the step: a backend is never trusted on its word;
//   - a failed deploy or a failed health check puts every service back on the
//     revision it ran before — and stops a service that ran nothing before —
//     and the release fails; a restore that does not settle is recorded as
//     partial, with what runs where;
//   - a failed seed fails the release without rolling back (the seed is
//     idempotent and is re-run instead);
//   - two operations on one environment never run at once: the lease is
//     taken before anything shared is touched, renewed while the operation
//     runs, and a second one is refused; a stale lease is reported, never
//     broken silently;
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
	StepPrepare = "prepare"
	StepMigrate = "migrate"
	StepDeploy  = "deploy"
	StepHealth  = "health"
	StepSeed    = "seed"
)

// Timeouts bound each step; zero fields take DefaultTimeouts' values.
type Timeouts struct {
	Test, Build, Push, Prepare, Migrate, Deploy, Health, Seed time.Duration
}

// DefaultTimeouts are generous for a laptop and for Fargate alike.
var DefaultTimeouts = Timeouts{
	Test:    15 * time.Minute,
	Build:   15 * time.Minute,
	Push:    10 * time.Minute,
	Prepare: 5 * time.Minute,
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
	case StepPrepare:
		return pick(t.Prepare, d.Prepare)
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

	// Migration is the migration task; Seeder the seed task (nil: none);
	// HealthCheck what the Health step checks. Named apart from the steps
	// so the methods take the plain verbs.
	Migration   MigrateConfig
	Seeder      *SeedConfig
	HealthCheck HealthConfig

	Timeouts Timeouts
	// LeaseTTL is the release lease's time to live [DefaultLeaseTTL]; the
	// lease is renewed every third of it while an operation runs.
	LeaseTTL time.Duration
	// Holder names this run in the lease ("pid 123 on host"); defaulted.
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
	// Restore is RestoreComplete, RestorePartial or "" (nothing restored);
	// Left is what runs after a partial restore.
	Restore string
	Left    States
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

// ErrNotSettled marks a roll after which a service does not run its target
// revision at its desired count, whatever the backend said.
var ErrNotSettled = errors.New("the services do not run what was rolled out")

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
	if p.Seeder != nil {
		out = append(out, SeederImage)
	}
	return out
}

// op is one operation in progress: a release, a rollback, or a step called
// alone (kind "" in errors, the step's name in the record).
type op struct {
	kind    string // "release", "rollback", "" (a step alone)
	record  string // the Attempt.Kind when it is recorded
	version string
	started time.Time
	rep     *Report
	// ui is what the browser saw in this operation's Health step.
	ui *UICheck
}

func newOp(kind, record, version string, rep *Report) *op {
	return &op{kind: kind, record: record, version: version, started: time.Now().UTC(), rep: rep}
}

// run executes one step under its timeout, prints its start and outcome with
// the duration, and appends its timing to the report.
func (p *Pipeline) run(ctx context.Context, o *op, step string, fn func(ctx context.Context) (skipped bool, err error)) error {
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
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = fmt.Errorf("%w (%w)", err, cause) // e.g. the lease was lost
		}
	}
	if o.rep != nil {
		o.rep.Steps = append(o.rep.Steps, StepTiming{Step: step, Duration: d, Skipped: skipped, Err: err})
	}
	switch {
	case err != nil:
		p.logf("    %s FAILED (%s)", step, round(d))
		return &StepError{Op: o.kind, Step: step, Err: err}
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

// asStepError finds the step that failed in err's chain.
func asStepError(err error) (*StepError, bool) {
	var se *StepError
	ok := errors.As(err, &se)
	return se, ok
}
