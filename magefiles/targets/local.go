package targets

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/release/localenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/internal/release/version"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// DefaultLocalVersion is what local:up releases when the local registry holds
// no version yet.
const DefaultLocalVersion = "v0.1.0"

// The environment variables every local target reads are listed in each doc
// comment; they are parsed here, once.
func localOptions(ctx context.Context) (localenv.Options, error) {
	appDir, err := manifest.AppDir(ctx, os.Getenv)
	if err != nil {
		return localenv.Options{}, err
	}
	m, err := manifest.Load(appDir, os.Getenv)
	if err != nil {
		return localenv.Options{}, err
	}
	replicas, err := envInt(localenv.ReplicasEnv, 1, 1, 10, "a number of replicas")
	if err != nil {
		return localenv.Options{}, err
	}
	reg, entry, err := envPorts(localenv.RegistryPortEnv, localenv.DefaultRegistryPort, localenv.EntryPortEnv, localenv.DefaultEntryPort)
	if err != nil {
		return localenv.Options{}, err
	}
	quick, err := envBool("QUICK_TESTS")
	if err != nil {
		return localenv.Options{}, err
	}
	return localenv.Options{
		Manifest: m, Replicas: replicas, RegistryPort: reg, EntryPort: entry,
		QuickTests: quick, Verbose: mg.Verbose(), Logf: logf,
	}, nil
}

// withLocal takes the environment's release lease first, then makes the
// environment available (Docker, stores, registry, entry) and runs fn with
// its pipeline, all under that one lease: starting may recreate the registry
// or the entry, which a release running meanwhile depends on.
func withLocal(ctx context.Context, what string, fn func(ctx context.Context, e *localenv.Env, p *pipeline.Pipeline) error) error {
	o, err := localOptions(ctx)
	if err != nil {
		return err
	}
	st, err := localStoresOptions()
	if err != nil {
		return err
	}
	if err := setLocalBrowser(ctx, &o); err != nil {
		return err
	}
	lockOnly, err := localenv.Attach(o)
	if err != nil {
		return err
	}
	return lockOnly.Pipeline().WithLock(ctx, what, func(ctx context.Context) error {
		o.PostgresPort, o.RedisPort = st.PostgresPort, st.RedisPort
		e, err := localenv.Start(ctx, o)
		if err != nil {
			return err
		}
		return fn(ctx, e, e.Pipeline())
	})
}

// setLocalBrowser gives the local Health step its browser (EQUIPTRACK_BROWSER),
// its screenshot kept in the environment's state directory, beside the
// release record.
func setLocalBrowser(ctx context.Context, o *localenv.Options) error {
	name := o.Name
	if name == "" {
		name = localenv.DefaultName
	}
	dir, err := stores.StateDir(name)
	if err != nil {
		return err
	}
	o.Health.Browser, err = healthBrowser(ctx, dir)
	return err
}

// localStoresOptions are the default local environment's PostgreSQL and
// Redis ports: EQUIPTRACK_LOCAL_{PG,REDIS}_PORT, else the defaults.
func localStoresOptions() (stores.LocalOptions, error) {
	pg, redis, err := envPorts(stores.LocalPostgresPortEnv, stores.DefaultLocalPostgresPort, stores.LocalRedisPortEnv, stores.DefaultLocalRedisPort)
	if err != nil {
		return stores.LocalOptions{}, err
	}
	return stores.LocalOptions{PostgresPort: pg, RedisPort: redis}, nil
}

func checkVersion(v string) error { return version.Validate(version.Semver, v) }

// Up brings the local environment up on a fresh machine and releases the
// example services into it: Docker (installed and started when missing), the
// PostgreSQL and Redis containers, the local registry and entry, then a
// seeded release of the newest version in the local registry (v0.1.0 the
// first time). It prints the URL and what to try.
// Env: APP_DIR (application, default exampleapp/), QUICK_TESTS=1 (the
// manifest's quick tests), EQUIPTRACK_LOCAL_REPLICAS (default 1),
// EQUIPTRACK_LOCAL_{ENTRY,REGISTRY,PG,REDIS}_PORT, EQUIPTRACK_BROWSER (the
// Health step's Chromium: auto, on, off).
func (Local) Up(ctx context.Context) error {
	var v, u string
	if err := withLocal(ctx, "up", func(ctx context.Context, e *localenv.Env, p *pipeline.Pipeline) error {
		v = DefaultLocalVersion
		if newest, err := e.NewestVersion(ctx); err != nil {
			return err
		} else if newest != "" {
			v = newest
		}
		u = e.URL()
		_, err := p.Release(ctx, v, pipeline.ReleaseOptions{Seed: true})
		return err
	}); err != nil {
		return err
	}
	next := v
	if sv, err := version.ParseSemver(v); err == nil {
		sv.Minor, sv.Patch = sv.Minor+1, 0
		next = sv.String()
	}
	fmt.Printf(`
equiptrack (example build) %[1]s is up at %[2]s

Try:
  open %[2]s/                                  # the UI: the fleet, from the API
  curl -s '%[2]s/api/inventory/items?limit=3'  # items
  curl -s %[2]s/api/reporting/summary          # the fleet summary (cached in Redis)
  curl -s %[2]s/api/readyz                     # the gateway's readiness
  go run magefile.go local:status              # what runs where
  go run magefile.go local:load                # a 60 s demo load of 20 users (docs/load.md)
  go run magefile.go local:release %[3]s       # release a new version (-seed=true to seed)
  go run magefile.go local:rollback previous   # and back to this one
  go run magefile.go local:down                # stop (data kept)
`, v, u, next)
	return nil
}

