package tfdriver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Kind says what a directory is.
type Kind string

const (
	// KindModule is a reusable module (terraform/modules/*).
	KindModule Kind = "module"
	// KindRoot is a root configuration (terraform/envs/*, terraform/bootstrap).
	KindRoot Kind = "root"
)

// Target is one directory to check, relative to the Terraform tree.
type Target struct {
	Rel      string
	Kind     Kind
	HasTests bool
}

// discover lists the directories of a Terraform tree laid out as
// modules/*, envs/* and bootstrap: every such directory holding a .tf
// file. It is an error for the tree to exist and hold no module at all (a
// moved tree must not make the checks pass vacuously).
func discover(root string) ([]Target, error) {
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("terraform tree %s: not a directory", root)
	}
	var out []Target
	add := func(rel string, kind Kind) error {
		dir := filepath.Join(root, rel)
		tfs, err := filepath.Glob(filepath.Join(dir, "*.tf"))
		if err != nil || len(tfs) == 0 {
			return err
		}
		tests, err := testFiles(dir)
		if err != nil {
			return err
		}
		out = append(out, Target{Rel: filepath.ToSlash(rel), Kind: kind, HasTests: len(tests) > 0})
		return nil
	}
	for _, group := range []struct {
		dir  string
		kind Kind
	}{{"modules", KindModule}, {"envs", KindRoot}} {
		entries, err := os.ReadDir(filepath.Join(root, group.dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if err := add(filepath.Join(group.dir, e.Name()), group.kind); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := add("bootstrap", KindRoot); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	modules := 0
	for _, t := range out {
		if t.Kind == KindModule {
			modules++
		}
	}
	if modules == 0 {
		return nil, fmt.Errorf("terraform tree %s: no module found under modules/", root)
	}
	return out, nil
}

// testFiles lists a directory's *.tftest.hcl, in it and in tests/ (where
// `test` looks by default).
func testFiles(dir string) ([]string, error) {
	var out []string
	for _, pat := range []string{"*.tftest.hcl", "tests/*.tftest.hcl"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	return out, nil
}

// Locks says whether a scratch copy keeps the lock files.
type Locks int

const (
	// DropLocks: offline, the committed hashes are the real provider's and
	// would make an init with the replica fail.
	DropLocks Locks = iota
	// KeepLocks: online, the committed lock files are verified.
	KeepLocks
)

// Scratch copies a Terraform tree to a new temporary directory, leaving out
// what must not travel: .terraform directories, state and plan files, and
// with DropLocks the lock files. The returned cleanup removes the copy.
func Scratch(root string, locks Locks) (string, func(), error) {
	dst, err := os.MkdirTemp("", "tfcheck-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dst) }
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" || (name == ".git" && rel != ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if (skipInScratch(name) && !(locks == KeepLocks && name == ".terraform.lock.hcl")) || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("scratch copy of %s: %w", root, err)
	}
	return dst, cleanup, nil
}

func skipInScratch(name string) bool {
	return name == ".terraform.lock.hcl" || strings.HasSuffix(name, ".tfstate") ||
		strings.Contains(name, ".tfstate.") || strings.HasSuffix(name, ".tfplan") || name == ".terraform.tfstate.lock.info"
}

// Result is the outcome of one directory.
type Result struct {
	Target   Target
	Duration time.Duration
	Err      error
}

// dirTimeout bounds the work on one directory (init plus validate or test).
const dirTimeout = 20 * time.Minute

// runAll runs fn for every target, at most parallel at once, printing one
// line per directory with its duration as each finishes. The error joins
// every failure.
func runAll(ctx context.Context, targets []Target, parallel int, what string, logf sh.Logf, fn func(context.Context, Target) error) ([]Result, error) {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]Result, len(targets))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = Result{Target: t, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			start := time.Now()
			dctx, cancel := context.WithTimeout(ctx, dirTimeout)
			err := fn(dctx, t)
			cancel()
			results[i] = Result{Target: t, Duration: time.Since(start), Err: err}
			mu.Lock()
			defer mu.Unlock()
			status := "ok  "
			if err != nil {
				status = "FAIL"
			}
			logf("  %s %-32s %s %s", status, t.Rel, what, results[i].Duration.Round(100*time.Millisecond))
		}()
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Target.Rel, r.Err))
		}
	}
	return results, errors.Join(errs...)
}

var typeDecl = regexp.MustCompile(`(?m)^\s*(?:resource|data|ephemeral|mock_resource|mock_data)\s+"([A-Za-z0-9_-]+)"`)

// usedTypes scans a tree's .tf, .tftest.hcl and .tfmock.hcl files for the
// resource, data source and ephemeral types they declare or mock. Types
// cannot be computed in HCL, so the scan is complete.
func usedTypes(root string) ([]string, error) {
	set := map[string]bool{}
	err := walkFiles(root, func(p string, d fs.DirEntry) error {
		n := d.Name()
		if !strings.HasSuffix(n, ".tf") && !strings.HasSuffix(n, ".tftest.hcl") && !strings.HasSuffix(n, ".tfmock.hcl") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range typeDecl.FindAllSubmatch(b, -1) {
			set[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// WriteUsedTypes writes usedTypes(root) to root/.kit-replica-types and
// returns the file's path, for Env.TypesFile.
func WriteUsedTypes(root string) (string, error) {
	types, err := usedTypes(root)
	if err != nil {
		return "", fmt.Errorf("scan %s for resource types: %w", root, err)
	}
	p := filepath.Join(root, ".kit-replica-types")
	return p, os.WriteFile(p, []byte(strings.Join(types, "\n")+"\n"), 0o644)
}

// walkFiles calls fn for every file under root, leaving out .terraform
// directories (providers and modules init downloaded, not the tree's own).
func walkFiles(root string, fn func(path string, d fs.DirEntry) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		return fn(p, d)
	})
}
