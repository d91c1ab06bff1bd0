package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/equiptrack/release-kit/magefiles/containertest"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// The built-to-fail variants are real binaries (and images) built with
// -ldflags -X main.breakMode=…, exactly as the manifest's prebuild does.

var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// binary builds the program once per break mode for the package run. A
// test builds what it needs before it starts its own deadline: a cold build
// on a loaded machine took over three minutes, and a build (or the wait for
// another test's) inside a scenario's deadline failed it.
func binary(t *testing.T, mode string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.bins[mode]; ok {
		return p
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "equiptrack-bin-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = d, map[string]string{}
	}
	name := "equiptrack"
	if mode != "" {
		name += "-" + mode
	}
	out := filepath.Join(builds.dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gobin, err := goCommand()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-ldflags", "-s -w -X main.breakMode="+mode, "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (breakMode=%q): %v\n%s", mode, err, b)
	}
	t.Logf("built %s in %s", name, time.Since(start).Round(time.Millisecond))
	builds.bins[mode] = out
	return out
}

func TestMigrateBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and needs PostgreSQL")
	}
	broken, normal := binary(t, "migrate"), binary(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg := containertest.PG(t)

	t.Run("built to fail exits 1 and touches nothing", func(t *testing.T) {
		dbURL := pg.NewDatabase(ctx, t)
		code, out := runBinary(ctx, t, broken, []string{"migrate"}, "DATABASE_URL="+dbURL)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		lines := logLines(t, out)
		if len(lines) != 1 || lines[0]["level"] != "ERROR" ||
			!strings.Contains(fmt.Sprint(lines[0]["err"]), "built to fail its migration (breakMode=migrate)") {
			t.Errorf("log: %s", out)
		}
		if exists := tableExists(ctx, t, dbURL, schema.MigrationsTable); exists {
			t.Error("the broken migration created schema_migrations")
		}
	})

	t.Run("migrates, then finds nothing to do", func(t *testing.T) {
		dbURL := pg.NewDatabase(ctx, t)
		for i, want := range []string{fmt.Sprintf(`"applied":[%d]`, schema.Latest()), `"applied":null`} {
			code, out := runBinary(ctx, t, normal, []string{"migrate"}, "DATABASE_URL="+dbURL, "APP_VERSION=v0.0.1")
			if code != 0 || !strings.Contains(out, `"msg":"migrated"`) || !strings.Contains(out, want) {
				t.Fatalf("run %d: exit %d, want 0 with %s:\n%s", i+1, code, want, out)
			}
		}
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := schema.Check(ctx, conn); err != nil {
			t.Errorf("after migrate: %v", err)
		}
	})

	t.Run("database unreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		start := time.Now()
		code, out := runBinary(ctx, t, normal, []string{"migrate"},
			"DB_HOST=127.0.0.1", "DB_PORT="+port, "DB_NAME=equiptrack", `DB_SECRET={"username":"app","password":"hunter2"}`, "DB_SSLMODE=disable")
		if code != 1 || !strings.Contains(out, "connect") || strings.Contains(out, "hunter2") {
			t.Errorf("exit %d, want 1 naming the connection, never the password:\n%s", code, out)
		}
		if n := len(logLines(t, out)); n != 2 { // "migrating", then the one failure line
			t.Errorf("%d log lines:\n%s", n, out)
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("took %s to fail", time.Since(start))
		}
	})
}

// A database that accepts and never answers fails migrate after the connect
// timeout, instead of holding the release for the OS's TCP timeout.
func TestMigrateBinaryDatabaseHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	t.Parallel() // mostly waiting: overlap it with the other slow tests
	bin := binary(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	start := time.Now()
	code, out := runBinary(ctx, t, bin, []string{"migrate"},
		"DB_HOST=127.0.0.1", "DB_PORT="+port, "DB_NAME=equiptrack", "DB_USER=app", "DB_SSLMODE=disable")
	took := time.Since(start)
	if code != 1 || !strings.Contains(out, "connect to the database") {
		t.Errorf("exit %d, want 1 naming the connection:\n%s", code, out)
	}
	if took < MigrateConnectTimeout-time.Second || took > MigrateConnectTimeout+10*time.Second {
		t.Errorf("gave up after %s, want about %s", took, MigrateConnectTimeout)
	}
}

