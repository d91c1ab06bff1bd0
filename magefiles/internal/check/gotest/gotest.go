// Package gotest builds and runs the repository's `go test` invocation.
package gotest

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
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

// Args returns the go test arguments for opts.
func Args(opts Options) []string {
	args := []string{"test", "-count=1", "-timeout", Timeout}
	if opts.Short {
		args = append(args, "-short")
	} else {
		// The race detector earns its cost on the concurrent code (seeder
		// locks, pipeline waits); the short run stays quick without it.
		args = append(args, "-race")
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

// CompileArgs returns the go test arguments that compile and link what Args
// runs, with the same build flags so the run finds every package in the
// build cache, and run none of it: -exec hands each test binary to `true`
// (a TestMain would start containers before the tools are ready).
func CompileArgs(opts Options, truePath string) []string {
	return slices.Insert(Args(opts), 1, "-exec", truePath)
}

// Compile builds the test binaries of opts into the build cache, output
// kept quiet (its "ok" lines would read as passed tests); the test run
// after it links them again but compiles nothing. Test:all runs it beside
// the tool builds.
func Compile(ctx context.Context, opts Options) error {
	truePath, err := exec.LookPath("true")
	if err != nil {
		return fmt.Errorf("go test: compile: %w", err)
	}
	if _, err := (sh.Options{Combined: true, TailLines: 20}).Run(ctx, "go", CompileArgs(opts, truePath)...); err != nil {
		return fmt.Errorf("go test: compile: %w", err)
	}
	return nil
}
