package containertest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
)

func TestMain(m *testing.M) {
	os.Exit(Run(m, NeedBoth))
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", stores.Redact(url), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestPostgresAnswersQueries(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	conn := connect(t, ctx, PG(t).NewDatabase(ctx, t))
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "15.") {
		t.Errorf("server_version = %q, want 15.x", version)
	}
	var sum int
	if err := conn.QueryRow(ctx, "SELECT sum(g) FROM generate_series(1, 10) g").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 55 {
		t.Errorf("sum 1..10 = %d, want 55", sum)
	}
	var enc string
	if err := conn.QueryRow(ctx, "SHOW server_encoding").Scan(&enc); err != nil {
		t.Fatal(err)
	}
	if enc != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", enc)
	}
}

// TestPostgresServesTLS: RDS for PostgreSQL 15+ forces SSL, so the kit's
// server speaks TLS; plaintext stays allowed locally (clients pick sslmode).
func TestPostgresServesTLS(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pg := PG(t)
	u, err := url.Parse(pg.NewDatabase(ctx, t))
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")

	const q = "SELECT ssl, coalesce(version, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	for _, tc := range []struct {
		sslmode string
		wantSSL bool
	}{{"require", true}, {"prefer", true}, {"disable", false}} {
		conn := connect(t, ctx, pg.URL(db, tc.sslmode))
		var ssl bool
		var version string
		if err := conn.QueryRow(ctx, q).Scan(&ssl, &version); err != nil {
			t.Fatalf("sslmode=%s: %v", tc.sslmode, err)
		}
		if ssl != tc.wantSSL {
			t.Errorf("sslmode=%s: pg_stat_ssl.ssl = %v, want %v", tc.sslmode, ssl, tc.wantSSL)
		}
		if tc.wantSSL && !strings.HasPrefix(version, "TLSv1.") {
			t.Errorf("sslmode=%s: TLS version %q, want TLSv1.x", tc.sslmode, version)
		}
	}
	// The certificate is self-signed: a client that verifies it must refuse.
	if conn, err := pgx.Connect(ctx, pg.URL(db, "verify-full")); err == nil {
		conn.Close(ctx)
		t.Error("sslmode=verify-full connected to a self-signed certificate")
	}
}

func TestPostgresRejectsAWrongPassword(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pg := PG(t)
	bad := stores.PostgresURL(PostgresUser, "not-the-password", fmt.Sprintf("127.0.0.1:%d", pg.Port), "postgres", "require")
	conn, err := pgx.Connect(ctx, bad)
	if err == nil {
		conn.Close(ctx)
		t.Fatal("connected with a wrong password")
	}
	if !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("error = %v, want password authentication failed", err)
	}
}

func TestNewDatabaseIsolatesTests(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pg := PG(t)
	urlA, urlB := pg.NewDatabase(ctx, t), pg.NewDatabase(ctx, t)
	if urlA == urlB {
		t.Fatalf("two NewDatabase calls gave the same URL %s", stores.Redact(urlA))
	}
	a, b := connect(t, ctx, urlA), connect(t, ctx, urlB)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var inB *string
	if err := b.QueryRow(ctx, "SELECT to_regclass('public.only_in_a')::text").Scan(&inB); err != nil {
		t.Fatal(err)
	}
	if inB != nil {
		t.Errorf("table made in database A is visible in database B as %s", *inB)
	}
	var n int
	if err := a.QueryRow(ctx, "SELECT count(*) FROM only_in_a").Scan(&n); err != nil || n != 1 {
		t.Errorf("count in A = %d, %v; want 1", n, err)
	}
}

func TestNewDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pg := PG(t)
	var name string
	t.Run("inner", func(t *testing.T) {
		u := pg.NewDatabase(ctx, t)
		conn := connect(t, ctx, u)
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		// The test's name, lower-cased and cut to 40 characters, a sequence
		// number and 6 random hex digits.
		if !regexp.MustCompile(`^t_testnewdatabaseisdroppedafterthetest_inn_[0-9]+_[0-9a-f]{6}$`).MatchString(name) {
			t.Errorf("database name %q does not follow the test name", name)
		}
	})
	admin := connect(t, ctx, pg.AdminURL)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("database %q still exists after its test ended", name)
	}
}

