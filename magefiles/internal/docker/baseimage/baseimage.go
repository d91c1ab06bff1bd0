// Package baseimage builds, once per recipe, the local Docker image the kit
// runs PostgreSQL 15 and Redis from. No image can be pulled on the machines the
// kit runs on, so the image is a Debian bookworm root filesystem made by
// mmdebstrap and loaded with `docker import`. It is tagged by a content hash
// of its recipe, and the root filesystem tarball is cached outside the clone
// (cachedir) so that a re-import after Docker's storage was wiped, or in CI's
// fresh clone, takes seconds instead of a minute.
package baseimage

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Repository is the local image repository of the data image.
const Repository = "equiptrack-kit/data"

// EntryPath is where the entry script lives inside the image.
const EntryPath = "/usr/local/bin/kit-entry"

// MirrorEnv overrides the Debian mirror mmdebstrap fetches from (the
// targets read it and set Recipe.Mirror). The mirror is not part of the
// recipe hash: any mirror serves the same packages.
const MirrorEnv = "EQUIPTRACK_DEBIAN_MIRROR"

// defaultMirror is the Debian mirror of DataRecipe.
const defaultMirror = "http://deb.debian.org/debian"

// buildTimeout bounds one mmdebstrap: about a minute on a quiet machine;
// debootstrap, before it, took 14m44s beside a cold test run's compiles and
// two busy loops, and the bound is there for a mirror that stops
// answering, not for a busy machine.
const buildTimeout = 30 * time.Minute

//go:embed kit-entry.sh
var entryScript []byte

// recipeFormat is bumped whenever the build steps below change in a way the
// Recipe fields do not show, so the tag changes with them (2: mmdebstrap
// instead of debootstrap).
const recipeFormat = 2

// Recipe is everything that decides the image's content. Its Hash keys both
// the image tag and the cached root filesystem.
type Recipe struct {
	Repository string `json:"-"`
	Suite      string `json:"suite"`
	Variant    string `json:"variant"`
	Mirror     string `json:"-"`
	// Packages are passed to mmdebstrap --include.
	Packages []string `json:"packages"`
	// Files are written into the root filesystem (path → content, mode 0755).
	Files map[string][]byte `json:"files"`
	// Remove lists paths deleted after mmdebstrap: documentation, apt's
	// caches and the cluster Debian's postinst creates (the entry script makes
	// its own data directory).
	Remove []string `json:"remove"`
	// Run lists commands run in the root filesystem (chroot) after Files
	// are written: they prepare what every container would otherwise make at
	// start, like PostgreSQL's cluster template.
	Run [][]string `json:"run"`
	// Changes are `docker import --change` instructions.
	Changes []string `json:"changes"`
}

