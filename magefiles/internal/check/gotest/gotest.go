// Package gotest builds and runs the repository's `go test` invocation.
package gotest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Options select what runs.
type Options struct {
	Short bool   // -short: skip tests that need Docker or OpenTofu
	Extra string // more flags, space separated (GOTEST_FLAGS)
	Pkgs  []string
	// First names packages of the full run over ./... to start before the
	// others: the longest, so that the short ones fill the slots beside
	// them instead of the run ending on one long package alone. go test
	// starts (and reports) packages in the order given and runs each once.
	First []string
	// Race names packages the full run tests once more, with the race
	// detector, after the run over ./... (see RaceArgs).
	Race []string
	// Ahead names packages of the full run that the caller runs on their
	// own (RunAhead), started before the rest while the tools the rest
	// needs are still building; the run over ./... leaves them out and
	// still takes its packages-at-once beside them: with one fewer, in a
	// cold run beside two busy loops, the local end to end run ahead ended
	// 110 s before the rest, whose last two minutes, two short packages at
	// a time, left the loops 0.8 to 1.0 of the two cores.
	Ahead []string
}

// Timeout bounds the whole run; the suite is meant to finish well inside it.
const Timeout = "45m"

// packages is how many test packages the full run runs at once (go test
// -p; its default is the number of cores). Much of its time the suite
// waits on other processes — containers starting, OpenTofu planning, a
// release polling health — and two packages at once on two cores leave
// those waits to whatever else the machine runs: in a cold run beside two
// busy loops, the loops took 0.6 to 0.9 of the two cores while the tests
// ran, against 0.2 to 0.35 while the tools built. Four at once stretched
// the local end to end past 15 minutes there; three is the middle. A
// package run ahead (Options.Ahead) comes on top: it started minutes
// before the rest, and the two ended 13 s apart.
const packages = 3

// Args returns the go test arguments for opts, ./... unexpanded (Run
// expands it when packages run ahead: go test has no pattern that leaves
// some out).
//
// The run over ./... builds with go's default flags, those of the
// magefile's own build: every package the targets import (the AWS SDK,
// chromedp's protocol, vegeta, pgx…) is compiled once on a cold machine
// and then found in the build cache by the compile step, the run and lint.
// With -race everywhere, as before, the compile step compiled all of them
// a second time: 387 CPU-seconds after the magefile's build instead of 145,
// the largest single share of a cold run. The race detector runs instead
// where the kit's own goroutines are (Options.Race, RaceArgs).
func Args(opts Options) []string { return args(opts, []string{"./..."}) }

// args is Args with all standing for ./...: the patterns, or the packages
// go list expands them to, those run ahead left out.
func args(opts Options, all []string) []string {
	args := testArgs()
	if opts.Short {
		args = append(args, "-short")
	} else {
		// -vet=off: the full run follows the compile step, which ran the
		// whole of go vet over these packages, and lint reports what it
		// found. go test's own vet pass is a subset of those analyzers
		// under another cache key: on a cold machine it ran them all
		// again (90 CPU-seconds) for nothing new.
		args = append(args, "-p", strconv.Itoa(packages), "-vet=off")
	}
	args = append(args, strings.Fields(opts.Extra)...)
	if len(opts.Pkgs) == 0 {
		if !opts.Short {
			args = append(args, slices.DeleteFunc(slices.Clone(opts.First), func(p string) bool { return slices.Contains(opts.Ahead, p) })...)
		}
		return append(args, all...)
	}
	return append(args, opts.Pkgs...)
}

// ahead returns the packages run ahead of a run of o: none for a short run
// or a run of chosen packages.
func (o Options) ahead() []string {
	if o.Short || len(o.Pkgs) > 0 {
		return nil
	}
	return o.Ahead
}

// AheadArgs returns the arguments of the run of opts.Ahead on their own,
// with the full run's flags, or nil when none runs ahead.
func AheadArgs(opts Options) []string {
	ahead := opts.ahead()
	if len(ahead) == 0 {
		return nil
	}
	return args(Options{Extra: opts.Extra, Pkgs: ahead}, nil)
}

// RunAhead runs opts.Ahead's tests and returns go test's output with the
// command line before it, for the caller to print after the full run's
// (two go test runs streaming at once would interleave their lines).
func RunAhead(ctx context.Context, opts Options) (string, error) {
	a := AheadArgs(opts)
	if a == nil {
		return "", nil
	}
	out, err := (sh.Options{Combined: true, TailLines: -1}).Run(ctx, "go", a...)
	out = "go " + strings.Join(a, " ") + "\n" + out
	if err != nil {
		return out, fmt.Errorf("go test: %w", err)
	}
	return out, nil
}