func TestRedisPingAndIsolation(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	rd := SharedRedis(t)
	client := func(u string) *redis.Client {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		return c
	}
	urlA, urlB := rd.NewDB(t), rd.NewDB(t)
	if urlA == urlB {
		t.Fatalf("two NewDB calls gave the same URL %s", urlA)
	}
	a, b := client(urlA), client(urlB)
	if got, err := a.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	if err := a.Set(ctx, "k", "from-a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, "k").Result(); err != nil || got != "from-a" {
		t.Errorf("GET k in A = %q, %v; want from-a", got, err)
	}
	if _, err := b.Get(ctx, "k").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET k in B: err = %v, want redis.Nil (key must not leak across databases)", err)
	}
	if n, err := a.ConfigGet(ctx, "databases").Result(); err != nil || n["databases"] != "1024" {
		t.Errorf("CONFIG GET databases = %v, %v; want 1024", n, err)
	}
}

// TestPostgresStopStart makes the database unreachable for a while and brings
// it back on the same port with its data: its own container, so the shared one
// stays up for the other tests.
func TestPostgresStopStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx := testCtx(t)
	pg, err := StartPostgresWith(ctx, Options{Image: baseimage.DataRecipe().Ref(), Logf: t.Logf})
	if pg != nil {
		t.Cleanup(func() { _ = pg.Terminate(context.Background()) })
	}
	if err != nil {
		t.Fatal(err)
	}
	port := pg.Port
	conn := connect(t, ctx, pg.AdminURL)
	if _, err := conn.Exec(ctx, "CREATE TABLE survives (v text); INSERT INTO survives VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	t0 := time.Now()
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %s", time.Since(t0))
	shortCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if c, err := pgx.Connect(shortCtx, pg.AdminURL); err == nil {
		c.Close(ctx)
		t.Error("connected while the container was stopped")
	}
	cancel()

	t1 := time.Now()
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("started again in %s", time.Since(t1))
	if pg.Port != port {
		t.Errorf("port changed from %d to %d", port, pg.Port)
	}
	mapped, err := pg.Container.MappedPort(ctx, "5432/tcp")
	if err != nil || int(mapped.Num()) != port {
		t.Errorf("mapped port after restart = %v, %v; want %d", mapped, err, port)
	}
	conn = connect(t, ctx, pg.AdminURL)
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM survives").Scan(&v); err != nil || v != "kept" {
		t.Errorf("after restart: v = %q, %v; want kept", v, err)
	}
}

// TestMissingDockerFailsThePackage runs this package's TestMain in a child
// process whose DOCKER_HOST points at a dead socket: the package must FAIL
// with one clear line, not skip and not hang.
func TestMissingDockerFailsThePackage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the package's TestMain (skipped under -short)")
	}
	ctx := testCtx(t)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent/docker.sock")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want exit status 1; output:\n%s", err, out)
	}
	want := "FAIL: these tests need Docker and none could be had: docker: no engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock"
	if !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if strings.Contains(string(out), "SKIP") || strings.Contains(string(out), "\nPASS") {
		t.Errorf("output reports a skip or a pass:\n%s", out)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("failing took %s, want seconds", d)
	}
}

// TestSweepOrphansRemovesOnlyContainersOfExitedProcesses: a container owned
// by a process that has exited goes; one owned by this live process stays.
func TestSweepOrphansRemovesOnlyContainersOfExitedProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx := testCtx(t)
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	run := func(pid int) string {
		out, err := exec.CommandContext(ctx, "docker", "create",
			"--label", labelOwnerHost+"="+host, "--label", fmt.Sprintf("%s=%d", labelOwnerPID, pid),
			baseimage.DataRecipe().Ref(), "/bin/true").Output()
		if err != nil {
			t.Fatalf("docker create: %v", err)
		}
		id := strings.TrimSpace(string(out))
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
		return id
	}
	orphan, alive := run(dead.Process.Pid), run(os.Getpid())
	n, err := SweepOrphans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Errorf("removed %d containers, want at least the orphan", n)
	}
	if exec.CommandContext(ctx, "docker", "container", "inspect", orphan).Run() == nil {
		t.Error("the container of an exited process is still there")
	}
	if err := exec.CommandContext(ctx, "docker", "container", "inspect", alive).Run(); err != nil {
		t.Errorf("the container of this live process was removed: %v", err)
	}
}