// DataRecipe is the recipe of the image holding PostgreSQL 15 and Redis.
func DataRecipe() Recipe {
	return Recipe{
		Repository: Repository,
		Suite:      "bookworm",
		Variant:    "minbase",
		Mirror:     defaultMirror,
		Packages:   []string{"postgresql-15", "redis-server", "openssl", "ca-certificates"},
		Files:      map[string][]byte{EntryPath: entryScript},
		Run:        [][]string{{EntryPath, "init-template"}},
		Remove: []string{
			"/var/cache/apt/archives", "/var/lib/apt/lists", "/usr/share/doc", "/usr/share/man",
			"/usr/share/info", "/usr/share/locale", "/usr/share/i18n",
			"/var/lib/postgresql/15", "/etc/postgresql/15",
			// LLVM (for PostgreSQL's JIT) is half the image. Without
			// llvmjit.so PostgreSQL silently runs without JIT, which short test
			// queries never benefit from.
			"/usr/lib/postgresql/15/lib/llvmjit.so", "/usr/lib/postgresql/15/lib/llvmjit_types.bc",
			"/usr/lib/postgresql/15/lib/bitcode",
			"/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1", "/usr/lib/x86_64-linux-gnu/libz3.so.4",
		},
		Changes: []string{
			// Only LABEL, ENV and the like are valid import changes on Docker
			// 20.10 (not STOPSIGNAL): containers set their stop signal themselves.
			"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		},
	}
}

// Hash is the hex SHA-256 of the recipe's canonical JSON form.
func (r Recipe) Hash() string {
	pkgs := append([]string(nil), r.Packages...)
	sort.Strings(pkgs)
	r.Packages = pkgs
	b, err := json.Marshal(struct {
		Format int `json:"format"`
		Recipe
	}{recipeFormat, r})
	if err != nil {
		panic(fmt.Sprintf("baseimage: recipe does not marshal: %v", err)) // cannot happen: plain types
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Tag is the first 12 hex digits of Hash.
func (r Recipe) Tag() string { return r.Hash()[:12] }

// Ref is the image reference, e.g. equiptrack-kit/data:0123456789ab.
func (r Recipe) Ref() string {
	repo := r.Repository
	if repo == "" {
		repo = Repository
	}
	return repo + ":" + r.Tag()
}

// EnsureDataImage returns the reference of the data image, importing the
// cached root filesystem or building it first when the image is missing.
// Docker must be running (dockerup.Ensure).
func EnsureDataImage(ctx context.Context, logf sh.Logf) (string, error) {
	return Ensure(ctx, DataRecipe(), logf)
}

// inProcess serialises goroutines of one process before the file lock, so
// they wait on a mutex rather than by polling the lock file.
var inProcess sync.Mutex

// Ensure makes sure the recipe's image exists locally and returns its ref.
// Safe when several processes ask at once: one builds, the others wait on a
// file lock and then find the image.
func Ensure(ctx context.Context, r Recipe, logf sh.Logf) (string, error) {
	if logf == nil {
		logf = sh.Discard
	}
	ref := r.Ref()
	if imageExists(ctx, ref) {
		return ref, nil
	}
	inProcess.Lock()
	defer inProcess.Unlock()
	dir, err := cachedir.Dir("baseimage", r.Tag())
	if err != nil {
		return "", fmt.Errorf("baseimage: %w", err)
	}
	unlock, err := filelock.Lock(ctx, filepath.Join(dir, "build.lock"), func() {
		logf("baseimage: another process is building %s; waiting…", ref)
	})
	if err != nil {
		return "", fmt.Errorf("baseimage: lock %s: %w", dir, err)
	}
	defer unlock()
	if imageExists(ctx, ref) {
		return ref, nil
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	if _, err := os.Stat(tarball); err != nil {
		if err := cachedir.MayBuild(ctx, "the data image "+ref); err != nil {
			return "", fmt.Errorf("baseimage: %w", err)
		}
		if err := build(ctx, r, dir, tarball, logf); err != nil {
			return "", err
		}
	} else {
		logf("baseimage: reusing cached root filesystem %s", tarball)
	}
	t0 := time.Now()
	if err := dockerImport(ctx, r, tarball); err != nil {
		// A tarball Docker cannot read must not poison every later run.
		if rmErr := os.Remove(tarball); rmErr == nil {
			err = fmt.Errorf("%w (removed the cached root filesystem: the next run rebuilds it)", err)
		}
		return "", err
	}
	logf("baseimage: imported %s in %s", ref, since(t0))
	return ref, nil
}

func build(ctx context.Context, r Recipe, dir, tarball string, logf sh.Logf) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("baseimage: building %s needs root (mmdebstrap, chroot): run `sudo go run magefile.go docker:up` once", r.Ref())
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		logf("baseimage: installing mmdebstrap (once per machine)…")
		t0 := time.Now()
		if err := dockerup.AptInstall(ctx, "mmdebstrap"); err != nil {
			return fmt.Errorf("baseimage: install mmdebstrap: %w", err)
		}
		logf("baseimage: mmdebstrap installed in %s", since(t0))
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()

	rootfs := filepath.Join(dir, "rootfs")
	if err := removeTree(rootfs); err != nil { // a build interrupted earlier
		return fmt.Errorf("baseimage: clean %s: %w", rootfs, err)
	}
	defer removeTree(rootfs)

	logf("baseimage: building %s: mmdebstrap %s %s with %s (about a minute, once per recipe)…",
		r.Ref(), r.Variant, r.Suite, strings.Join(r.Packages, ","))
	t0 := time.Now()
	// mmdebstrap, not debootstrap: the same Debian root filesystem (the
	// same packages but for which of usrmerge and usr-is-merged says /usr
	// is merged), with apt resolving and fetching, and dpkg unpacking in
	// batches, where debootstrap's shell script runs a process or several
	// per package — 63 CPU-seconds instead of 97 on the quiet machine, and
	// far fewer processes to wait their turn on a busy one (debootstrap
	// took 14m44s beside a cold test run's compiles and two busy loops).
	args := []string{"--variant=" + r.Variant, "--include=" + strings.Join(r.Packages, ","), r.Suite, rootfs, r.Mirror}
	heartbeat := sh.Options{Combined: true, Heartbeat: 15 * time.Second, Logf: logf, WaitDelay: 10 * time.Second}
	if _, err := heartbeat.Run(ctx, "mmdebstrap", args...); err != nil {
		return fmt.Errorf("baseimage: mmdebstrap %s: %w", r.Suite, err)
	}
	logf("baseimage: mmdebstrap done in %s", since(t0))

	t1 := time.Now()
	for _, p := range r.Remove {
		if err := os.RemoveAll(filepath.Join(rootfs, p)); err != nil {
			return fmt.Errorf("baseimage: remove %s: %w", p, err)
		}
	}
	for p, content := range r.Files {
		full := filepath.Join(rootfs, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("baseimage: %w", err)
		}
		if err := os.WriteFile(full, content, 0o755); err != nil {
			return fmt.Errorf("baseimage: write %s: %w", p, err)
		}
	}
	for _, cmd := range r.Run {
		args := append([]string{rootfs}, cmd...)
		if _, err := (sh.Options{Combined: true}).Run(ctx, "chroot", args...); err != nil {
			return fmt.Errorf("baseimage: chroot %s: %w", strings.Join(cmd, " "), err)
		}
	}
	// Uncompressed: importing it is then bound by the disk, not by gzip.
	tmp := tarball + ".tmp"
	if _, err := (sh.Options{Combined: true}).Run(ctx, "tar", "--numeric-owner", "-C", rootfs, "-cf", tmp, "."); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("baseimage: tar rootfs: %w", err)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		return fmt.Errorf("baseimage: %w", err)
	}
	if st, err := os.Stat(tarball); err == nil {
		logf("baseimage: root filesystem cached as %s (%d MB) in %s", tarball, st.Size()>>20, since(t1))
	}
	return nil
}

// removeTree deletes a root filesystem tree, first unmounting anything a
// killed mmdebstrap left mounted inside it (proc, sys, bind-mounted device
// nodes): RemoveAll must never walk into the host's /proc or /dev.
func removeTree(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return fmt.Errorf("read mounts: %w", err)
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			mounts = append(mounts, f[1])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts))) // deepest first
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w (remove %s by hand)", m, err, dir)
		}
	}
	return os.RemoveAll(dir)
}

