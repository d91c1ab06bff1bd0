package baseimage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
)

func TestRefFormat(t *testing.T) {
	ref := DataRecipe().Ref()
	if !regexp.MustCompile(`^equiptrack-kit/data:[0-9a-f]{12}$`).MatchString(ref) {
		t.Fatalf("ref %q does not look like equiptrack-kit/data:<12 hex>", ref)
	}
}

func TestRecipeHashFollowsTheRecipe(t *testing.T) {
	base := DataRecipe()
	baseTag := base.Tag()
	if again := DataRecipe().Tag(); again != baseTag {
		t.Fatalf("hash not stable: %s then %s", baseTag, again)
	}

	changed := map[string]func(r *Recipe){
		"extra package": func(r *Recipe) { r.Packages = append(append([]string(nil), r.Packages...), "curl") },
		"suite":         func(r *Recipe) { r.Suite = "trixie" },
		"entry script": func(r *Recipe) {
			r.Files = map[string][]byte{EntryPath: append(append([]byte(nil), entryScript...), "\n# changed\n"...)}
		},
		"removed path":  func(r *Recipe) { r.Remove = append(append([]string(nil), r.Remove...), "/usr/share/locale") },
		"import change": func(r *Recipe) { r.Changes = append(append([]string(nil), r.Changes...), "WORKDIR /tmp") },
		"build command": func(r *Recipe) { r.Run = append(append([][]string(nil), r.Run...), []string{"/bin/true"}) },
	}
	for name, mutate := range changed {
		r := DataRecipe()
		mutate(&r)
		if r.Tag() == baseTag {
			t.Errorf("%s: tag unchanged (%s)", name, baseTag)
		}
	}

	same := map[string]func(r *Recipe){
		"mirror":        func(r *Recipe) { r.Mirror = "http://mirror.example/debian" },
		"package order": func(r *Recipe) { r.Packages = []string{"redis-server", "openssl", "postgresql-15", "ca-certificates"} },
	}
	for name, mutate := range same {
		r := DataRecipe()
		mutate(&r)
		if r.Tag() != baseTag {
			t.Errorf("%s: tag changed from %s to %s, want unchanged", name, baseTag, r.Tag())
		}
	}
}

func TestEntryScriptIsValidShell(t *testing.T) {
	cmd := exec.Command("sh", "-n", "kit-entry.sh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -n kit-entry.sh: %v\n%s", err, out)
	}
}

// TestDataImage builds (or reuses) the real image and checks what it holds.
func TestDataImage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout+5*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is required: %v", err)
	}
	t0 := time.Now()
	ref, err := EnsureDataImage(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EnsureDataImage: %s in %s", ref, time.Since(t0))
	if ref != DataRecipe().Ref() {
		t.Fatalf("ref = %s, want %s", ref, DataRecipe().Ref())
	}

	label := dockerOut(t, ctx, "image", "inspect", "--format", `{{index .Config.Labels "equiptrack-kit.recipe"}}`, ref)
	if label != DataRecipe().Hash() {
		t.Errorf("recipe label = %q, want %q", label, DataRecipe().Hash())
	}
	// One container answers every question (a container start costs ~0.5 s).
	checks := []struct{ cmd, want string }{
		{"/usr/lib/postgresql/15/bin/postgres --version", "postgres (PostgreSQL) 15."},
		{"/usr/bin/redis-server --version", "Redis server v=7."},
		{"/usr/bin/openssl version", "OpenSSL 3."},
		{"/usr/bin/setpriv --version", "setpriv from util-linux"},
		{"/usr/bin/test -x " + EntryPath + " && echo executable", "executable"},
		{"/bin/cat /var/lib/postgresql/template/PG_VERSION", "15"},
		{"/usr/bin/stat -c %U:%a /var/lib/postgresql/template", "postgres:700"},
		{"/bin/grep -c equiptrack-kit /var/lib/postgresql/template/postgresql.conf", "1"},
		{"/usr/bin/test -e /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 || echo no-llvm", "no-llvm"},
	}
	var script strings.Builder
	for _, c := range checks {
		script.WriteString("(" + c.cmd + ") 2>&1; echo '--8<--'\n")
	}
	script.WriteString("/bin/cat " + EntryPath + "\n")
	parts := strings.Split(dockerOut(t, ctx, "run", "--rm", ref, "/bin/sh", "-c", script.String()), "--8<--\n")
	if len(parts) != len(checks)+1 {
		t.Fatalf("got %d answers, want %d:\n%s", len(parts), len(checks)+1, strings.Join(parts, "|"))
	}
	for i, c := range checks {
		if !strings.Contains(parts[i], c.want) {
			t.Errorf("%s: got %q, want it to contain %q", c.cmd, parts[i], c.want)
		}
	}
	// The entry script inside is the one embedded here.
	if strings.TrimSpace(parts[len(checks)]) != strings.TrimSpace(string(entryScript)) {
		t.Error("entry script in the image differs from kit-entry.sh")
	}
}

// childRepoEnv makes TestMain run Ensure for that repository and exit: the
// child processes of TestReimportFromCacheTwoProcessesAtOnce.
const childRepoEnv = "BASEIMAGE_TEST_CHILD_REPOSITORY"