// RaceArgs returns the arguments of the full run's race pass: opts.Race
// tested again with -race, or nil (a short run, none named, or a run of
// chosen packages). Its cost is the standard library compiled a second
// time, instrumented (about a CPU-minute cold), which is why it covers the
// packages whose tests drive their goroutines in process (the pipeline's
// lease renewal and checks, the command runner's output copying, the file
// lock) and whose dependencies are little more than the standard library.
func RaceArgs(opts Options) []string {
	if !opts.racePass() {
		return nil
	}
	args := append(testArgs(), "-race", "-vet=off")
	args = append(args, strings.Fields(opts.Extra)...)
	return append(args, opts.Race...)
}

// racePass reports whether a run of opts has a race pass.
func (o Options) racePass() bool { return !o.Short && len(o.Race) > 0 && len(o.Pkgs) == 0 }

// testArgs are the go test arguments every run starts with. -ldflags=-w:
// test binaries are linked without DWARF, which only a debugger reads (a
// failing test's stack trace and t.Log's file:line come from the pcln
// table); a link is not cached, every package's test binary is linked at
// each run, and without DWARF the largest (targets, with the AWS SDK) links
// in 3.3 CPU-seconds instead of 5.2.
func testArgs() []string { return []string{"test", "-count=1", "-timeout", Timeout, "-ldflags=-w"} }

// Run runs go test with the output streamed, so CI shows every package line
// (and the error does not repeat it), then the race pass; both run even
// when the first fails, so one run shows every failure.
func Run(ctx context.Context, opts Options) error {
	all := []string{"./..."}
	if ahead := opts.ahead(); len(ahead) > 0 {
		var err error
		if all, err = packagesWithout(ctx, ahead); err != nil {
			return err
		}
	}
	var errs []error
	for _, args := range [][]string{args(opts, all), RaceArgs(opts)} {
		if args == nil {
			continue
		}
		fmt.Println("go", strings.Join(args, " "))
		if _, err := (sh.Options{Stream: true, TailLines: -1}).Run(ctx, "go", args...); err != nil {
			errs = append(errs, fmt.Errorf("go test: %w", err))
		}
	}
	return errors.Join(errs...)
}

// CompileArgs returns the invocations of the compile step: `go vet` over
// the run's packages with the run's build flags, and with -race over the
// race pass's. Vet type-checks every package and its tests against the
// compiled export data of everything they import, so it compiles all of
// that — as the run will, the same build cache entries — and links nothing
// (go test -exec true would link every test binary, and the run link them
// all again: a link is not cached).
func CompileArgs(opts Options) [][]string {
	pkgs := opts.Pkgs
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	out := [][]string{append([]string{"vet"}, pkgs...)}
	if opts.racePass() {
		out = append(out, append([]string{"vet", "-race"}, opts.Race...))
	}
	return out
}

// Compile compiles what the test run of opts needs into the build cache,
// output kept quiet. Test:all runs it beside the tool builds; the run
// then compiles only its test mains and links. Vet's findings are not
// this step's to report: lint reports them after the tests (from vet's
// cache), and a package that does not compile fails in the run, which
// names it.
func Compile(ctx context.Context, opts Options) error {
	for _, args := range CompileArgs(opts) {
		if _, err := (sh.Options{Combined: true, TailLines: 20}).Run(ctx, "go", args...); err != nil {
			return fmt.Errorf("go %s (compile step): %w", strings.Join(args, " "), err)
		}
	}
	return nil
}

// packagesWithout returns ./... as go list expands it, relative, without
// the packages named (as ./-relative paths).
func packagesWithout(ctx context.Context, leave []string) ([]string, error) {
	out, err := (sh.Options{}).Run(ctx, "go", "list", "-f", "{{.Dir}}", "./...")
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return relativeWithout(wd, strings.Split(strings.TrimSpace(out), "\n"), leave)
}

// relativeWithout returns dirs (absolute, under wd) as ./-relative package
// paths, those in leave left out; each of leave must be among them, so
// that a package moved away is not silently dropped from the run.
func relativeWithout(wd string, dirs, leave []string) ([]string, error) {
	var out []string
	found := map[string]bool{}
	for _, d := range dirs {
		rel, err := filepath.Rel(wd, d)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("go list: %s is outside %s", d, wd)
		}
		p := "./" + filepath.ToSlash(rel)
		if rel == "." {
			p = "."
		}
		if slices.Contains(leave, p) {
			found[p] = true
			continue
		}
		out = append(out, p)
	}
	for _, p := range leave {
		if !found[p] {
			return nil, fmt.Errorf("go test: %s is to run ahead but go list ./... does not list it", p)
		}
	}
	return out, nil
}
