package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/check/gotest"
	"github.com/equiptrack/release-kit/magefiles/internal/check/lint"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/browser"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/scan"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tofu"
)

// Test runs the kit's test suites.
type Test mg.Namespace

// All runs every test of the repository — unit, property-based, the seeder
// against real PostgreSQL and Redis containers, the Terraform checks with
// OpenTofu, the local release end to end — then the static checks. First it
// provisions every tool the tests need (test:tools), outside any test
// timeout; the tests themselves never build one. Env: GOTEST_FLAGS adds go
// test flags, EQUIPTRACK_DEBIAN_MIRROR (data image build).
func (Test) All(ctx context.Context) error {
	if err := provision(ctx, toolSteps()); err != nil {
		return fmt.Errorf("test: %w", err)
	}
	// The tests start containers through testcontainers-go, which reads these.
	dockerup.TestcontainersEnv()
	testErr := gotest.Run(ctx, gotest.Options{Extra: os.Getenv("GOTEST_FLAGS")})
	// Lint even when tests failed: one run should show every problem.
	return errors.Join(testErr, lintRepo(ctx))
}

// Tools provisions what the tests need, in order, with one progress line
// per tool: Docker and the data image, OpenTofu, the hashicorp/aws schema
// and its replica provider, the scanners (trivy, tflint) and the linters
// (staticcheck, actionlint), and Chromium for the browser checks. Cold,
// this is most of a first test run (OpenTofu alone takes minutes); warm, a
// few seconds. Env: EQUIPTRACK_DEBIAN_MIRROR.
func (Test) Tools(ctx context.Context) error {
	return provision(ctx, toolSteps())
}

// toolStep is one tool the test suite needs. alongside: the step mostly
// waits on downloads and the disk (debootstrap, apt), so it runs beside the
// CPU-bound builds that follow it instead of before them — on a cold,
// loaded machine that saves the length of the shorter one.
type toolStep struct {
	name      string
	ensure    func(ctx context.Context) error
	alongside bool
}

// toolSteps lists the tools in the order they are provisioned: Docker
// first (the data image needs it), OpenTofu before the replica that it
// loads, the longest builds early so a cold run shows progress soon.
func toolSteps() []toolStep {
	gotoolStep := func(name string, ensure func(context.Context, sh.Logf) (string, error)) toolStep {
		return toolStep{name: name, ensure: func(ctx context.Context) error { _, err := ensure(ctx, logf); return err }}
	}
	chromium := gotoolStep("chromium", browser.Ensure)
	chromium.alongside = true
	return []toolStep{
		{name: "docker engine", ensure: func(ctx context.Context) error { return dockerup.Ensure(ctx, logf) }},
		{name: "data image", ensure: func(ctx context.Context) error { _, err := ensureDataImage(ctx); return err }, alongside: true},
		gotoolStep("opentofu", tofu.Ensure),
		{name: "provider schema and replica", ensure: func(ctx context.Context) error { _, err := tfreplica.Ensure(ctx, logf); return err }},
		gotoolStep("trivy", scan.EnsureTrivy),
		gotoolStep("tflint", scan.EnsureTFLint),
		gotoolStep("staticcheck", func(ctx context.Context, l sh.Logf) (string, error) { return gotool.Ensure(ctx, lint.Staticcheck, l) }),
		gotoolStep("actionlint", func(ctx context.Context, l sh.Logf) (string, error) { return gotool.Ensure(ctx, lint.Actionlint, l) }),
		// Debian's package, no build; the browser tests and the local
		// end-to-end Health step open the UI in it.
		chromium,
	}
}

// provision runs the steps in order, each with its own progress lines, and
// stops at the first failure (later tools may need it); a step marked
// alongside starts in order and runs beside the next ones. Every started
// step is waited for before provision returns.
func provision(ctx context.Context, steps []toolStep) error {
	t0 := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		bgErr error
	)
	bgFailed := func() bool { mu.Lock(); defer mu.Unlock(); return bgErr != nil }
	run := func(i int, st toolStep) error {
		t := time.Now()
		if err := st.ensure(ctx); err != nil {
			return fmt.Errorf("tools: %s: %w", st.name, err)
		}
		logf("tools: [%d/%d] %s ready (%s)", i+1, len(steps), st.name, sh.Since(t))
		return nil
	}
	var err error
	for i, st := range steps {
		if bgFailed() {
			break
		}
		if st.alongside {
			logf("tools: [%d/%d] %s… (alongside the next steps)", i+1, len(steps), st.name)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if e := run(i, st); e != nil {
					mu.Lock()
					bgErr = errors.Join(bgErr, e)
					mu.Unlock()
				}
			}()
			continue
		}
		logf("tools: [%d/%d] %s…", i+1, len(steps), st.name)
		if err = run(i, st); err != nil {
			cancel()
			break
		}
	}
	wg.Wait()
	if err != nil {
		// The steps beside it were cancelled with it: their errors say no more.
		if bgErr != nil && !errors.Is(bgErr, context.Canceled) {
			err = errors.Join(err, bgErr)
		}
		return err
	}
	if bgErr != nil {
		return bgErr
	}
	logf("tools: all %d ready in %s", len(steps), sh.Since(t0))
	return nil
}

// Unit runs the fast tests only (go test -short): no Docker, no OpenTofu.
// Env: GOTEST_FLAGS adds go test flags.
func (Test) Unit(ctx context.Context) error {
	return gotest.Run(ctx, gotest.Options{Short: true, Extra: os.Getenv("GOTEST_FLAGS")})
}

// Lint runs gofmt, go vet, staticcheck and actionlint with shellcheck.
func (Test) Lint(ctx context.Context) error { return lintRepo(ctx) }

func lintRepo(ctx context.Context) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := lint.Run(ctx, wd, logf); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	return nil
}

func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
