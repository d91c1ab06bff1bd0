package tfschema

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// cachedirDir is cachedir.Dir; a variable so tests can count cache use.
var cachedirDir = cachedir.Dir

// tarballName is the file `npm pack` writes for PackageName@PackageVersion.
func tarballName() string {
	// @scope/name → scope-name-<version>.tgz
	n := strings.ReplaceAll(strings.TrimPrefix(PackageName, "@"), "/", "-")
	return n + "-" + PackageVersion + ".tgz"
}

// fetchPackage returns the path of the pinned package tarball, downloading
// it with `npm pack` into the cache when it is not there yet. The tarball
// (46 MB) is kept rather than extracted (476 MB): extraction streams it.
func fetchPackage(ctx context.Context, logf sh.Logf) (string, error) {
	dir, err := cachedirDir("npm", PackageName, PackageVersion)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, tarballName())
	if err := checkIntegrity(dst); err == nil {
		return dst, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		logf("tfschema: cached %s is unusable (%v); fetching again", dst, err)
	}

	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: npm is not installed (install Node.js/npm, or put the tarball at %s)", PackageName, PackageVersion, dst)
	}
	tmp, err := os.MkdirTemp(dir, ".pack-")
	if err != nil {
		return "", fmt.Errorf("npm pack: %w", err)
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	logf("tfschema: npm pack %s@%s …", PackageName, PackageVersion)
	pctx, cancel := context.WithTimeout(ctx, npmTimeout)
	defer cancel()
	if _, err := (sh.Options{Dir: tmp, TailLines: 1}).Run(pctx, npm, "pack", PackageName+"@"+PackageVersion, "--pack-destination", tmp, "--silent"); err != nil {
		if pctx.Err() != nil {
			return "", fmt.Errorf("npm pack %s@%s: timed out after %s: %w", PackageName, PackageVersion, npmTimeout, err)
		}
		return "", fmt.Errorf("npm pack %s@%s: %w", PackageName, PackageVersion, err)
	}
	got := filepath.Join(tmp, tarballName())
	if err := checkIntegrity(got); err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %w", PackageName, PackageVersion, err)
	}
	if err := os.Rename(got, dst); err != nil {
		return "", fmt.Errorf("npm pack: %w", err)
	}
	logf("tfschema: fetched %s in %s", dst, time.Since(start).Round(10*time.Millisecond))
	return dst, nil
}

// checkIntegrity compares a tarball with packageIntegrity.
func checkIntegrity(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	if got != packageIntegrity {
		return fmt.Errorf("%s: integrity %s, want %s", filepath.Base(p), got, packageIntegrity)
	}
	return nil
}
