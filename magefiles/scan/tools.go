// Package scan runs the kit's static security checks over the Terraform:
// Trivy's misconfiguration scanner (its built-in checks, embedded in the
// binary, run offline) and TFLint with its bundled `terraform` ruleset.
//
// Neither tool ships as a Go-proxy-free download we can use here (no
// internet except the Go module proxy), so both are built from source with
// `go install module@version` into the kit's cache, once per version.
package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/equiptrack/release-kit/magefiles/cachedir"
)

// Tool is one scanner built from the Go module proxy.
type Tool struct {
	Name    string   // binary name and cache directory name
	Package string   // main package path passed to go install
	Version string   // module version
	Env     []string // extra build environment
	// Timeout bounds a cold build.
	Timeout time.Duration
	// Expect is a rough duration printed so a cold build does not look hung.
	Expect string
}

// Trivy is the misconfiguration scanner. v0.74 uses encoding/json/v2, which
// Go 1.26 only offers behind GOEXPERIMENT=jsonv2.
var Trivy = Tool{
	Name:    "trivy",
	Package: "github.com/aquasecurity/trivy/cmd/trivy",
	Version: "v0.74.0",
	Env:     []string{"GOEXPERIMENT=jsonv2"},
	Timeout: 40 * time.Minute,
	Expect:  "about 6-7 min on 2 cores, 340 MB",
}

// TFLint is the Terraform linter. Only its bundled `terraform` ruleset is
// used: the AWS ruleset plugin is downloaded from GitHub releases, which this
// machine cannot reach.
var TFLint = Tool{
	Name:    "tflint",
	Package: "github.com/terraform-linters/tflint",
	Version: "v0.64.0",
	Timeout: 20 * time.Minute,
	Expect:  "about 75 s on 2 cores",
}

// EnsureTrivy returns the cached trivy binary, building it when missing.
func EnsureTrivy(ctx context.Context, logf func(string, ...any)) (string, error) {
	return Ensure(ctx, Trivy, logf)
}

// EnsureTFLint returns the cached tflint binary, building it when missing.
func EnsureTFLint(ctx context.Context, logf func(string, ...any)) (string, error) {
	return Ensure(ctx, TFLint, logf)
}

// Path returns where t's binary lives in the cache (it may not exist yet).
func Path(t Tool) (string, error) {
	dir, err := cachedir.Dir(t.Name, t.Version)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, t.Name), nil
}

// Ensure returns the path of t's cached binary, building it first when it is
// missing. Concurrent callers (two test binaries, a test and a target) wait
// on a file lock instead of building twice.
func Ensure(ctx context.Context, t Tool, logf func(string, ...any)) (string, error) {
	bin, err := Path(t)
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Name, err)
	}
	if usable(bin) {
		return bin, nil
	}
	unlock, err := lockFile(ctx, bin+".lock")
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Name, err)
	}
	defer unlock()
	if usable(bin) { // built by another process while we waited
		return bin, nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	start := time.Now()
	logf("%s: building %s@%s from the Go module proxy into %s (%s)", t.Name, t.Package, t.Version, filepath.Dir(bin), t.Expect)
	if err := build(ctx, t, bin); err != nil {
		return "", fmt.Errorf("%s: build %s: %w", t.Name, t.Version, err)
	}
	logf("%s: built %s in %s", t.Name, t.Version, time.Since(start).Round(time.Second))
	return bin, nil
}

func usable(bin string) bool {
	fi, err := os.Stat(bin)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && fi.Size() > 0
}

// build installs into a temporary GOBIN next to the final place and renames
// the binary in, so a killed build never leaves a half-written file at bin.
func build(ctx context.Context, t Tool, bin string) error {
	gobin, err := os.MkdirTemp(filepath.Dir(bin), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(gobin)
	// Run outside any module so the kit's go.mod and a surrounding go.work
	// play no part; go install pkg@version uses the tool's own go.mod.
	cmd := exec.CommandContext(ctx, "go", "install", "-trimpath", t.Package+"@"+t.Version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	cmd.Env = append(cmd.Env, t.Env...)
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go install %s@%s: %w: %s", t.Package, t.Version, err, tail(stderr.String(), 15))
	}
	return os.Rename(filepath.Join(gobin, t.Name), bin)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lockFile takes an exclusive flock on path, waiting until ctx ends.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