func dockerImport(ctx context.Context, r Recipe, tarball string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := []string{"import"}
	changes := append([]string{"LABEL equiptrack-kit.recipe=" + r.Hash()}, r.Changes...)
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, tarball, r.Ref())
	if _, err := (sh.Options{Combined: true}).Run(ctx, "docker", args...); err != nil {
		return fmt.Errorf("baseimage: %s: %w", r.Ref(), err)
	}
	return nil
}

func imageExists(ctx context.Context, ref string) bool {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return sh.Run(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", ref) == nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// Info describes a data image.
type Info struct {
	Ref        string
	SizeMB     int64
	PostgreSQL string // e.g. "15.14 (Debian 15.14-0+deb12u1)"
	Redis      string // e.g. "7.0.15"
}

// Describe reports the image's size and the server versions inside it (one
// short-lived container).
func Describe(ctx context.Context, ref string) (Info, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	info := Info{Ref: ref}
	out, err := sh.Output(ctx, "docker", "image", "inspect", "--format", "{{.Size}}", ref)
	if err != nil {
		return info, fmt.Errorf("baseimage: %w", err)
	}
	var size int64
	fmt.Sscan(out, &size)
	info.SizeMB = size >> 20
	out, err = sh.Options{Combined: true}.Run(ctx, "docker", "run", "--rm", ref, "/bin/sh", "-c",
		"/usr/lib/postgresql/15/bin/postgres --version; /usr/bin/redis-server --version")
	if err != nil {
		return info, fmt.Errorf("baseimage: versions in %s: %w", ref, err)
	}
	info.PostgreSQL, info.Redis = parseVersions(out)
	return info, nil
}

// parseVersions reads `postgres --version` and `redis-server --version` output.
func parseVersions(out string) (pg, redis string) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "postgres (PostgreSQL) "); ok {
			pg = strings.TrimSpace(v)
		}
		if _, rest, ok := strings.Cut(line, "Redis server v="); ok {
			redis, _, _ = strings.Cut(rest, " ")
		}
	}
	return pg, redis
}