// TestReimportFromCacheTwoProcessesAtOnce proves that the cached root
// filesystem alone remakes the image (what happens after Docker's storage was
// wiped), and that two processes asking at once import it once: one imports,
// the other waits on the lock and finds the image. It imports under a
// throwaway repository name, so the shared image is never removed under other
// tests' feet.
func TestReimportFromCacheTwoProcessesAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout+5*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is required: %v", err)
	}
	r := DataRecipe()
	r.Repository = "equiptrack-kit/data-reimport-test"
	ref := r.Ref()
	// Make sure the root filesystem is cached: the shared image may exist
	// while the cache does not (built by a process with another cache
	// directory, or the cache was wiped), and then EnsureDataImage would
	// return at once. Ensuring the throwaway image goes through the cache.
	_ = exec.Command("docker", "rmi", "-f", ref).Run()
	if _, err := Ensure(ctx, r, t.Logf); err != nil {
		t.Fatal(err)
	}
	_ = exec.Command("docker", "rmi", "-f", ref).Run()
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", ref).Run() })

	t0 := time.Now()
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childRepoEnv+"="+r.Repository)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	took := time.Since(t0)
	t.Logf("two processes, one re-import from cache: %s", took)
	imports, waits := 0, 0
	for i := range outs {
		out := string(outs[i])
		t.Logf("child %d:\n%s", i, out)
		if errs[i] != nil {
			t.Fatalf("child %d: %v", i, errs[i])
		}
		if !strings.Contains(out, "ref="+ref) {
			t.Errorf("child %d did not get %s", i, ref)
		}
		if strings.Contains(out, "mmdebstrap") {
			t.Errorf("child %d ran mmdebstrap although the root filesystem is cached", i)
		}
		imports += strings.Count(out, "baseimage: imported")
		waits += strings.Count(out, "another process is building")
	}
	if imports != 1 {
		t.Errorf("%d imports, want exactly 1", imports)
	}
	if waits > 1 {
		t.Errorf("%d processes waited, want at most 1", waits)
	}
	if took > 90*time.Second {
		t.Errorf("re-import took %s, want seconds", took)
	}
	if out := dockerOut(t, ctx, "run", "--rm", ref, "/usr/bin/redis-server", "--version"); !strings.Contains(out, "v=7.") {
		t.Errorf("re-imported image: redis-server --version = %q", out)
	}
}

func dockerOut(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestMain(m *testing.M) {
	if repo := os.Getenv(childRepoEnv); repo != "" {
		r := DataRecipe()
		r.Repository = repo
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		ref, err := Ensure(ctx, r, func(f string, a ...any) { fmt.Printf(f+"\n", a...) })
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ref=" + ref)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseVersions(t *testing.T) {
	out := "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\nRedis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ea6a1b6e5bde4ee1\n"
	pg, redis := parseVersions(out)
	if pg != "15.14 (Debian 15.14-0+deb12u1)" || redis != "7.0.15" {
		t.Errorf("parseVersions = %q, %q", pg, redis)
	}
}

// TestPruneKeepsOnlyTodaysRecipe runs under its own cache root and image
// repository, so it never touches the real images or cache.
func TestPruneKeepsOnlyTodaysRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout+5*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is required: %v", err)
	}
	src, err := EnsureDataImage(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	r := DataRecipe()
	r.Repository = "equiptrack-kit/prune-test"
	old := r.Repository + ":000000000000"
	for _, ref := range []string{r.Ref(), old} {
		dockerOut(t, ctx, "tag", src, ref)
		t.Cleanup(func() { _ = exec.Command("docker", "rmi", ref).Run() })
	}
	root := os.Getenv("EQUIPTRACK_KIT_CACHE")
	for _, tag := range []string{r.Tag(), "000000000000"} {
		if err := os.MkdirAll(filepath.Join(root, "baseimage", tag), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "baseimage", tag, "rootfs.tar"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := prune(ctx, r, t.Logf); err != nil {
		t.Fatal(err)
	}
	if exec.CommandContext(ctx, "docker", "image", "inspect", old).Run() == nil {
		t.Errorf("old image %s still there", old)
	}
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", r.Ref()).Run(); err != nil {
		t.Errorf("current image %s was removed", r.Ref())
	}
	if _, err := os.Stat(filepath.Join(root, "baseimage", "000000000000")); !os.IsNotExist(err) {
		t.Errorf("old cache directory still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(root, "baseimage", r.Tag(), "rootfs.tar")); err != nil {
		t.Errorf("current cache removed: %v", err)
	}
}

// TestRemoveTreeUnmountsFirst: a tree with a mount inside (as a killed
// mmdebstrap leaves /proc) is removed without touching the mounted content.
func TestRemoveTreeUnmountsFirst(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	tree := filepath.Join(base, "rootfs")
	mnt := filepath.Join(tree, "proc")
	for _, d := range []string{outside, mnt} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	precious := filepath.Join(outside, "precious")
	if err := os.WriteFile(precious, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(outside, mnt, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	if err := removeTree(tree); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tree); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "keep" {
		t.Errorf("file behind the mount: %q, %v; want it untouched", b, err)
	}
}
