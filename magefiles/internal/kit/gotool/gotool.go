// Package gotool installs pinned Go command-line tools (staticcheck,
// actionlint, trivy, tflint, …) from the Go module proxy into the kit's
// cache, keyed by name and version, so every clone on a machine shares one
// build and CI (a fresh clone elsewhere) finds it warm.
package gotool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Tool is a `go install`-able command at a pinned version, or a small main
// package of the kit's own (Main) built against a pinned module; either may
// leave out code the kit never runs (Cuts).
type Tool struct {
	// Package is the main package, e.g. "honnef.co/go/tools/cmd/staticcheck";
	// with Main, the module that Main imports, e.g.
	// "github.com/aquasecurity/trivy".
	Package string
	Version string // module version, e.g. "v0.8.2"
	// Main, when set, is the source of a main package that uses only part
	// of Package's module: it is built in a throw-away module that requires
	// Package at Version, so only what Main imports is compiled (trivy's
	// Terraform scanner is a third of the trivy command). The cache key
	// includes its hash, so an edit rebuilds.
	Main []byte
	// Binary names the binary when Main is set (default: the last element
	// of Package).
	Binary string
	// Cuts leave code the kit never runs out of the build (see Cut). A
	// tool with cuts and no Main is built in its own module's directory,
	// as the main module, so Package must be the module's root.
	Cuts []Cut
	// Env is extra build environment, e.g. "GOEXPERIMENT=jsonv2". A tool
	// built with an environment of its own shares nothing of the standard
	// library's compile with the others. Part of the cache key.
	Env []string
	// Timeout bounds a cold build (default defaultTimeout).
	Timeout time.Duration
	// Expect is a rough cold-build duration, printed so a long build does not
	// look hung.
	Expect string
}

// defaultTimeout bounds a cold build when Tool.Timeout is zero.
const defaultTimeout = 15 * time.Minute

// Name is the binary's name: Binary, or the last element of the package
// path.
func (t Tool) Name() string {
	if t.Binary != "" {
		return t.Binary
	}
	return path.Base(t.Package)
}

