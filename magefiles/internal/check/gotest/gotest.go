// Package gotest builds and runs the repository's `go test` invocation.
package gotest

import (
	"context"
	"fmt"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Options select what runs.
type Options struct {
	Short bool   // -short: skip tests that need Docker or OpenTofu
	Extra string // more flags, space separated (GOTEST_FLAGS)
	Pkgs  []string
}

// Timeout bounds the whole run; the suite is meant to finish well inside it.
const Timeout = "45m"

// BuildFlag is the build flag of the full run (not -short). The static
// checks (lint) build with it too, so that the packages the tests compiled
// are the ones they type-check against: compiled once on a cold machine.
const BuildFlag = "-race"

// Args returns the go test arguments for opts.
func Args(opts Options) []string {
	args := []string{"test", "-count=1", "-timeout", Timeout}
	if opts.Short {
		args = append(args, "-short")
	} else {
		// The race detector earns its cost on the concurrent code (seeder
		// locks, pipeline waits); the short run stays quick without it.
		args = append(args, BuildFlag)
	}
	args = append(args, strings.Fields(opts.Extra)...)
	if len(opts.Pkgs) == 0 {
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
