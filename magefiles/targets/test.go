package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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
// timeout, and compiles the test binaries beside them; the tests themselves
// never build a tool. Env: GOTEST_FLAGS adds go
// test flags, EQUIPTRACK_DEBIAN_MIRROR (data image build).
func (Test) All(ctx context.Context) error {
	opts := gotest.Options{Extra: os.Getenv("GOTEST_FLAGS"), First: longestPackages, Race: racePackages, Ahead: aheadPackages}
	// The tests start containers through testcontainers-go, which reads
	// these; those run ahead start before provisioning ends.
	dockerup.TestcontainersEnv()
	// Lint starts once the packages are compiled, beside the tools still
	// building, and reports after the tests (its lines kept until then,
	// so that they never cut into go test's): on a cold machine the end
	// of provisioning is OpenTofu's link alone on one core of two, and
	// lint run after the tests had nothing of its own beside it. The
	// packages run ahead start then too, once the tools they use are
	// ready, their output kept likewise.
	var lintLog lines
	var aheadOut string
	wait, err := provisionAndCompile(ctx, toolSteps(),
		func(ctx context.Context) error { return gotest.Compile(ctx, opts) },
		follower{name: "lint", run: func(ctx context.Context) error { return lintRepo(ctx, lintLog.logf) }},
		follower{name: "tests run ahead", needs: aheadNeeds, run: func(ctx context.Context) (err error) {
			logf("tests: %s, ahead of the rest…", strings.Join(opts.Ahead, " "))
			aheadOut, err = gotest.RunAhead(ctx, opts)
			return err
		}})
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	testErr := gotest.Run(ctx, opts)
	// Lint even when tests failed: one run should show every problem.
	afterErr := wait()
	fmt.Print(aheadOut, lintLog.String())
	return errors.Join(testErr, afterErr)
}

// aheadPackages run on their own, started as soon as the packages are
// compiled and the tools they use (aheadNeeds) are ready, beside the
// tools still building: the local release end to end, the longest package
// (12 minutes in a cold run beside two busy loops), uses Docker, the data
// image and Chromium but not OpenTofu, whose build ends a cold
// provisioning and whose last minutes are a few compiles and a link, too
// few to keep a busy machine's share.
var (
	aheadPackages = []string{"./magefiles/internal/release/localenv"}
	aheadNeeds    = []string{"docker engine", "data image", "chromium"}
)

// lines collects log lines from several goroutines, for printing later.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// longestPackages start first in the full run, longest first, so that the
// run ends on the short ones: the local release end to end (run ahead) and
// every Terraform directory with OpenTofu and Terraform (5 to 13 minutes), then
// those of half a minute to two and a half in the cold run beside two busy
// loops (lifecycle 140 s, the example binary 130 s, scan 108 s …). In
// ./...'s order two of these, targets and seeddata, started last and ended
// 27 and 40 s after everything else.
var longestPackages = []string{
	"./magefiles/internal/release/localenv", "./magefiles/internal/terraform/tfdriver",
	"./magefiles/internal/release/lifecycle", "./magefiles/internal/exampleapp/cmd/equiptrack",
	"./magefiles/internal/terraform/scan", "./magefiles/internal/terraform/planguard",
	"./magefiles/targets", "./magefiles/internal/release/browser", "./magefiles/internal/terraform/envtest",
	"./magefiles/internal/docker/stores", "./seeddata",
}

// racePackages are tested a second time with the race detector: the
// pipeline (the lease renewed beside a release, health probes sent side
// by side), the command runner (output copied from the child while it runs)
// and the file lock, whose tests drive those goroutines in process, with
// little beyond the standard library to compile instrumented.
var racePackages = []string{"./magefiles/pipeline", "./magefiles/internal/kit/sh", "./magefiles/internal/kit/filelock"}

// Tools provisions what the tests need, side by side, with progress lines
// per tool: Docker and the data image, OpenTofu, the hashicorp/aws schema
// and its replica provider, the scanners (trivy, tflint) and the linters
// (staticcheck, actionlint), and Chromium for the browser checks. Cold,
// this is most of a first test run (OpenTofu alone takes minutes); warm, a
// few seconds. Env: EQUIPTRACK_DEBIAN_MIRROR.
func (Test) Tools(ctx context.Context) error {
	return provision(ctx, toolSteps(), nil)
}

