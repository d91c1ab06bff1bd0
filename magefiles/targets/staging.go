package targets

import (
	"context"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// The staging targets: the AWS environment in us-east-1. Versions are strict vMAJOR.MINOR.PATCH, refused
// before any work. They read the AWS SDK's usual settings (AWS_PROFILE,
// AWS_REGION, credentials; AWS_ENDPOINT_URL), APP_DIR and QUICK_TESTS, and
// EQUIPTRACK_AWS_POLL, EQUIPTRACK_AWS_BACKOFF, EQUIPTRACK_READY_TIMEOUT,
// EQUIPTRACK_DEPLOY_TIMEOUT (docs/releasing.md), and EQUIPTRACK_BROWSER
// (auto, on, off: whether Health opens the UI in headless Chromium).

// Release runs the pipeline on staging: Test → Build → Push → Prepare → Migrate →
// Deploy → Health → (Seed). -seed=true (or SEED=1) seeds after a healthy
// deploy; -dryRun=true prints what would be built, pushed, registered and
// rolled, changing nothing. Appends a job summary to GITHUB_STEP_SUMMARY.
func (Staging) Release(ctx context.Context, version string, seed, dryRun *bool) error {
	return stagingEnv.release(ctx, version, seed, dryRun)
}

// Rollback redeploys an earlier version's images (or "previous": the
// version recorded before the last release), then checks health; a failure
// restores what ran. -dryRun=true changes nothing.
func (Staging) Rollback(ctx context.Context, version string, dryRun *bool) error {
	return stagingEnv.rollback(ctx, version, dryRun)
}

// Status prints per service the version, revision, desired/running/pending
// and rollout state, the URL, the last attempt and the lease;
// -format=json for machines.
func (Staging) Status(ctx context.Context, format *string) error {
	return stagingEnv.status(ctx, format)
}

// Health runs the health check on the environment's URL, the UI in
// headless Chromium when there is one (its screenshot kept on this machine).
func (Staging) Health(ctx context.Context) error { return stagingEnv.health(ctx) }

// Load sends a demo load to staging's URL, read from the environment's facts
// (never from the command line): -users virtual users (default 20) for
// -duration (default 60s) over the manifest's mix of API calls and page
// loads; prints requests, req/s, p50/p95/p99 and errors per endpoint and
// overall (-format=text|json), then the verdict against the budgets (API p95
// < 500 ms, no errors), and fails when it does. docs/load.md.
func (Staging) Load(ctx context.Context, users *int, duration, format *string) error {
	return stagingEnv.load(ctx, users, duration, format)
}

// Seed runs the released version's seeder task and checks its fingerprint.
func (Staging) Seed(ctx context.Context) error { return stagingEnv.seed(ctx) }

// Unlock breaks the release lease (a crashed run's stale one).
func (Staging) Unlock(ctx context.Context) error { return stagingEnv.unlock(ctx) }

// Logs prints a service's log lines (-since=10m by default).
func (Staging) Logs(ctx context.Context, service string, since *time.Duration) error {
	return stagingEnv.logs(ctx, service, since)
}

// Build builds the version's images (the step alone).
func (Staging) Build(ctx context.Context, version string) error {
	return stagingEnv.step(ctx, version, (*pipeline.Pipeline).Build)
}

// Push pushes the version's built images to ECR (the step alone).
func (Staging) Push(ctx context.Context, version string) error {
	return stagingEnv.step(ctx, version, (*pipeline.Pipeline).Push)
}

// Migrate runs the version's migration task (the step alone).
func (Staging) Migrate(ctx context.Context, version string) error {
	return stagingEnv.step(ctx, version, (*pipeline.Pipeline).Migrate)
}

// Deploy rolls every service to the version's images, restoring on failure
// (the step alone).
func (Staging) Deploy(ctx context.Context, version string) error {
	return stagingEnv.step(ctx, version, (*pipeline.Pipeline).Deploy)
}
