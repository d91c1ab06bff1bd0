// Package gotool installs pinned Go command-line tools (staticcheck,
// actionlint, trivy, tflint, …) from the Go module proxy into the kit's
// cache, keyed by name and version, so every clone on a machine shares one
// build and CI (a fresh clone elsewhere) finds it warm.
package gotool

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Tool is a `go install`-able command at a pinned version.
type Tool struct {
	Package string   // main package, e.g. "honnef.co/go/tools/cmd/staticcheck"
	Version string   // module version, e.g. "v0.8.2"
	Env     []string // extra build environment, e.g. "GOEXPERIMENT=jsonv2"
	// Timeout bounds a cold build (default defaultTimeout).
	Timeout time.Duration
	// Expect is a rough cold-build duration, printed so a long build does not
	// look hung.
	Expect string
}

// defaultTimeout bounds a cold build when Tool.Timeout is zero.
const defaultTimeout = 15 * time.Minute

// Name is the binary's name: the last element of the package path.
func (t Tool) Name() string { return path.Base(t.Package) }

// Path returns where the tool's binary lives in the cache (it may not exist
// yet): <cache>/<name>/<version>/<name>.
func (t Tool) Path() (string, error) {
	dir, err := cachedir.Dir(t.Name(), t.Version)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, t.Name()), nil
}

// Ensure returns the path of the tool's binary, building it on first use.
// Concurrent callers (two test binaries, a test and a target) wait on a file
// lock instead of building twice.
func Ensure(ctx context.Context, t Tool, logf sh.Logf) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin, err := t.Path()
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	if usable(bin) {
		return bin, nil
	}
	unlock, err := filelock.Lock(ctx, bin+".lock", func() {
		logf("%s: waiting for another process building it…", t.Name())
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	defer unlock()
	if usable(bin) { // built by another process while we waited
		return bin, nil
	}
	if err := cachedir.MayBuild(ctx, t.Package+"@"+t.Version+" ("+bin+")"); err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	timeout := t.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	expect := ""
	if t.Expect != "" {
		expect = " (" + t.Expect + ")"
	}
	logf("%s: building %s@%s from the Go module proxy into %s%s…", t.Name(), t.Package, t.Version, filepath.Dir(bin), expect)
	t0 := time.Now()
	if err := build(ctx, t, bin); err != nil {
		return "", fmt.Errorf("%s: build %s: %w", t.Name(), t.Version, err)
	}
	logf("%s: built in %s", t.Name(), time.Since(t0).Round(time.Second))
	return bin, nil
}

func usable(bin string) bool {
	fi, err := os.Stat(bin)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && fi.Size() > 0
}

// build installs into a temporary GOBIN next to the final place and renames
// the binary in, so a killed build never leaves a half-written file that a
// later run would trust.
func build(ctx context.Context, t Tool, bin string) error {
	gobin, err := os.MkdirTemp(filepath.Dir(bin), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(gobin)
	// Run outside any module so the kit's go.mod and a surrounding go.work
	// play no part: go install pkg@version uses the tool's own go.mod.
	o := sh.Options{
		Dir:       os.TempDir(),
		ExtraEnv:  append([]string{"GOBIN=" + gobin, "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0", "GOTOOLCHAIN=local"}, t.Env...),
		Combined:  true,
		WaitDelay: 10 * time.Second,
	}
	if _, err := o.Run(ctx, "go", "install", "-trimpath", t.Package+"@"+t.Version); err != nil {
		// sh names "go install -trimpath"; say which tool failed.
		return fmt.Errorf("go install %s@%s: %w", t.Package, t.Version, err)
	}
	return os.Rename(filepath.Join(gobin, t.Name()), bin)
}
