// Package lint runs the repository's static checks: gofmt, go vet,
// staticcheck and actionlint with shellcheck on the workflows (shellcheck
// installed from Debian on demand, like dockerup installs docker.io).
package lint

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Pinned tools.
var (
	Staticcheck = gotool.Tool{Package: "honnef.co/go/tools/cmd/staticcheck", Version: "v0.8.2"}
	Actionlint  = gotool.Tool{Package: "github.com/rhysd/actionlint/cmd/actionlint", Version: "v1.7.12"}
)

// Check is one named static check.
type Check struct {
	Name string
	Run  func(ctx context.Context, root string) error
}

// Checks returns the checks in the order they run.
func Checks(logf sh.Logf) []Check {
	return []Check{
		{"gofmt", gofmt},
		// vet and staticcheck type-check against the packages compiled as
		// the test run compiles them (go's default build flags, as
		// gotest.Args): on a cold machine every dependency is compiled once,
		// not once for the tests and again for the checks.
		{"go vet", func(ctx context.Context, root string) error {
			return run(ctx, root, "go", "vet", "./...")
		}},
		{"staticcheck", func(ctx context.Context, root string) error {
			bin, err := gotool.Ensure(ctx, Staticcheck, logf)
			if err != nil {
				return err
			}
			return run(ctx, root, bin, "./...")
		}},
		{"actionlint", func(ctx context.Context, root string) error {
			return actionlint(ctx, root, logf)
		}},
	}
}

// Run runs every check and reports all failures, not just the first.
func Run(ctx context.Context, root string, logf sh.Logf) error {
	var errs []error
	for _, c := range Checks(logf) {
		t0 := time.Now()
		err := c.Run(ctx, root)
		status := "ok"
		if err != nil {
			status = "FAIL"
			errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
		}
		logf("lint: %-12s %s (%s)", c.Name, status, time.Since(t0).Round(10*time.Millisecond))
	}
	return errors.Join(errs...)
}

// actionlint lints every workflow under root/.github/workflows with
// shellcheck on their run: scripts. The shellcheck binary is passed
// explicitly: actionlint silently skips the scripts when it finds none.
func actionlint(ctx context.Context, root string, logf sh.Logf) error {
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if len(files) == 0 {
		return nil
	}
	bin, err := gotool.Ensure(ctx, Actionlint, logf)
	if err != nil {
		return err
	}
	sc, err := EnsureShellcheck(ctx, logf)
	if err != nil {
		return err
	}
	return run(ctx, root, bin, append([]string{"-shellcheck=" + sc, "-pyflakes="}, files...)...)
}

// EnsureShellcheck returns the path of shellcheck, installing Debian's
// package once per machine when it is missing (a file lock keeps two test
// processes from running apt-get at once).
func EnsureShellcheck(ctx context.Context, logf sh.Logf) (string, error) {
	return dockerup.EnsurePackage(ctx, logf, "shellcheck", func() string {
		p, _ := exec.LookPath("shellcheck")
		return p
	})
}

func gofmt(ctx context.Context, root string) error {
	out, err := sh.Options{Dir: root, Combined: true}.Run(ctx, "gofmt", "-l", ".")
	if err != nil {
		return err
	}
	if files := strings.TrimSpace(out); files != "" {
		return fmt.Errorf("not gofmt-formatted:\n%s", files)
	}
	return nil
}

func run(ctx context.Context, dir string, name string, args ...string) error {
	// Every finding counts: quote the whole output, not just its end.
	_, err := sh.Options{Dir: dir, Combined: true, TailLines: 1 << 20}.Run(ctx, name, args...)
	return err
}