// toolStep is one tool the test suite needs. after names the steps whose
// result it uses (the data image is built by Docker); it starts as soon as
// they are ready. afterCompile marks a build of packages the kit's own
// compile step compiles too: when the packages compile beside the tools,
// it starts once they are compiled and links what they left in the build
// cache instead of compiling the same packages a second time beside them.
type toolStep struct {
	name         string
	ensure       func(ctx context.Context) error
	after        []string
	afterCompile bool
}

// toolSteps lists the tools: Docker before the data image; the rest need
// nothing but the Go module proxy, npm or apt, and build side by side. The
// replica is OpenTofu's provider but its install never runs OpenTofu: after
// it, it lengthened a cold run by its own 75 seconds (npm pack and the
// provider's build) at the end of OpenTofu's, the longest build. It comes
// after the compile step instead: a package of this module, built with
// the kit's own flags, it is then a link (its gRPC, protobuf and
// terraform-plugin-go compiled a second time beside it: 42 CPU-seconds).
func toolSteps() []toolStep {
	gotoolStep := func(name string, ensure func(context.Context, sh.Logf) (string, error)) toolStep {
		return toolStep{name: name, ensure: func(ctx context.Context) error { _, err := ensure(ctx, logf); return err }}
	}
	return []toolStep{
		{name: "docker engine", ensure: func(ctx context.Context) error { return dockerup.Ensure(ctx, logf) }},
		{name: "data image", ensure: func(ctx context.Context) error { _, err := ensureDataImage(ctx); return err }, after: []string{"docker engine"}},
		gotoolStep("opentofu", tofu.Ensure),
		{name: "provider schema and replica", ensure: func(ctx context.Context) error { _, err := tfreplica.Ensure(ctx, logf); return err }, afterCompile: true},
		gotoolStep("trivy", scan.EnsureTrivy),
		gotoolStep("tflint", scan.EnsureTFLint),
		gotoolStep("staticcheck", func(ctx context.Context, l sh.Logf) (string, error) { return gotool.Ensure(ctx, lint.Staticcheck, l) }),
		gotoolStep("actionlint", func(ctx context.Context, l sh.Logf) (string, error) { return gotool.Ensure(ctx, lint.Actionlint, l) }),
		// Debian's package, no build; the browser tests and the local
		// end-to-end Health step open the UI in it.
		gotoolStep("chromium", browser.Ensure),
	}
}

// provision runs every step as soon as the steps it comes after are ready,
// side by side: the builds are independent, and together they fill each
// other's waits (module downloads, apt, mmdebstrap, the one-threaded link)
// and hold their share of a machine busy with other work — one after
// another, a cold run on a loaded machine took over an hour. The first
// failure cancels the steps running and starts no other; provision returns
// once every started step has ended, with that failure alone (the others'
// errors are the cancellation's). When compiled is not nil (the packages
// compile beside the tools), a step marked afterCompile waits until it is
// closed.
func provision(ctx context.Context, steps []toolStep, compiled <-chan struct{}) error {
	return provisionNotifying(ctx, steps, compiled, nil)
}

// provisionNotifying is provision calling notify with each step's name as it
// becomes ready (from one goroutine, in order).
func provisionNotifying(ctx context.Context, steps []toolStep, compiled <-chan struct{}, notify func(step string)) error {
	t0 := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	index := map[string]int{}
	for i, st := range steps {
		index[st.name] = i
	}
	for _, st := range steps {
		for _, a := range st.after {
			if _, ok := index[a]; !ok {
				return fmt.Errorf("tools: %s comes after %q, which is not a step", st.name, a)
			}
		}
	}
	type result struct {
		i   int
		err error
	}
	done := make(chan result)
	started := make([]bool, len(steps))
	ready := make([]bool, len(steps))
	running := 0
	var failed error
	startReady := func() {
		for i, st := range steps {
			waiting := slices.ContainsFunc(st.after, func(a string) bool { return !ready[index[a]] })
			if started[i] || waiting {
				continue
			}
			started[i] = true
			running++
			waitCompile := st.afterCompile && compiled != nil
			if waitCompile {
				logf("tools: [%d/%d] %s, once the packages are compiled…", i+1, len(steps), st.name)
			} else {
				logf("tools: [%d/%d] %s…", i+1, len(steps), st.name)
			}
			go func() {
				if waitCompile {
					select {
					case <-compiled:
					case <-ctx.Done():
						done <- result{i, ctx.Err()}
						return
					}
				}
				t := time.Now()
				err := st.ensure(ctx)
				if err == nil {
					logf("tools: [%d/%d] %s ready (%s)", i+1, len(steps), st.name, sh.Since(t))
				}
				done <- result{i, err}
			}()
		}
	}
	startReady()
	for running > 0 {
		r := <-done
		running--
		switch {
		case r.err == nil:
			ready[r.i] = true
			if notify != nil {
				notify(steps[r.i].name)
			}
			if failed == nil {
				startReady()
			}
		case failed == nil:
			failed = fmt.Errorf("tools: %s: %w", steps[r.i].name, r.err)
			cancel()
			// Later errors are the cancellation's ("signal: killed"): they say no more.
		}
	}
	if failed != nil {
		return failed
	}
	logf("tools: all %d ready in %s", len(steps), sh.Since(t0))
	return nil
}

