// Package gotest builds and runs the repository's `go test` invocation.
package gotest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
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

// Run runs go test with the output streamed, so CI shows every package line.
func Run(ctx context.Context, opts Options) error {
	dockerup.TestcontainersEnv()
	args := Args(opts)
	fmt.Println("go", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	return nil
}
