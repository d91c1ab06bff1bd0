package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/configure"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/internal/release/version"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/seeddata"
)

// awsEnv is one AWS environment as its targets see it: where it lives and
// which versions it takes.
type awsEnv struct {
	name, region string
	kind         version.Kind
}

var (
	devEnv     = awsEnv{name: "dev", region: "us-west-2", kind: version.Commit}
	stagingEnv = awsEnv{name: "staging", region: "us-east-1", kind: version.Semver}
)

// The environment variables the AWS targets read, besides the SDK's own
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, credentials …) and APP_DIR,
// QUICK_TESTS, SEED, GITHUB_STEP_SUMMARY.
const (
	// envPoll is the first delay between two polls of a rollout, a task or
	// the health check (a Go duration; default 6s). Tests against the fake
	// AWS set it to milliseconds; so does EQUIPTRACK_AWS_BACKOFF the SDK's
	// retry backoff cap (default 20s).
	envPoll    = "EQUIPTRACK_AWS_POLL"
	envBackoff = "EQUIPTRACK_AWS_BACKOFF"
	// envReadyTimeout bounds the health check's readiness wait (default 60s);
	// envDeployTimeout the deploy step (default 10m).
	envReadyTimeout  = "EQUIPTRACK_READY_TIMEOUT"
	envDeployTimeout = "EQUIPTRACK_DEPLOY_TIMEOUT"
)

func envDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive Go duration (e.g. 5s)", name, v)
	}
	return d, nil
}

// awsRun is one target's session: the environment opened (identity
// checked), its pipeline, its manifest.
type awsRun struct {
	env *awsEnv
	e   *awsenv.Env
	p   *pipeline.Pipeline
	m   *manifest.Manifest
}

func (a *awsEnv) check(v string) error { return version.Validate(a.kind, v) }

// awsSettings are what every AWS target reads from the process
// environment: the backend's options, the services manifest and whether
// the quick tests run.
type awsSettings struct {
	opts        awsenv.Options
	m           *manifest.Manifest
	quick       bool
	poll, ready time.Duration
	deployLimit time.Duration
}

