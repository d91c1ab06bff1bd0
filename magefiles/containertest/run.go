package containertest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Need says which shared containers a test package wants.
type Need int

const (
	NeedPostgres Need = 1 << iota
	NeedRedis
	NeedBoth = NeedPostgres | NeedRedis
)

// DebugEnv, when set, keeps testcontainers' own log lines in Run.
const DebugEnv = "EQUIPTRACK_CONTAINERS_DEBUG"

// SetupTimeout bounds Docker, the image (a cold build is about a minute) and
// the containers' start in Run.
const SetupTimeout = 20 * time.Minute

var shared struct {
	sync.Mutex
	pg    *Postgres
	redis *Redis
}

// Run is a TestMain helper: it makes Docker available, builds the data image,
// starts the containers the package needs, runs the tests and removes the
// containers. Under `go test -short` it starts nothing (tests that need a
// container skip through PG/Redis). When Docker cannot be had it prints one
// line and returns 1: the package FAILS, it never skips.
//
//	func TestMain(m *testing.M) { os.Exit(containers.Run(m, containers.NeedBoth)) }
func Run(m *testing.M, need Need) int {
	dockerup.TestcontainersEnv()
	if !flag.Parsed() {
		flag.Parse() // testing.Short needs the flags; m.Run parses them again harmlessly
	}
	if testing.Short() {
		return m.Run()
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	// testcontainers narrates every step of every container; the kit prints
	// one line per container instead. DebugEnv brings the narration back.
	if os.Getenv(DebugEnv) == "" {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	// The data image comes provisioned (go run magefile.go test:tools, or
	// docker:up): never built inside the tests' timeout.
	ctx, cancel := context.WithTimeout(cachedir.Provisioned(context.Background()), SetupTimeout)
	pg, rd, err := setup(ctx, need, logf)
	cancel()
	defer teardown(pg, rd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	shared.Lock()
	shared.pg, shared.redis = pg, rd
	shared.Unlock()
	// Ctrl-C or a kill: remove the containers before dying (deferred calls
	// do not run then). A -timeout panic is caught by SweepOrphans next run.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "containers: %v: removing the test containers\n", sig)
		teardown(pg, rd)
		os.Exit(130)
	}()
	defer signal.Stop(sigs)
	return m.Run()
}

// setup returns whatever it started even on error, so the caller can remove it.
func setup(ctx context.Context, need Need, logf sh.Logf) (*Postgres, *Redis, error) {
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return nil, nil, fmt.Errorf("these tests need Docker and none could be had: %w", err)
	}
	if n, err := SweepOrphans(ctx); err != nil {
		logf("containers: %v", err) // not fatal: only leftovers stay
	} else if n > 0 {
		logf("containers: removed %d test container(s) left by killed test runs", n)
	}
	img, err := baseimage.EnsureDataImage(ctx, logf)
	if err != nil {
		return nil, nil, fmt.Errorf("these tests need the kit's data image: %w", err)
	}
	o := Options{Image: img, Logf: logf}
	var (
		pg           *Postgres
		rd           *Redis
		pgErr, rdErr error
		wg           sync.WaitGroup
	)
	// In parallel: each waits mostly on its server's start-up.
	if need&NeedPostgres != 0 {
		wg.Go(func() { pg, pgErr = StartPostgresWith(ctx, o) })
	}
	if need&NeedRedis != 0 {
		wg.Go(func() { rd, rdErr = StartRedisWith(ctx, o) })
	}
	wg.Wait()
	return pg, rd, errors.Join(pgErr, rdErr)
}

func teardown(pg *Postgres, rd *Redis) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if pg != nil {
		if err := pg.Terminate(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "containers: remove postgres: %v\n", err)
		}
	}
	if rd != nil {
		if err := rd.Terminate(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "containers: remove redis: %v\n", err)
		}
	}
}

// PG returns the package's shared PostgreSQL started by Run. Under -short it
// skips the test; it fails the test when Run was not asked for PostgreSQL.
func PG(tb testing.TB) *Postgres {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if testing.Short() {
		tb.Skip("needs PostgreSQL in Docker (skipped under -short)")
	}
	if shared.pg == nil {
		tb.Fatal("containers: no shared PostgreSQL: call containers.Run(m, containers.NeedPostgres) in TestMain")
	}
	return shared.pg
}

// SharedRedis returns the package's shared Redis started by Run. Under -short
// it skips the test; it fails the test when Run was not asked for Redis.
func SharedRedis(tb testing.TB) *Redis {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if testing.Short() {
		tb.Skip("needs Redis in Docker (skipped under -short)")
	}
	if shared.redis == nil {
		tb.Fatal("containers: no shared Redis: call containers.Run(m, containers.NeedRedis) in TestMain")
	}
	return shared.redis
}
