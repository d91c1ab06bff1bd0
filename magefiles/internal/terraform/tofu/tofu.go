// Package tofu builds a pinned OpenTofu from the Go module proxy into the
// kit's cache, once per version, so that every machine (and CI) checks the
// Terraform with the same binary without downloading release archives (no
// internet here, only the Go module proxy).
//
// `go install github.com/opentofu/opentofu/cmd/tofu@v1.12.6` refuses to work
// because OpenTofu's go.mod carries a `replace` directive (it uses its own fork
// of hashicorp/hcl). The recipe therefore builds in a copy of OpenTofu's
// module, as its own release build does, with its go.mod, go.sum and
// replace directives; the copy leaves out the backends of other clouds
// (slim): nothing the kit runs, a third of what a cold machine compiles.
package tofu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Version is the OpenTofu release the kit builds and uses.
const Version = "v1.12.6"

// Module is OpenTofu's Go module path.
const Module = "github.com/opentofu/opentofu"

// buildTimeout bounds a cold build (about 5 minutes on 2 cores, plus the
// module downloads; four times that beside other builds on a loaded machine).
const buildTimeout = 30 * time.Minute

// Path returns where the binary of version lives in the cache (it may not
// exist yet), keyed by the version and the slim recipe.
func Path(version string) (string, error) {
	dir, err := cachedir.Dir("tofu", version+"-"+slim.key())
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tofu"), nil
}

// Ensure returns the path of the cached OpenTofu binary of Version, building
// it first when it is missing.
func Ensure(ctx context.Context, logf sh.Logf) (string, error) {
	return ensureVersion(ctx, Version, logf)
}

// ensureVersion is Ensure for an explicit version (e.g. to try a bump).
func ensureVersion(ctx context.Context, version string, logf sh.Logf) (string, error) {
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(version) {
		return "", fmt.Errorf("tofu: version %q is not of the form v1.2.3", version)
	}
	bin, err := Path(version)
	if err != nil {
		return "", fmt.Errorf("tofu: %w", err)
	}
	if gotool.Usable(bin) {
		return bin, nil
	}
	unlock, err := filelock.Lock(ctx, bin+".lock", nil)
	if err != nil {
		return "", fmt.Errorf("tofu: %w", err)
	}
	defer unlock()
	// Another process may have built it while we waited for the lock.
	if gotool.Usable(bin) {
		return bin, nil
	}
	if err := cachedir.MayBuild(ctx, "OpenTofu "+version+" ("+bin+")"); err != nil {
		return "", fmt.Errorf("tofu: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	start := time.Now()
	logf("tofu: building OpenTofu %s from the Go module proxy into %s (about 5 min on 2 cores)", version, filepath.Dir(bin))
	if err := build(ctx, version, bin, logf); err != nil {
		return "", fmt.Errorf("tofu: build %s: %w", version, err)
	}
	logf("tofu: built %s in %s", version, time.Since(start).Round(time.Second))
	return bin, nil
}

// build copies OpenTofu's module out of the module cache, leaves out what
// slim names, builds cmd/tofu there as the main module — with OpenTofu's
// own go.mod and go.sum: its replace directives, its godebug settings and
// the checksum of every dependency, as a release build has them — and
// renames the result into place atomically, so a killed build never leaves
// a half-written binary at bin.
func build(ctx context.Context, version, bin string, logf sh.Logf) error {
	work, err := os.MkdirTemp("", "tofubuild-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step := func(name string, fn func() error) error {
		t := time.Now()
		logf("tofu: %s …", name)
		// A heartbeat, so a long compile does not look like a hang.
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(30 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					logf("tofu: %s … %s", name, time.Since(t).Round(time.Second))
				}
			}
		}()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		logf("tofu: %s done in %s", name, time.Since(t).Round(100*time.Millisecond))
		return nil
	}

	src := filepath.Join(work, "opentofu")
	// GOFLAGS from the caller (e.g. -mod=vendor) must not leak into
	// OpenTofu's build; GOWORK=off keeps a surrounding go.work out of it.
	o := sh.Options{Dir: work, ExtraEnv: []string{"GOFLAGS=-buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local"}, WaitDelay: 10 * time.Second}
	if err := step("download "+Module+"@"+version, func() error {
		// The module cache is read-only: the build edits a copy.
		return gotool.CopyModule(ctx, o, Module+"@"+version, src)
	}); err != nil {
		return err
	}
	if err := slim.apply(src); err != nil {
		return fmt.Errorf("OpenTofu %s: %w", version, err)
	}
	o.ExtraEnv = append(o.ExtraEnv, "GOFLAGS=-buildvcs=false -mod=readonly")
	if err := gotool.ApplyCuts(ctx, o, slim.Cuts, src, work); err != nil {
		return fmt.Errorf("OpenTofu %s: %w", version, err)
	}
	tmp := bin + ".tmp" + fmt.Sprint(os.Getpid())
	defer os.Remove(tmp)
	// With the other tools' flags (gotool.BuildFlags): the standard
	// library and the modules they share at the same version compile once
	// between them.
	logf("tofu: slim: %s", slim)
	if err := step("go build (CGO_ENABLED=0, slim)", func() error {
		o.Dir, o.ExtraEnv = src, append(o.ExtraEnv, "CGO_ENABLED=0")
		_, err := o.Run(ctx, "go", append(append([]string{"build"}, gotool.BuildFlags()...), "-o", tmp, "./cmd/tofu")...)
		return err
	}); err != nil {
		return err
	}
	return os.Rename(tmp, bin)
}