// Path returns where the tool's binary lives in the cache (it may not exist
// yet): <cache>/<name>/<version>/<name>, the version followed by a hash
// of Main, the cuts and Env when there are any, so that a change rebuilds.
func (t Tool) Path() (string, error) {
	version := t.Version
	if t.Main != nil || len(t.Cuts) > 0 || len(t.Env) > 0 {
		h := sha256.New()
		h.Write(t.Main)
		for _, c := range t.Cuts {
			fmt.Fprintf(h, "\n%s", c)
		}
		for _, e := range t.Env {
			fmt.Fprintf(h, "\nenv %s", e)
		}
		version += "-" + hex.EncodeToString(h.Sum(nil)[:6])
	}
	dir, err := cachedir.Dir(t.Name(), version)
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
	if Usable(bin) {
		return bin, nil
	}
	unlock, err := filelock.Lock(ctx, bin+".lock", func() {
		logf("%s: waiting for another process building it…", t.Name())
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	defer unlock()
	if Usable(bin) { // built by another process while we waited
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
	what := t.Package + "@" + t.Version
	if t.Main != nil {
		what = "the kit's " + t.Name() + " against " + what
	}
	logf("%s: building %s from the Go module proxy into %s%s…", t.Name(), what, filepath.Dir(bin), expect)
	t0 := time.Now()
	if err := build(ctx, t, bin); err != nil {
		return "", fmt.Errorf("%s: build %s: %w", t.Name(), t.Version, err)
	}
	logf("%s: built in %s", t.Name(), time.Since(t0).Round(time.Second))
	return bin, nil
}

// Usable reports whether bin is a complete cached binary: a non-empty,
// executable regular file (builds rename theirs into place, so a killed
// build leaves none).
func Usable(bin string) bool {
	fi, err := os.Stat(bin)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && fi.Size() > 0
}

// BuildFlags are the flags of every tool's go build: -trimpath, so that
// the standard library and the modules two tools share at the same version
// compile once between them; -ldflags "-s -w", as release builds are: no
// symbol table or DWARF to link (a panic's stack trace needs neither); and
// two compiles at once per core, as magefile.go sets for the kit's own
// builds (a build beside other work keeps its share of the machine while
// its graph narrows). The tools' builds set GOFLAGS of their own, so they
// take -p here.
func BuildFlags() []string {
	return []string{"-trimpath", "-ldflags=-s -w", "-p", strconv.Itoa(2 * runtime.GOMAXPROCS(0))}
}

// buildEnv is the environment of every tool build: outside any module or
// workspace of the caller's (GOFLAGS such as -mod=vendor must not leak in),
// no cgo, no toolchain download.
var buildEnv = []string{"GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0", "GOTOOLCHAIN=local"}

// build builds into a temporary directory next to the final place and
// renames the binary in, so a killed build never leaves a half-written file
// that a later run would trust.
func build(ctx context.Context, t Tool, bin string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(bin), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if t.Main != nil {
		return buildMain(ctx, t, tmp, bin)
	}
	if len(t.Cuts) > 0 {
		return buildInModule(ctx, t, tmp, bin)
	}
	// Run outside any module so the kit's go.mod and a surrounding go.work
	// play no part: go install pkg@version uses the tool's own go.mod.
	o := sh.Options{
		Dir:       os.TempDir(),
		ExtraEnv:  append(append([]string{"GOBIN=" + tmp}, buildEnv...), t.Env...),
		Combined:  true,
		WaitDelay: 10 * time.Second,
	}
	if _, err := o.Run(ctx, "go", append(append([]string{"install"}, BuildFlags()...), t.Package+"@"+t.Version)...); err != nil {
		// sh names "go install -trimpath …"; say which tool failed.
		return fmt.Errorf("go install %s@%s: %w", t.Package, t.Version, err)
	}
	return os.Rename(filepath.Join(tmp, t.Name()), bin)
}

// buildMain builds Main in a throw-away module that requires Package at
// Version and nothing else, so the versions of every dependency are the
// ones Package's own go.mod selects (as `go install` would); -mod=mod
// records the checksums of just the packages Main compiles.
func buildMain(ctx context.Context, t Tool, work, bin string) error {
	o := sh.Options{Dir: work, ExtraEnv: append(slices.Clone(buildEnv), t.Env...), Combined: true, WaitDelay: 10 * time.Second}
	goVersion, err := o.Run(ctx, "go", "env", "GOVERSION")
	if err != nil {
		return err
	}
	gomod := wrapperGoMod("equiptrack.local/"+t.Name(), strings.TrimSpace(goVersion), []string{t.Package + " " + t.Version})
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	// The source is kept out of the kit's build with a //go:build ignore
	// line, which here would exclude it too.
	src := bytes.Replace(t.Main, []byte("//go:build ignore\n"), nil, 1)
	if err := os.WriteFile(filepath.Join(work, "main.go"), src, 0o644); err != nil {
		return err
	}
	out := filepath.Join(work, t.Name())
	o.ExtraEnv = append(o.ExtraEnv, "GOFLAGS=-buildvcs=false -mod=mod")
	if err := ApplyCuts(ctx, o, t.Cuts, work, work); err != nil {
		return err
	}
	if _, err := o.Run(ctx, "go", append(append([]string{"build"}, BuildFlags()...), "-o", out, ".")...); err != nil {
		return fmt.Errorf("go build %s against %s@%s: %w", t.Name(), t.Package, t.Version, err)
	}
	return os.Rename(out, bin)
}

// buildInModule builds the tool in a copy of its module, as the main
// module — with its own go.mod and go.sum, as `go install pkg@version`
// would — so that the cuts can edit its files and replace the dependencies
// they edit.
func buildInModule(ctx context.Context, t Tool, work, bin string) error {
	o := sh.Options{Dir: work, ExtraEnv: append(slices.Clone(buildEnv), t.Env...), WaitDelay: 10 * time.Second}
	src := filepath.Join(work, "src")
	if err := CopyModule(ctx, o, t.Package+"@"+t.Version, src); err != nil {
		return err
	}
	o.ExtraEnv = append(o.ExtraEnv, "GOFLAGS=-buildvcs=false -mod=readonly")
	if err := ApplyCuts(ctx, o, t.Cuts, src, work); err != nil {
		return err
	}
	o.Dir, o.Combined = src, true
	exe := filepath.Join(work, t.Name())
	if _, err := o.Run(ctx, "go", append(append([]string{"build"}, BuildFlags()...), "-o", exe, ".")...); err != nil {
		return fmt.Errorf("go build %s@%s: %w", t.Package, t.Version, err)
	}
	return os.Rename(exe, bin)
}

// CopyModule downloads module@version (run in o.Dir, outside any module)
// and copies it to dst, writable: how a build gets a module it may edit.
func CopyModule(ctx context.Context, o sh.Options, moduleAtVersion, dst string) error {
	o.Combined = false // stdout is JSON; stderr says what it downloads
	out, err := o.Run(ctx, "go", "mod", "download", "-json", moduleAtVersion)
	if err != nil {
		return err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return fmt.Errorf("go mod download %s: %w", moduleAtVersion, err)
	}
	if m.Error != "" {
		return fmt.Errorf("go mod download %s: %s", moduleAtVersion, m.Error)
	}
	return CopyTree(m.Dir, dst)
}

// wrapperGoMod returns the go.mod of a throw-away module that builds a
// tool: module, the `go` line of the running toolchain (goVersion as `go
// env GOVERSION` prints it, e.g. "go1.26.8", so the build never asks for a
// toolchain download) and the require lines ("path version").
func wrapperGoMod(module, goVersion string, requires []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\n", module)
	if v := strings.TrimPrefix(goVersion, "go"); regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`).MatchString(v) {
		fmt.Fprintf(&b, "go %s\n\n", v)
	}
	for _, r := range requires {
		fmt.Fprintf(&b, "require %s\n", r)
	}
	return b.String()
}
