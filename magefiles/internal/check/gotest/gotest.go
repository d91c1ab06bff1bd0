// Package gotest builds and runs the repository's `go test` invocation.
package gotest

import (
	"context"
	"fmt"
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
}

// Timeout bounds the whole run; the suite is meant to finish well inside it.
const Timeout = "45m"

// BuildFlag is the build flag of the full run (not -short). The static
// checks (lint) build with it too, so that the packages the tests compiled
// are the ones they type-check against: compiled once on a cold machine.
const BuildFlag = "-race"

// packages is how many test packages the full run runs at once (go test
// -p; its default is the number of cores). Much of its time the suite
// waits on other processes — containers starting, OpenTofu planning, a
// release polling health — and two packages at once on two cores leave
// those waits to whatever else the machine runs: in a cold run beside two
// busy loops, the loops took 0.6 to 0.9 of the two cores while the tests
// ran, against 0.2 to 0.35 while the tools built. Four at once stretched
// the local end to end past 15 minutes there; three is the middle.
const packages = 3

// Args returns the go test arguments for opts.
func Args(opts Options) []string {
	args := []string{"test", "-count=1", "-timeout", Timeout}
	if opts.Short {
		args = append(args, "-short")
	} else {
		// The race detector earns its cost on the concurrent code (seeder
		// locks, pipeline waits); the short run stays quick without it.
		// -vet=off: the full run follows the compile step, which ran the
		// whole of go vet over these packages, and lint reports what it
		// found. go test's own vet pass is a subset of those analyzers
		// under another cache key: on a cold machine it ran them all
		// again (90 CPU-seconds) for nothing new.
		args = append(args, "-p", strconv.Itoa(packages), BuildFlag, "-vet=off")
	}
	args = append(args, strings.Fields(opts.Extra)...)
	if len(opts.Pkgs) == 0 {
		if !opts.Short {
			args = append(args, opts.First...)
		}
		return append(args, "./...")
	}
	return append(args, opts.Pkgs...)
}

// Run runs go test with the output streamed, so CI shows every package line
// (and the error does not repeat it).
func Run(ctx context.Context, opts Options) error {
	args := Args(opts)
	fmt.Println("go", strings.Join(args, " "))
	if _, err := (sh.Options{Stream: true, TailLines: -1}).Run(ctx, "go", args...); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	return nil
}

// CompileArgs returns the arguments of the compile step: `go vet` with the
// run's build flag over the run's packages. Vet type-checks every package
// and its tests against the compiled export data of everything they
// import, so it compiles all of that — as the run will, the same build
// cache entries — and links nothing (go test -exec true would link every
// test binary, and the run link them all again: a link is not cached).
func CompileArgs(opts Options) []string {
	args := []string{"vet"}
	if !opts.Short {
		args = append(args, BuildFlag)
	}
	if len(opts.Pkgs) == 0 {
		return append(args, "./...")
	}
	return append(args, opts.Pkgs...)
}

// Compile compiles what the test run of opts needs into the build cache,
// output kept quiet. Test:all runs it beside the tool builds; the run
// then compiles only its test mains and links. Vet's findings are not
// this step's to report: lint reports them after the tests (from vet's
// cache), and a package that does not compile fails in the run, which
// names it.
func Compile(ctx context.Context, opts Options) error {
	if _, err := (sh.Options{Combined: true, TailLines: 20}).Run(ctx, "go", CompileArgs(opts)...); err != nil {
		return fmt.Errorf("go vet (compile step): %w", err)
	}
	return nil
}