// Image is one local data image.
type Image struct {
	Ref     string
	Created string
	Size    string // as docker prints it, e.g. "206MB"
	Current bool   // made from today's recipe
	Cached  bool   // its root filesystem tarball is in the cache
}

// List returns the local images of Repository, newest first.
func List(ctx context.Context) ([]Image, error) {
	return list(ctx, DataRecipe())
}

func list(ctx context.Context, r Recipe) ([]Image, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	repo := r.Repository
	if repo == "" {
		repo = Repository
	}
	out, err := sh.Output(ctx, "docker", "image", "ls", repo,
		"--format", "{{.Repository}}:{{.Tag}}|{{.CreatedSince}}|{{.Size}}")
	if err != nil {
		return nil, fmt.Errorf("baseimage: %w", err)
	}
	current := r.Ref()
	root, err := cachedir.Root()
	if err != nil {
		return nil, err
	}
	var imgs []Image
	for _, line := range strings.Split(out, "\n") {
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			continue
		}
		img := Image{Ref: parts[0], Created: parts[1], Size: parts[2], Current: parts[0] == current}
		_, tag, _ := strings.Cut(parts[0], ":")
		if _, err := os.Stat(filepath.Join(root, "baseimage", tag, "rootfs.tar")); err == nil {
			img.Cached = true
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// Prune removes the data images and cached root filesystems of recipes other
// than today's. An image still used by a container stays (and is reported).
func Prune(ctx context.Context, logf sh.Logf) error {
	return prune(ctx, DataRecipe(), logf)
}

func prune(ctx context.Context, current Recipe, logf sh.Logf) error {
	if logf == nil {
		logf = sh.Discard
	}
	imgs, err := list(ctx, current)
	if err != nil {
		return err
	}
	var errs []error
	for _, img := range imgs {
		if img.Current {
			continue
		}
		if _, err := (sh.Options{Combined: true, TailLines: 1}).Run(ctx, "docker", "rmi", img.Ref); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", img.Ref, err))
			continue
		}
		logf("baseimage: removed image %s", img.Ref)
	}
	root, err := cachedir.Root()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "baseimage")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("baseimage: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == current.Tag() {
			continue
		}
		// Skip a directory another process is building in right now.
		unlock, err := filelock.Lock(ctx, filepath.Join(dir, e.Name(), "build.lock"), nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = os.RemoveAll(filepath.Join(dir, e.Name()))
		unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		logf("baseimage: removed cached root filesystem %s", e.Name())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("baseimage: prune: %w", err)
	}
	return nil
}