// follower is work that starts once the packages are compiled — whatever
// the compile's result — and the steps it needs are ready, beside the tools
// still building, and may outlive provisioning.
type follower struct {
	name  string
	needs []string // step names
	run   func(ctx context.Context) error
}

// provisionAndCompile provisions the tools and, beside them, compiles the
// packages the tests need: cold, both are long CPU-bound builds with
// nothing between them. A failed compile does not stop the run: the test
// run that follows compiles again and reports the errors where they
// belong. Each follower starts as its turn comes and may outlive this
// call: wait returns their errors joined. When provisioning fails, the
// compile and the followers are stopped and waited for, and that failure
// is the error.
func provisionAndCompile(ctx context.Context, steps []toolStep, compile func(context.Context) error, followers ...follower) (wait func() error, err error) {
	// Each step's readiness as a channel, closed by the one goroutine
	// that reports them.
	readyCh := map[string]chan struct{}{}
	for _, st := range steps {
		readyCh[st.name] = make(chan struct{})
	}
	for _, f := range followers {
		for _, n := range f.needs {
			if readyCh[n] == nil {
				return nil, fmt.Errorf("tools: %s needs %q, which is not a step", f.name, n)
			}
		}
	}
	actx, acancel := context.WithCancel(ctx)
	after := make(chan error, len(followers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	compiled := make(chan struct{})
	go func() {
		defer close(compiled)
		t := time.Now()
		logf("tests: compiling the packages and their tests (go vet) beside the tools…")
		if err := compile(ctx); err != nil {
			if ctx.Err() != nil {
				return // provisioning failed: nothing follows
			}
			logf("tests: go vet failed; the test run and lint say why (%s)", sh.Since(t))
		} else {
			logf("tests: packages compiled (%s)", sh.Since(t))
		}
	}()
	// failed is closed when provisioning fails, before the compile is
	// stopped: a follower that sees the compile end then starts nothing.
	failed := make(chan struct{})
	for _, f := range followers {
		go func() {
			for _, c := range append([]chan struct{}{compiled}, needed(readyCh, f.needs)...) {
				select {
				case <-c:
				case <-failed:
					after <- context.Canceled
					return
				}
			}
			select {
			case <-failed:
				after <- context.Canceled
			default:
				after <- f.run(actx)
			}
		}()
	}
	waitAll := func() error {
		defer acancel()
		var errs []error
		for range followers {
			errs = append(errs, <-after)
		}
		return errors.Join(errs...)
	}
	if err := provisionNotifying(ctx, steps, compiled, func(step string) { close(readyCh[step]) }); err != nil {
		close(failed)
		cancel() // no test run follows: stop compiling for it
		acancel()
		<-compiled
		waitAll()
		return nil, err
	}
	<-compiled
	return waitAll, nil
}

// needed returns the channels of names.
func needed(readyCh map[string]chan struct{}, names []string) []chan struct{} {
	var out []chan struct{}
	for _, n := range names {
		out = append(out, readyCh[n])
	}
	return out
}

// Unit runs the fast tests only (go test -short): no Docker, no OpenTofu.
// Env: GOTEST_FLAGS adds go test flags.
func (Test) Unit(ctx context.Context) error {
	return gotest.Run(ctx, gotest.Options{Short: true, Extra: os.Getenv("GOTEST_FLAGS")})
}

// Lint runs gofmt, go vet, staticcheck and actionlint with shellcheck.
func (Test) Lint(ctx context.Context) error { return lintRepo(ctx, logf) }

func lintRepo(ctx context.Context, logf sh.Logf) error {
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