// A normal and a readyz-broken binary side by side over the same healthy
// stores: only the broken one fails readiness; both stop cleanly on SIGTERM.
func TestServeBinaryBreakReadyzAndSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and needs PostgreSQL and Redis")
	}
	t.Parallel()
	bins := map[string]string{"": binary(t, ""), "readyz": binary(t, "readyz")}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dbURL := containertest.PG(t).NewDatabase(ctx, t)
	redisURL := containertest.SharedRedis(t).NewDB(t)
	for _, c := range []struct {
		mode       string
		wantReady  int
		wantReason string
	}{
		{"", 200, ""},
		{"readyz", 503, "this image was built to fail its readiness check (breakMode=readyz)"},
	} {
		t.Run("breakMode="+c.mode, func(t *testing.T) {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			ln.Close()
			cmd := exec.CommandContext(ctx, bins[c.mode], "serve")
			cmd.Env = []string{"SERVICE=reporting", "PORT=" + port, "DATABASE_URL=" + dbURL, "REDIS_URL=" + redisURL,
				"APP_ENV=test", "APP_VERSION=v3.2.1", "SHUTDOWN_TIMEOUT=5s"}
			var out syncWriter
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill() //nolint:errcheck // a no-op once it exited
			base := "http://127.0.0.1:" + port
			var health map[string]any
			if code := waitGet(ctx, t, base+"/healthz", &health); code != 200 || health["version"] != "v3.2.1" || health["env"] != "test" || health["service"] != "reporting" {
				t.Fatalf("/healthz %d %v\n%s", code, health, out.String())
			}
			var ready map[string]any
			code := waitGet(ctx, t, base+"/readyz", &ready)
			if code != c.wantReady || (c.wantReason != "" && ready["reason"] != c.wantReason) {
				t.Errorf("/readyz %d %v, want %d %q", code, ready, c.wantReady, c.wantReason)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			waitErr := make(chan error, 1)
			go func() { waitErr <- cmd.Wait() }()
			select {
			case err := <-waitErr:
				if err != nil {
					t.Errorf("exit after SIGTERM: %v\n%s", err, out.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after SIGTERM\n%s", out.String())
			}
			if !strings.Contains(out.String(), `"msg":"stopped cleanly"`) {
				t.Errorf("no clean stop logged:\n%s", out.String())
			}
			for _, l := range logLines(t, out.String()) {
				if l["level"] == "ERROR" {
					t.Errorf("error logged: %v", l)
				}
			}
		})
	}
}

// The Dockerfile builds FROM scratch with the prebuilt binary; the image
// carries its role, runs as non-root, serves, stops cleanly on docker stop,
// and the migrate-broken image exits 1.
func TestDockerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	t.Parallel()
	bins := map[string]string{"": binary(t, ""), "migrate": binary(t, "migrate")}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, c := range []struct{ mode, role string }{{"", "ui"}, {"migrate", "inventory"}} {
		ctxDir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(ctxDir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, bins[c.mode], filepath.Join(ctxDir, "bin", "equiptrack"))
		copyFile(t, filepath.Join("..", "..", "Dockerfile"), filepath.Join(ctxDir, "Dockerfile"))
		copyFile(t, filepath.Join("..", "..", ".dockerignore"), filepath.Join(ctxDir, ".dockerignore"))
		tag := fmt.Sprintf("equiptrack-example-test:%s-%d", c.role, time.Now().UnixNano())
		docker(ctx, t, "build", "-q", "--build-arg", "SERVICE="+c.role, "-t", tag, ctxDir)
		t.Cleanup(func() { _, _ = exec.Command("docker", "rmi", "-f", tag).CombinedOutput() })
		if c.mode == "migrate" {
			cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "-e", "DATABASE_URL=postgres://u:p@127.0.0.1:1/d", tag, "migrate")
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "breakMode=migrate") {
				t.Errorf("broken migrate image: %v\n%s", err, out)
			}
			continue
		}
		cfg := docker(ctx, t, "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Env}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}", tag)
		for _, want := range []string{"65532:65532", `"SERVICE=ui"`, `["/equiptrack"]`, `["serve"]`} {
			if !strings.Contains(cfg, want) {
				t.Errorf("image config %s lacks %s", cfg, want)
			}
		}
		id := strings.TrimSpace(docker(ctx, t, "run", "-d", "-p", "127.0.0.1::8080", "-e", "APP_VERSION=v4.5.6",
			"-e", "DATABASE_URL=postgres://u:p@127.0.0.1:1/d", "-e", "REDIS_URL=redis://127.0.0.1:1/0", tag))
		t.Cleanup(func() { _, _ = exec.Command("docker", "rm", "-f", id).CombinedOutput() })
		hostPort := strings.TrimSpace(strings.Split(docker(ctx, t, "port", id, "8080/tcp"), "\n")[0])
		var health map[string]any
		if code := waitGet(ctx, t, "http://"+hostPort+"/healthz", &health); code != 200 || health["service"] != "ui" || health["version"] != "v4.5.6" {
			t.Errorf("/healthz in the container: %d %v", code, health)
		}
		resp, err := http.Get("http://" + hostPort + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(page, []byte("EXAMPLE build")) {
			t.Errorf("page: %d", resp.StatusCode)
		}
		docker(ctx, t, "stop", "-t", "10", id)
		if code := strings.TrimSpace(docker(ctx, t, "inspect", "--format", "{{.State.ExitCode}}", id)); code != "0" {
			t.Errorf("exit code after docker stop: %s\n%s", code, docker(ctx, t, "logs", id))
		}
	}
}

func docker(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// runBinary runs bin with exactly env and returns its exit code and output.
func runBinary(ctx context.Context, t *testing.T, bin string, args []string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("run %s: %v", bin, err)
	return -1, ""
}

// waitGet polls url until it answers (up to 10 s) and decodes the JSON body.
func waitGet(ctx context.Context, t *testing.T, url string, into any) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			return resp.StatusCode
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no answer within 10 s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tableExists(ctx context.Context, t *testing.T, dbURL, table string) bool {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// goCommand finds the go command that runs this test: `go test` puts its
// GOROOT's bin first on PATH for the test binary; GOROOT is the fallback.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go"), nil
	}
	return "", errors.New("no go command on PATH and GOROOT unset: cannot build the binaries under test")
}
