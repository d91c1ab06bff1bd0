package stores

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
)

func TestLocalDefaultsAreTheDocumentedNames(t *testing.T) {
	o, err := LocalOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := []string{o.network(), o.postgresContainer(), o.redisContainer(), o.postgresVolume()}
	want := []string{"equiptrack-local", "equiptrack-local-postgres", "equiptrack-local-redis", "equiptrack-local-pgdata"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, got[i], want[i])
		}
	}
	if o.PostgresPort != 55432 || o.RedisPort != 56379 {
		t.Errorf("default ports = %d, %d; want 55432, 56379", o.PostgresPort, o.RedisPort)
	}
}

func TestLocalOptionsRejectBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		o    LocalOptions
		want string
	}{
		{"negative port", nil, LocalOptions{PostgresPort: -1}, `local stores: port -1: want 1-65535`},
		{"port out of range", nil, LocalOptions{RedisPort: 70000}, `local stores: port 70000: want 1-65535`},
		{"same ports", nil, LocalOptions{PostgresPort: 6000, RedisPort: 6000}, "cannot share host port 6000"},
		{"bad name", nil, LocalOptions{Name: "Bad Name"}, `local stores: local environment name "Bad Name": want lowercase letters, digits and dashes`},
		{"name ending in a dash", nil, LocalOptions{Name: "dev-"}, `local environment name "dev-"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := tc.o.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// The library reads no environment: the targets pass the ports.
func TestEnvDoesNotChangeLocalPorts(t *testing.T) {
	t.Setenv(LocalPostgresPortEnv, "15432")
	t.Setenv(LocalRedisPortEnv, "16379")
	o, err := LocalOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.PostgresPort != 55432 || o.RedisPort != 56379 {
		t.Errorf("ports = %d, %d; want 55432, 56379", o.PostgresPort, o.RedisPort)
	}
}

func TestAdminPasswordIsStoredOnceWithMode0600(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	a, path, err := AdminPassword("equiptrack-test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(os.Getenv("EQUIPTRACK_KIT_CACHE"), "local", "equiptrack-test-admin", "admin-password"); path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
	if len(a) != 32 {
		t.Errorf("password of %d characters, want 32", len(a))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600", path, fi.Mode().Perm(), err)
	}
	b, _, err := AdminPassword("equiptrack-test-admin")
	if err != nil || b != a {
		t.Errorf("second call gave another password (or %v)", err)
	}
	if _, _, err := AdminPassword("Bad Name"); err == nil || err.Error() != `local environment name "Bad Name": want lowercase letters, digits and dashes` {
		t.Errorf("bad name: %v", err)
	}
}

func TestSecretIsMadeOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	a, err := secret(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 {
		t.Errorf("secret %d characters, want 32", len(a))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	b, err := secret(path)
	if err != nil || b != a {
		t.Errorf("second read = %q, %v; want the first value", b, err)
	}
}

func containerID(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("docker", "container", "inspect", "--format", "{{.Id}}", name).Output()
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// TestEnsureLocalStores runs the local environment's stores under a throwaway
// name and free ports, so a developer's real local stores are never touched.
func TestEnsureLocalStores(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	// The data image comes provisioned (go run magefile.go test:tools).
	ctx, cancel := context.WithTimeout(cachedir.Provisioned(context.Background()), 5*time.Minute)
	defer cancel()
	pgPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	redisPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	o := LocalOptions{Name: "equiptrack-test-" + RandomHex(3), PostgresPort: pgPort, RedisPort: redisPort}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := RemoveLocalStoresWith(ctx, o, false); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, what := range [][]string{
			{"container", "inspect", o.postgresContainer()}, {"container", "inspect", o.redisContainer()},
			{"network", "inspect", o.network()}, {"volume", "inspect", o.postgresVolume()},
		} {
			if exec.Command("docker", what...).Run() == nil {
				t.Errorf("RemoveLocalStores left %s %s behind", what[0], what[2])
			}
		}
	})

	var mu sync.Mutex
	var logs strings.Builder
	logf := func(f string, a ...any) {
		t.Logf(f, a...)
		mu.Lock()
		logs.WriteString(fmt.Sprintf(f, a...) + "\n")
		mu.Unlock()
	}

	// Two callers at once (local:seed in two shells): the lock makes one
	// create and the other reuse; without it one `docker run --name` fails.
	t0 := time.Now()
	var first [2]Stores
	var firstErr [2]error
	var wg sync.WaitGroup
	for i := range first {
		wg.Go(func() { first[i], firstErr[i] = EnsureLocalStoresWith(ctx, o, logf) })
	}
	wg.Wait()
	if err := errors.Join(firstErr[:]...); err != nil {
		t.Fatalf("two first calls at once: %v", err)
	}
	s1 := first[0]
	if first[1] != s1 {
		t.Errorf("two first calls at once returned different stores")
	}
	if n := strings.Count(logs.String(), "postgres created"); n != 1 {
		t.Errorf("postgres created %d times by two concurrent calls, want 1; log:\n%s", n, logs.String())
	}
	t.Logf("first EnsureLocalStores (two at once): %s", time.Since(t0))
	pgID, redisID := containerID(t, o.postgresContainer()), containerID(t, o.redisContainer())

	// The password files exist, private.
	dir, err := cachedir.Dir("local", o.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"postgres-password", "redis-password"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want it with mode 0600", f, err, st.Mode().Perm())
		}
	}

	// Reachable from the host over TLS, in the application database.
	conn, err := pgx.Connect(ctx, s1.PostgresURL)
	if err != nil {
		t.Fatalf("connect %s: %v", Redact(s1.PostgresURL), err)
	}
	var db string
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT current_database(), (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())").Scan(&db, &ssl); err != nil {
		t.Fatal(err)
	}
	if db != "equiptrack" || !ssl {
		t.Errorf("current_database, ssl = %q, %v; want equiptrack, true", db, ssl)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	opt, err := redis.ParseURL(s1.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("redis SET with the password: %v", err)
	}
	rc.Close()
	opt.Password = ""
	rc = redis.NewClient(opt)
	if err := rc.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("redis PING without the password: %v, want NOAUTH", err)
	}
	rc.Close()

	// Reachable from another container on the network, by container name.
	img := baseimage.DataRecipe().Ref()
	for _, cmd := range [][]string{
		{"/usr/lib/postgresql/15/bin/psql", s1.NetworkPostgresURL, "-tAc", "SELECT v FROM kept"},
		{"/usr/bin/redis-cli", "-u", s1.NetworkRedisURL, "--no-auth-warning", "GET", "k"},
	} {
		args := append([]string{"run", "--rm", "--network", s1.Network, img}, cmd...)
		out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		got := strings.TrimSpace(string(out))
		if err != nil || (got != "yes" && got != "v") {
			t.Errorf("%s from the network: %q, %v", cmd[0], got, err)
		}
	}

	// Twice: same URLs, same containers.
	logs.Reset()
	t1 := time.Now()
	s2, err := EnsureLocalStoresWith(ctx, o, logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second EnsureLocalStores: %s", time.Since(t1))
	if s2 != s1 {
		t.Errorf("second call returned other stores:\n%+v\nwant\n%+v", redactStores(s2), redactStores(s1))
	}
	if containerID(t, o.postgresContainer()) != pgID || containerID(t, o.redisContainer()) != redisID {
		t.Error("second call replaced a running container")
	}
	if !strings.Contains(logs.String(), "postgres reused") || !strings.Contains(logs.String(), "redis reused") {
		t.Errorf("second call did not report both containers reused; log:\n%s", logs.String())
	}

	// A stopped container is started again, with its data.
	if out, err := exec.CommandContext(ctx, "docker", "stop", o.postgresContainer()).CombinedOutput(); err != nil {
		t.Fatalf("docker stop: %v %s", err, out)
	}
	logs.Reset()
	s3, err := EnsureLocalStoresWith(ctx, o, logf)
	if err != nil {
		t.Fatal(err)
	}
	if s3 != s1 || containerID(t, o.postgresContainer()) != pgID {
		t.Error("starting a stopped container changed the stores or the container")
	}
	if !strings.Contains(logs.String(), "postgres started") {
		t.Errorf("third call did not report postgres started; log:\n%s", logs.String())
	}
	conn, err = pgx.Connect(ctx, s3.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "yes" {
		t.Errorf("after restart: %q, %v; want yes", v, err)
	}
	conn.Close(ctx)

	// A container made from another image is recreated; the volume keeps the data.
	other := "equiptrack-kit/data:recreate-test-" + RandomHex(3)
	if out, err := exec.CommandContext(ctx, "docker", "tag", img, other).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v %s", err, out)
	}
	defer exec.Command("docker", "rmi", other).Run()
	if _, err := exec.CommandContext(ctx, "docker", "rm", "-f", o.postgresContainer()).CombinedOutput(); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureContainer(ctx, logf, localContainer{
		name: o.postgresContainer(), network: o.network(), image: other, port: pgPort, target: 5432,
		config: "stale", env: map[string]string{"POSTGRES_PASSWORD": "irrelevant"},
		extra: []string{"-v", o.postgresVolume() + ":/var/lib/postgresql/data"},
		cmd:   []string{baseimage.EntryPath, "postgres"},
	}); err != nil {
		t.Fatal(err)
	}
	staleID := containerID(t, o.postgresContainer())
	s4, err := EnsureLocalStoresWith(ctx, o, logf)
	if err != nil {
		t.Fatal(err)
	}
	if containerID(t, o.postgresContainer()) == staleID {
		t.Error("a container from another image was reused, want it recreated")
	}
	conn, err = pgx.Connect(ctx, s4.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "yes" {
		t.Errorf("after recreation: %q, %v; want the volume's data", v, err)
	}
	conn.Close(ctx)

	// Stopped containers whose network was removed meanwhile are recreated.
	for _, args := range [][]string{
		{"stop", o.postgresContainer(), o.redisContainer()}, {"network", "rm", o.network()},
	} {
		if out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	s5, err := EnsureLocalStoresWith(ctx, o, logf)
	if err != nil {
		t.Fatalf("after the network was removed: %v", err)
	}
	conn, err = pgx.Connect(ctx, s5.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "yes" {
		t.Errorf("after the network was removed: %q, %v; want the volume's data", v, err)
	}
}

func redactStores(s Stores) Stores {
	s.PostgresURL, s.PostgresAdminURL, s.NetworkPostgresURL = Redact(s.PostgresURL), Redact(s.PostgresAdminURL), Redact(s.NetworkPostgresURL)
	s.RedisURL, s.NetworkRedisURL = Redact(s.RedisURL), Redact(s.NetworkRedisURL)
	return s
}