// Release runs the whole pipeline against the local environment: Test →
// Build → Push → Prepare → Migrate → Deploy → Health → (Seed), printing each
// step with its time. The version must be vX.Y.Z. -seed=true (or SEED=1)
// seeds after a healthy deploy. The release lease is taken before anything
// is started or recreated.
// Env: SEED, APP_DIR, QUICK_TESTS, EQUIPTRACK_LOCAL_REPLICAS,
// EQUIPTRACK_LOCAL_{ENTRY,REGISTRY,PG,REDIS}_PORT, EQUIPTRACK_BROWSER.
func (Local) Release(ctx context.Context, version string, seed *bool) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	doSeed, err := envBool("SEED")
	if err != nil {
		return err
	}
	if seed != nil {
		doSeed = *seed
	}
	return withLocal(ctx, "release", func(ctx context.Context, _ *localenv.Env, p *pipeline.Pipeline) error {
		_, err := p.Release(ctx, version, pipeline.ReleaseOptions{Seed: doSeed})
		return err
	})
}

// Rollback redeploys an earlier version's images from the local registry to
// every service, then checks health (a failure restores what ran). The
// version is vX.Y.Z, or `previous`: the version the environment ran before
// its last release or rollback.
// Env: APP_DIR, EQUIPTRACK_LOCAL_REPLICAS, EQUIPTRACK_LOCAL_*_PORT,
// EQUIPTRACK_BROWSER.
func (Local) Rollback(ctx context.Context, version string) error {
	if version != pipeline.Previous {
		if err := checkVersion(version); err != nil {
			return fmt.Errorf("%w (or %q)", err, pipeline.Previous)
		}
	}
	return withLocal(ctx, "rollback", func(ctx context.Context, _ *localenv.Env, p *pipeline.Pipeline) error {
		_, err := p.Rollback(ctx, version)
		return err
	})
}

// Unlock breaks the local environment's release lease: the operation holding
// it stops at its next renewal (within a minute) and releases it. Locally a
// crashed holder never leaves a lease behind (the kernel drops the lock), so
// this is only needed to stop a live one.
// Env: APP_DIR.
func (Local) Unlock(ctx context.Context) error {
	_, e, err := attachLocal(ctx, false)
	if err != nil {
		return err
	}
	l, err := e.Pipeline().Unlock(ctx)
	if err != nil {
		return err
	}
	if l.Holder == "" {
		fmt.Println("no release lease was held")
		return nil
	}
	fmt.Printf("broke the release lease of %s\n", l)
	return nil
}

// Status prints what the local environment runs: each service's version and
// replicas, the last release attempt (with the UI's timing in the browser
// and where its screenshot is kept), the URL, the registry's versions and
// where the admin password is kept.
// Env: APP_DIR, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Status(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	o, e, err := attachLocal(ctx, false)
	if err != nil {
		return err
	}
	rec, cur, err := e.Pipeline().Status(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("local environment %s — entry %s, registry %s\n", e.Name(), e.URL(), e.RegistryHost())
	if rec.Version == "" {
		fmt.Println("released: nothing yet (go run magefile.go local:up)")
	} else {
		fmt.Printf("released: %s\n", rec.Version)
	}
	if rec.PreviousVersion != "" {
		fmt.Printf("previous: %s (local:rollback previous)\n", rec.PreviousVersion)
	}
	if rec.Last.Kind != "" {
		line := fmt.Sprintf("last %s: %s %s at %s", rec.Last.Kind, rec.Last.Version, rec.Last.Result, rec.Last.Finished.Format("2006-01-02 15:04:05Z"))
		if rec.Last.FailedStep != "" {
			line += fmt.Sprintf(" (at %s: %s", rec.Last.FailedStep, rec.Last.Error)
			switch rec.Last.Restore {
			case pipeline.RestoreComplete:
				line += "; services restored"
			case pipeline.RestorePartial:
				line += "; restore PARTIAL — see what runs below"
			}
			line += ")"
		}
		fmt.Println(line)
	}
	if l := screenshotLine(rec.Last.UI); l != "" {
		fmt.Println(l)
	}
	if l, live, err := e.ReadLease(); err == nil && live {
		fmt.Printf("release lease: held by %s (local:unlock stops it)\n", l)
	}
	names := o.Manifest.Names()
	for _, n := range names {
		st, ok := cur[n]
		if !ok || st.Running+st.Other == 0 {
			fmt.Printf("  %-10s not running\n", n)
			continue
		}
		extra := ""
		if st.Other > 0 {
			extra = fmt.Sprintf(" (%d replicas on other revisions: a rollout was interrupted)", st.Other)
		}
		fmt.Printf("  %-10s %-8s ×%d  %s%s\n", n, st.Revision.Version, st.Running, st.Revision.ID, extra)
	}
	if vs, err := e.Versions(ctx, names[0]); err == nil && len(vs) > 0 {
		sort.Strings(vs)
		fmt.Printf("in the registry: %s\n", strings.Join(vs, " "))
	}
	printAdminPasswordFile(e.Name())
	return nil
}

