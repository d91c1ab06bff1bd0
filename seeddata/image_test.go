package seeddata

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/containertest"
)

// The seeder image, built exactly as README.md says (static binary prebuilt on
// the host, Dockerfile FROM scratch), seeds a database and exits non-zero on a
// refused reseed.
func TestSeederImage(t *testing.T) {
	t.Parallel()
	pg := containertest.PG(t) // skips under -short; Docker is up once containertest.Run started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "seed")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/seed")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	tag := "equiptrack-seeder-test:" + strings.ToLower(randomTag())
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })

	name := dbName(t, migratedDB(t, ctx))
	u := pg.URL(name, "require")
	run := func(args ...string) (string, string, int) {
		cmd := exec.CommandContext(ctx, "docker", append([]string{"run", "--rm", "--network", "host",
			"-e", "DATABASE_URL", "-e", "SEED_ADMIN_PASSWORD", tag}, args...)...)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+u, "SEED_ADMIN_PASSWORD="+testPassword)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	out, errs, code := run()
	if code != 0 || !strings.Contains(out, "fingerprint: "+ExpectedFingerprint()+"\n") {
		t.Fatalf("seeder image: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if strings.Contains(out+errs, testPassword) {
		t.Fatal("the admin password appears in the seeder's output")
	}
	_, errs, code = run("-reseed", "-confirm=not-"+name)
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "reseed not confirmed") {
		t.Fatalf("wrong confirm: exit %d, stderr %q", code, errs)
	}
}

func randomTag() string { return time.Now().UTC().Format("20060102t150405.000000000")[9:] + "x" }