// signalChildEnv selects TestWaitForSignal in the child process of
// TestInterruptRemovesTheContainers.
const signalChildEnv = "EQUIPTRACK_CONTAINERS_TEST_SIGNAL_CHILD"

// TestInterruptRemovesTheContainers: Ctrl-C on a test run must not leave its
// PostgreSQL and Redis behind (Ryuk, which would, cannot run here).
func TestInterruptRemovesTheContainers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx := testCtx(t)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWaitForSignal$", "-test.count=1")
	cmd.Env = append(os.Environ(), signalChildEnv+"=1")
	var out strings.Builder
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	waiting := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		signalled := false
		for {
			n, err := pr.Read(buf)
			out.Write(buf[:n])
			if !signalled && strings.Contains(out.String(), "waiting-for-signal") {
				signalled = true
				close(waiting)
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-waiting:
	case <-ctx.Done():
		t.Fatalf("child never got to its test:\n%s", out.String())
	}
	pid := cmd.Process.Pid
	owned := func() string {
		o, err := exec.CommandContext(ctx, "docker", "ps", "-a", "-q", "--filter",
			fmt.Sprintf("label=%s=%d", labelOwnerPID, pid)).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		return strings.TrimSpace(string(o))
	}
	if n := len(strings.Fields(owned())); n != 2 {
		t.Fatalf("child owns %d containers before the signal, want 2 (postgres, redis)", n)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("child exit = %v, want status 130", err)
	}
	if left := owned(); left != "" {
		t.Errorf("containers left after Ctrl-C: %s\n%s", left, out.String())
	}
}

// TestWaitForSignal is the child of TestInterruptRemovesTheContainers.
func TestWaitForSignal(t *testing.T) {
	if os.Getenv(signalChildEnv) == "" {
		t.Skip("runs only as the child of TestInterruptRemovesTheContainers")
	}
	fmt.Println("waiting-for-signal")
	time.Sleep(time.Minute)
	t.Fatal("no signal came")
}

// TestNewDatabaseManyAtOnce: parallel tests each create their database at
// the same moment (CREATE DATABASE copies template1; concurrent copies must
// not collide).
func TestNewDatabaseManyAtOnce(t *testing.T) {
	t.Parallel()
	pg := PG(t)
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			conn := connect(t, ctx, pg.NewDatabase(ctx, t))
			if _, err := conn.Exec(ctx, "CREATE TABLE t (i int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ($1)", i); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
				t.Errorf("rows = %d, %v; want 1 (a database of its own)", n, err)
			}
		})
	}
}

// TestPostgresThatCannotStartFailsFastWithItsLog: a server that exits at
// start must fail StartPostgres quickly, with PostgreSQL's own complaint.
func TestPostgresThatCannotStartFailsFastWithItsLog(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx := testCtx(t)
	t0 := time.Now()
	pg, err := StartPostgresWith(ctx, Options{Image: baseimage.DataRecipe().Ref(), Settings: []string{"no_such_setting=1"}})
	if pg != nil {
		_ = pg.Terminate(context.Background())
	}
	if err == nil {
		t.Fatal("StartPostgres succeeded with an unknown setting")
	}
	if want := `unrecognized configuration parameter "no_such_setting"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %q:\n%v", want, err)
	}
	if d := time.Since(t0); d > 45*time.Second {
		t.Errorf("failing took %s, want well under the %s start timeout", d, stores.StartTimeout)
	}
}

// TestRedisStopStart: Redis comes back on the same port (empty: no persistence).
func TestRedisStopStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx := testCtx(t)
	rd, err := StartRedisWith(ctx, Options{Image: baseimage.DataRecipe().Ref(), Logf: t.Logf})
	if rd != nil {
		t.Cleanup(func() { _ = rd.Terminate(context.Background()) })
	}
	if err != nil {
		t.Fatal(err)
	}
	port, u := rd.Port, rd.NewDB(t)
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rd.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := c.Ping(short).Err(); err == nil {
		t.Error("PING answered while the container was stopped")
	}
	cancel()
	if err := rd.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if rd.Port != port || rd.DBURL(1) != u {
		t.Errorf("after restart: port %d, URL %s; want %d, %s", rd.Port, rd.DBURL(1), port, u)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after restart: %v", err)
	}
	if _, err := c.Get(ctx, "k").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET k after restart: %v, want redis.Nil (no persistence)", err)
	}
}