// settings reads the settings of the environment's targets.
func (a *awsEnv) settings(ctx context.Context) (*awsSettings, error) {
	poll, err := envDuration(envPoll)
	if err != nil {
		return nil, err
	}
	backoff, err := envDuration(envBackoff)
	if err != nil {
		return nil, err
	}
	ready, err := envDuration(envReadyTimeout)
	if err != nil {
		return nil, err
	}
	deploy, err := envDuration(envDeployTimeout)
	if err != nil {
		return nil, err
	}
	quick, err := envBool("QUICK_TESTS")
	if err != nil {
		return nil, err
	}
	appDir, err := manifest.AppDir(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	m, err := manifest.Load(appDir, os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return &awsSettings{
		opts: awsenv.Options{Env: a.name, Region: a.region, Config: cfg, Poll: poll, MaxPoll: 5 * poll, RetryBackoff: backoff, Logf: logf},
		m:    m, quick: quick, poll: poll, ready: ready, deployLimit: deploy,
	}, nil
}

// builder builds the environment's images (dev also tags them latest).
func (a *awsEnv) builder(e *awsenv.Env, m *manifest.Manifest) *awsenv.DockerBuilder {
	return &awsenv.DockerBuilder{Env: e, Manifest: m, Latest: a.kind == version.Commit, Verbose: mg.Verbose()}
}

// open reads the settings, opens the environment (region, facts, account
// checked before anything else) and builds its pipeline.
func (a *awsEnv) open(ctx context.Context, seed bool) (*awsRun, error) {
	st, err := a.settings(ctx)
	if err != nil {
		return nil, err
	}
	e, err := awsenv.Open(ctx, st.opts)
	if err != nil {
		return nil, err
	}
	m := st.m
	b := e.Backend(a.builder(e, m))
	argv := m.Test.Command
	if st.quick && len(m.Test.Quick) > 0 {
		argv = m.Test.Quick
	}
	p, err := configure.Pipeline(m, b, configure.Options{
		Env: a.name, RunTests: runAppTests(m.Dir, argv), Seed: seed, ExpectedFingerprint: seeddata.ExpectedFingerprint(),
		Health:   pipeline.HealthConfig{PollInterval: st.poll, ReadyTimeout: st.ready},
		Timeouts: pipeline.Timeouts{Deploy: st.deployLimit},
		Holder:   holder(), Logf: logf,
	})
	if err != nil {
		return nil, err
	}
	return &awsRun{env: a, e: e, p: p, m: m}, nil
}

// useBrowser gives the Health step its browser (EQUIPTRACK_BROWSER), the
// screenshot kept in this machine's state directory of the environment
// (cachedir aws/<env>): the release record lives in SSM, which holds no
// pictures, and the record's attempt names the file.
func (r *awsRun) useBrowser(ctx context.Context) error {
	dir, err := cachedir.Dir("aws", r.env.name)
	if err != nil {
		return err
	}
	r.p.HealthCheck.Browser, err = healthBrowser(ctx, dir)
	return err
}

// runAppTests runs the application's test command (the Test step).
func runAppTests(dir string, argv []string) func(context.Context) error {
	return func(ctx context.Context) error {
		if len(argv) == 0 {
			return errors.New("the manifest has no test command")
		}
		logf("    %s (in %s)", strings.Join(argv, " "), dir)
		return runIn(ctx, dir, argv)
	}
}

// holder names who holds the release lease: the GitHub run in CI, else
// user@host and the process.
func holder() string {
	if id := os.Getenv("GITHUB_RUN_ID"); id != "" {
		return fmt.Sprintf("GitHub run %s (%s) by %s", id, os.Getenv("GITHUB_WORKFLOW"), os.Getenv("GITHUB_ACTOR"))
	}
	name := "someone"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	h, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (pid %d)", name, h, os.Getpid())
}

// summary appends the job summary when GitHub asks for one.
func (r *awsRun) summary(ctx context.Context, kind, v string, rep pipeline.Report, runErr error) error {
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return runErr
	}
	md := r.e.Markdown(ctx, kind, v, rep, runErr)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = f.WriteString(md + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return errors.Join(runErr, fmt.Errorf("writing GITHUB_STEP_SUMMARY: %w", err))
	}
	return runErr
}

func (a *awsEnv) release(ctx context.Context, v string, seed, dryRun *bool) error {
	if err := a.check(v); err != nil {
		return err
	}
	if _, err := browserMode(); err != nil {
		return err
	}
	doSeed, err := envBool("SEED")
	if err != nil {
		return err
	}
	if seed != nil {
		doSeed = *seed
	}
	r, err := a.open(ctx, doSeed)
	if err != nil {
		return err
	}
	if dryRun != nil && *dryRun {
		return r.dryRun(ctx, v, true)
	}
	if err := r.useBrowser(ctx); err != nil {
		return err
	}
	rep, err := r.p.Release(ctx, v, pipeline.ReleaseOptions{Seed: doSeed})
	return r.summary(ctx, "release", v, rep, err)
}

func (r *awsRun) dryRun(ctx context.Context, v string, build bool) error {
	images := r.m.Names()
	if build && r.p.Seeder != nil {
		images = append(images, pipeline.SeederImage)
	}
	plan, err := r.e.DryRun(ctx, v, images, r.m.Names(), build)
	if err != nil {
		return err
	}
	fmt.Printf("dry run of %s %s on %s (nothing is changed):\n", map[bool]string{true: "release", false: "rollback"}[build], v, r.env.name)
	for _, l := range plan.Lines {
		fmt.Println("  " + l)
	}
	if build {
		fmt.Printf("  then: the %s migration (%s), the health check on %s\n", r.m.Migrate.Service, strings.Join(r.m.Migrate.Command, " "), r.e.URL())
	}
	return nil
}

func (a *awsEnv) rollback(ctx context.Context, v string, dryRun *bool) error {
	if v != pipeline.Previous {
		if err := a.check(v); err != nil {
			return fmt.Errorf("%w (or %q)", err, pipeline.Previous)
		}
	}
	if _, err := browserMode(); err != nil {
		return err
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	if dryRun != nil && *dryRun {
		if v == pipeline.Previous {
			rec, err := r.e.Load(ctx)
			if err != nil {
				return err
			}
			if rec.PreviousVersion == "" {
				return errors.New("rollback previous: no previous version is recorded")
			}
			v = rec.PreviousVersion
		}
		return r.dryRun(ctx, v, false)
	}
	if err := r.useBrowser(ctx); err != nil {
		return err
	}
	rep, err := r.p.Rollback(ctx, v)
	return r.summary(ctx, "rollback", v, rep, err)
}

func (a *awsEnv) status(ctx context.Context, format *string) error {
	f := "text"
	if format != nil {
		f = *format
	}
	if f != "text" && f != "json" {
		return fmt.Errorf("-format=%q: want text or json", f)
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	st, err := r.e.Status(ctx)
	if err != nil {
		return err
	}
	if f == "json" {
		return st.WriteJSON(os.Stdout)
	}
	st.WriteText(os.Stdout, time.Now())
	if l := screenshotLine(st.Last.UI); l != "" {
		fmt.Println(l)
	}
	return nil
}

// step runs one step alone on a validated version.
func (a *awsEnv) step(ctx context.Context, v string, fn func(*pipeline.Pipeline, context.Context, string) error) error {
	if err := a.check(v); err != nil {
		return err
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	return fn(r.p, ctx, v)
}

func (a *awsEnv) health(ctx context.Context) error {
	if _, err := browserMode(); err != nil {
		return err
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	if err := r.useBrowser(ctx); err != nil {
		return err
	}
	return r.p.Health(ctx)
}

func (a *awsEnv) seed(ctx context.Context) error {
	r, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	rec, err := r.e.Load(ctx)
	if err != nil {
		return err
	}
	if rec.Version == "" {
		return fmt.Errorf("%s:seed: nothing is released yet (the seeder of the released version runs)", a.name)
	}
	err = r.p.Seed(ctx, rec.Version)
	return r.summary(ctx, "seed", rec.Version, pipeline.Report{Version: rec.Version}, err)
}

func (a *awsEnv) unlock(ctx context.Context) error {
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	l, err := r.p.Unlock(ctx)
	if err != nil {
		return err
	}
	if l.Holder == "" {
		fmt.Printf("%s: no release lease was held\n", a.name)
		return nil
	}
	fmt.Printf("%s: broke the release lease of %s\n", a.name, l)
	return nil
}

func (a *awsEnv) logs(ctx context.Context, service string, since *time.Duration) error {
	d := 10 * time.Minute
	if since != nil {
		if *since <= 0 {
			return fmt.Errorf("-since=%s: want a positive duration", *since)
		}
		d = *since
	}
	if service == "" {
		return errors.New("logs: name a service (e.g. gateway)")
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	lines, err := r.e.Logs(ctx, service, time.Now().Add(-d))
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Printf("%s %s %s\n", l.Time.Format("15:04:05.000"), l.Stream, l.Message)
	}
	if len(lines) == 0 {
		fmt.Printf("(no log lines from %s in the last %s)\n", service, d)
	}
	return nil
}

// runIn runs the application's test command, streaming with -v.
func runIn(ctx context.Context, dir string, argv []string) error {
	_, err := sh.Options{Dir: dir, Stream: mg.Verbose(), Combined: true}.Run(ctx, argv[0], argv[1:]...)
	return err
}