// Down stops the local environment: services, entry, registry, PostgreSQL
// and Redis, holding the release lease (a release running meanwhile makes it
// refuse). Data (the database volume, the registry's images, the release
// record, the passwords) is kept unless -purge=true.
// Env: EQUIPTRACK_LOCAL_REGISTRY_PORT.
func (Local) Down(ctx context.Context, purge *bool) error {
	reg, err := envPort(localenv.RegistryPortEnv, localenv.DefaultRegistryPort)
	if err != nil {
		return err
	}
	keep := purge == nil || !*purge
	if err := localenv.Down(ctx, localenv.DefaultName, reg, keep, logf); err != nil {
		return err
	}
	if keep {
		fmt.Println("local environment stopped; data kept (local:down -purge=true removes it)")
	} else {
		fmt.Println("local environment removed, data included")
	}
	return nil
}

// Test runs the application's tests (the pipeline's Test step alone).
// Env: APP_DIR, QUICK_TESTS=1 (the manifest's quick command).
func (Local) Test(ctx context.Context) error {
	p, err := attachedPipeline(ctx, false)
	if err != nil {
		return err
	}
	return p.Test(ctx)
}

// Build builds the version's images (the services' and the seeder's) that the
// local registry does not hold yet; a version already there is refused.
// Env: APP_DIR, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Build(ctx context.Context, version string) error {
	return localStep(ctx, "build", version, func(ctx context.Context, p *pipeline.Pipeline) error { return p.Build(ctx, version) })
}

// Push pushes the version's built images to the local registry; a tag that
// holds other content is refused (tags are immutable).
// Env: APP_DIR, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Push(ctx context.Context, version string) error {
	return localStep(ctx, "push", version, func(ctx context.Context, p *pipeline.Pipeline) error { return p.Push(ctx, version) })
}

// Migrate runs the version's migration as a one-off container and waits for
// its exit code.
// Env: APP_DIR, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Migrate(ctx context.Context, version string) error {
	return localStep(ctx, "migrate", version, func(ctx context.Context, p *pipeline.Pipeline) error { return p.Migrate(ctx, version) })
}

// Deploy rolls every service to the version's images, replica by replica; a
// failed rollout restores what ran before.
// Env: APP_DIR, EQUIPTRACK_LOCAL_REPLICAS, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Deploy(ctx context.Context, version string) error {
	return localStep(ctx, "deploy", version, func(ctx context.Context, p *pipeline.Pipeline) error { return p.Deploy(ctx, version) })
}

// Health checks the local environment through its entry: every service
// ready, one smoke request, API p95 ≤ 500 ms, the UI in headless Chromium
// loaded and its items on screen ≤ 3 s with no JavaScript error (the
// screenshot kept in the state directory).
// Env: APP_DIR, EQUIPTRACK_LOCAL_ENTRY_PORT, EQUIPTRACK_BROWSER (auto, on, off).
func (Local) Health(ctx context.Context) error {
	p, err := attachedPipeline(ctx, true)
	if err != nil {
		return err
	}
	return p.Health(ctx)
}

// attachedPipeline is the pipeline of the local environment as it runs,
// starting nothing (a step that only reads or tests); withBrowser gives its
// Health step the browser.
func attachedPipeline(ctx context.Context, withBrowser bool) (*pipeline.Pipeline, error) {
	_, e, err := attachLocal(ctx, withBrowser)
	if err != nil {
		return nil, err
	}
	return e.Pipeline(), nil
}

// attachLocal reads the local options and attaches to the environment as it
// runs, starting nothing.
func attachLocal(ctx context.Context, withBrowser bool) (localenv.Options, *localenv.Env, error) {
	o, err := localOptions(ctx)
	if err != nil {
		return o, nil, err
	}
	if withBrowser {
		if err := setLocalBrowser(ctx, &o); err != nil {
			return o, nil, err
		}
	}
	e, err := localenv.Attach(o)
	return o, e, err
}

func localStep(ctx context.Context, what, version string, fn func(context.Context, *pipeline.Pipeline) error) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	return withLocal(ctx, what, func(ctx context.Context, _ *localenv.Env, p *pipeline.Pipeline) error {
		return fn(ctx, p)
	})
}
