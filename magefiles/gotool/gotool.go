// Package gotool installs pinned Go command-line tools (staticcheck,
// actionlint, …) from the Go module proxy into the kit's cache, keyed by
// module and version, so every clone on a machine shares one build.
package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/cachedir"
	"github.com/equiptrack/release-kit/magefiles/dockerup"
)

// Tool is a `go install`-able command at a pinned version.
type Tool struct {
	Package string   // e.g. "honnef.co/go/tools/cmd/staticcheck"
	Version string   // e.g. "v0.8.2"
	Env     []string // extra build environment, e.g. "GOEXPERIMENT=jsonv2"
}

// Name is the binary's name: the last element of the package path.
func (t Tool) Name() string { return path.Base(t.Package) }

// Dir is where the binary lives in the cache.
func (t Tool) Dir() (string, error) {
	return cachedir.Dir("bin", t.Name(), t.Version)
}

// Ensure returns the path of the tool's binary, installing it on first use.
func Ensure(ctx context.Context, t Tool, logf dockerup.Logf) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := t.Dir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, t.Name())
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	logf("%s: installing %s@%s into %s…", t.Name(), t.Package, t.Version, dir)
	t0 := time.Now()
	// Install into a temporary GOBIN and rename, so an interrupted build never
	// leaves a half-written binary that a later run would trust.
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "install", t.Package+"@"+t.Version)
	cmd.Env = append(append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-mod=mod"), t.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("install %s@%s: %w\n%s", t.Package, t.Version, err, strings.TrimSpace(out.String()))
	}
	if err := os.Rename(filepath.Join(tmp, t.Name()), bin); err != nil {
		return "", fmt.Errorf("install %s: %w", t.Name(), err)
	}
	logf("%s: installed in %s", t.Name(), time.Since(t0).Round(time.Second))
	return bin, nil
}
