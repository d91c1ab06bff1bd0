package localenv_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/release/browser"
	"github.com/equiptrack/release-kit/magefiles/internal/release/load"
	"github.com/equiptrack/release-kit/magefiles/internal/release/localenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/magefiles/pipeline/pipelinetest"
	"github.com/equiptrack/release-kit/seeddata"
)

func TestMain(m *testing.M) {
	dockerup.TestcontainersEnv()
	os.Exit(m.Run())
}

// e2e is one isolated local environment: its own name (prefix of every
// container, volume and the network), its own free ports, removed at the end.
type e2e struct {
	t        *testing.T
	name     string
	pgPort   int
	rdPort   int
	regPort  int
	entPort  int
	stores   stores.Stores
	appDir   string // this test's own copy: manifest, Dockerfile, bin/
	srcDir   string // the application's sources (read only)
	mu       sync.Mutex
	lines    []string
	replicas int
	// chromium opens the UI in every Health step, as the targets do where
	// a browser is available.
	chromium string
}

func (x *e2e) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	x.mu.Lock()
	x.lines = append(x.lines, line)
	x.mu.Unlock()
	x.t.Log(line)
}

func (x *e2e) output() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return strings.Join(x.lines, "\n")
}

// env returns the environment built from the application's manifest with
// EXAMPLE_BREAK set to breakMode ("" for a good build).
func (x *e2e) env(t *testing.T, breakMode string, edit func(*manifest.Manifest), tune func(*localenv.Options)) *localenv.Env {
	t.Helper()
	m, err := manifest.Load(x.appDir, func(k string) string {
		if k == "EXAMPLE_BREAK" {
			return breakMode
		}
		return os.Getenv(k)
	})
	if err != nil {
		t.Fatal(err)
	}
	x.isolate(m)
	if edit != nil {
		edit(m)
	}
	o := localenv.Options{
		Name: x.name, Manifest: m, Stores: x.stores, Replicas: x.replicas,
		RegistryPort: x.regPort, EntryPort: x.entPort, QuickTests: true,
		ReplicaTimeout: 60 * time.Second,
		// The budgets are the release's, but this machine's two cores are
		// shared with every other test package running at the same time:
		// the end-to-end tests check the mechanics with looser budgets, the
		// budgets themselves are checked by the pipeline's unit tests.
		Health: pipeline.HealthConfig{ReadyTimeout: 20 * time.Second, P95Budget: 3 * time.Second, PageBudget: 6 * time.Second,
			Browser: browser.UIChecker{ExecPath: x.chromium, Dir: stateDir(t, x.name), Logf: x.logf}},
		Timeouts: pipeline.Timeouts{Migrate: 2 * time.Minute},
		Logf:     x.logf,
	}
	if tune != nil {
		tune(&o)
	}
	e, err := localenv.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// isolate points the manifest's go commands at the sources while their
// output (the prebuilt binary) lands in this test's own copy of the
// application directory: the break builds must not rewrite the binary that
// a concurrent local:up builds its images from.
func (x *e2e) isolate(m *manifest.Manifest) {
	fix := func(argv []string) []string {
		if len(argv) == 0 || argv[0] != "go" {
			return argv
		}
		out := []string{"go", "-C", x.srcDir}
		for i := 1; i < len(argv); i++ {
			out = append(out, argv[i])
			if argv[i] == "-o" && i+1 < len(argv) && !filepath.IsAbs(argv[i+1]) {
				out = append(out, filepath.Join(x.appDir, argv[i+1]))
				i++
			}
		}
		return out
	}
	for i := range m.Prebuild {
		m.Prebuild[i].Command = fix(m.Prebuild[i].Command)
	}
	m.Test.Command, m.Test.Quick = fix(m.Test.Command), fix(m.Test.Quick)
}

// copyApp copies what the manifest and the images need from the sources.
func copyApp(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{manifest.FileName, "Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// argvShim puts a `docker` first on PATH that records every argv (one line
// each) in the returned file before running the real one.
func argvShim(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("docker: %v", err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "argv.log")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %q\nexec %q \"$@\"\n", log, real)
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// serving returns service → version as the services report it through the
// entry (their /healthz bodies), asking each several times so that every
// replica behind the alias is likely seen; a mix is reported as "a+b".
func (x *e2e) serving(t *testing.T, m *manifest.Manifest) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range m.Services {
		path := strings.TrimSuffix(s.PublicHealthPath, "readyz") + "healthz"
		seen := map[string]bool{}
		for range 6 {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", x.entPort, path))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var h struct {
				Version, Service string
			}
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || h.Service != s.Name {
				t.Fatalf("%s: status %d, service %q, %v", path, resp.StatusCode, h.Service, err)
			}
			seen[h.Version] = true
		}
		var vs []string
		for v := range seen {
			vs = append(vs, v)
		}
		out[s.Name] = strings.Join(vs, "+")
	}
	return out
}

func allOn(m *manifest.Manifest, v string) map[string]string {
	out := map[string]string{}
	for _, n := range m.Names() {
		out[n] = v
	}
	return out
}

func versionsOf(states pipeline.States) map[string]string {
	out := map[string]string{}
	for k, s := range states {
		out[k] = s.Revision.Version
	}
	return out
}

func current(t *testing.T, e *localenv.Env) pipeline.States {
	t.Helper()
	revs, err := e.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return revs
}

func wantErrPrefix(t *testing.T, err error, prefix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded; want an error starting %q", prefix)
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("error:\n got %q\nwant prefix %q", err, prefix)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func summaryItems(t *testing.T, port int) (int, bool) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/reporting/summary", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var s struct {
		Summary struct{ Items int }
		Cached  bool
	}
	if err := json.Unmarshal(b, &s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("summary: %d %s %v", resp.StatusCode, b, err)
	}
	return s.Summary.Items, s.Cached
}

func TestLocalReleaseEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end on Docker: not in -short")
	}
	// A bound against a hang, not a budget: warm and alone the scenarios
	// take 6 minutes, cold beside two busy loops and other packages 10 to 16.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("docker: %v", err)
	}
	x := &e2e{t: t, name: fmt.Sprintf("ek-e2e-%d", os.Getpid()), replicas: 2}
	// Installed before the tests by test:tools; missing is a failure.
	var err error
	if x.chromium, err = browser.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	for _, p := range []*int{&x.pgPort, &x.rdPort, &x.regPort, &x.entPort} {
		var err error
		if *p, err = localenv.FreePort(); err != nil {
			t.Fatal(err)
		}
	}
	if x.srcDir, err = manifest.AppDir(ctx, os.Getenv); err != nil {
		t.Fatal(err)
	}
	x.appDir = copyApp(t, x.srcDir)
	argvLog := argvShim(t)
	t.Cleanup(func() {
		if err := localenv.Down(context.Background(), x.name, x.regPort, false, t.Logf); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	start := time.Now()
	boot, err := localenv.Start(ctx, localenv.Options{
		Name: x.name, Manifest: &manifest.Manifest{Application: "x"}, RegistryPort: x.regPort, EntryPort: x.entPort,
		PostgresPort: x.pgPort, RedisPort: x.rdPort, Logf: x.logf,
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	x.stores = boot.Stores()
	t.Logf("environment %s up in %s", x.name, time.Since(start).Round(time.Second))

	good := x.env(t, "", nil, nil)
	m := good.Pipeline()
	man := mustManifest(t, x)
	const A, B = "v1.0.0", "v1.1.0"

	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow() // later scenarios build on this one's end state
		}
	}

	step("failing test step builds nothing", func(t *testing.T) {
		e := x.env(t, "", func(m *manifest.Manifest) {
			m.Test.Quick = []string{"sh", "-c", "echo '--- FAIL: TestInventory (0.01s)'; exit 1"}
		}, nil)
		_, err := e.Pipeline().Release(ctx, A, pipeline.ReleaseOptions{Seed: true})
		wantErrPrefix(t, err, "release failed at test: sh -c echo '--- FAIL: TestInventory (0.01s)'; exit 1: exit status 1: --- FAIL: TestInventory (0.01s)")
		names := append(man.Names(), pipeline.SeederImage)
		arts, err := e.Resolve(ctx, A, names)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if a := arts[n]; a.Present() {
				t.Errorf("%s:%s in the registry: %+v", n, A, a)
			}
			if _, err := e.Built(ctx, A, []string{n}); err == nil {
				t.Errorf("%s:%s was built", n, A)
			}
		}
	})

	step("A, then B failed by the environment, re-run converges on B: healthy, fingerprint right", func(t *testing.T) {
		rep, err := m.Release(ctx, A, pipeline.ReleaseOptions{Seed: true})
		if err != nil {
			t.Fatalf("release %s: %v", A, err)
		}
		t.Logf("release %s: %s", A, rep.Summary())
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("served after %s: %v", A, got)
		}
		onA := current(t, good)

		// B's releases run no application tests: A's ran them, and here
		// they would only cost CPU (a minute of this package's run on a
		// loaded machine), as in the scenarios below.
		mB := x.env(t, "", func(m *manifest.Manifest) { m.Test.Quick = []string{"true"} }, nil).Pipeline()
		// The database is unreachable while B migrates: the release stops
		// there and every service stays on A.
		if _, err := dockerCLI(ctx, "stop", x.stores.PostgresContainer); err != nil {
			t.Fatal(err)
		}
		_, err = mB.Release(ctx, B, pipeline.ReleaseOptions{Seed: true})
		wantErrPrefix(t, err, "release failed at migrate: the migration task exited ")
		if got := current(t, good); !reflect.DeepEqual(got, onA) {
			t.Errorf("revisions changed while the database was down:\n before %v\n after  %v", onA, got)
		}
		// The cause is fixed (the database is back); the same command again
		// converges, reusing B's images.
		if _, err := stores.EnsureLocalStoresWith(ctx, stores.LocalOptions{Name: x.name, PostgresPort: x.pgPort, RedisPort: x.rdPort}, x.logf); err != nil {
			t.Fatal(err)
		}
		rep, err = mB.Release(ctx, B, pipeline.ReleaseOptions{Seed: true})
		if err != nil {
			t.Fatalf("re-run of %s: %v", B, err)
		}
		t.Logf("release %s: %s", B, rep.Summary())
		if !rep.Reused || !rep.Steps[1].Skipped || !rep.Steps[2].Skipped {
			t.Errorf("the re-run rebuilt %s: %s", B, rep.Summary())
		}
		if got := versionsOf(current(t, good)); !reflect.DeepEqual(got, allOn(man, B)) {
			t.Errorf("labels after %s: %v", B, got)
		}
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, B)) {
			t.Errorf("served after %s: %v", B, got)
		}
		for n, st := range current(t, good) {
			if st.Running != 2 || st.Other != 0 {
				t.Errorf("%s runs %d replicas (%d on other revisions), want 2", n, st.Running, st.Other)
			}
		}
		want := "    fingerprint: " + seeddata.ExpectedFingerprint()
		if c := strings.Count(x.output(), want); c != 2 {
			t.Errorf("%q printed %d times, want 2 (one per seeded release)", want, c)
		}
		if err := m.Health(ctx); err != nil {
			t.Error(err)
		}
		rec, err := good.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ui := rec.Last.UI; ui == nil || ui.Ready <= 0 || ui.Load <= 0 || ui.Screenshot != filepath.Join(stateDir(t, x.name), browser.ScreenshotName) {
			t.Errorf("recorded UI check %+v: want the browser's timing and the screenshot beside the record", ui)
		}
	})

	step("a brief demo load over the manifest's mix: no errors", func(t *testing.T) {
		var mix []load.Request
		for _, r := range man.LoadMix() {
			mix = append(mix, load.Request{Name: r.Name, Path: r.Path, Weight: r.Weight, API: r.API})
		}
		// The budget is loose for a shared machine (see env above); what
		// this proves is that every call of the mix answers.
		rep, err := load.Run(ctx, load.Options{BaseURL: good.URL(), Mix: mix, Users: 4, Duration: 3 * time.Second, APIBudget: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Log("\n" + b.String())
		if !rep.Pass || rep.Overall.Errors != 0 || len(rep.Endpoints) != len(mix) {
			t.Errorf("load: %s", rep.Verdict)
		}
	})

	step("cache invalidation is real", func(t *testing.T) {
		before, _ := summaryItems(t, x.entPort)
		if _, cached := summaryItems(t, x.entPort); !cached {
			t.Fatal("the second summary read was not served from the cache")
		}
		conn, err := pgx.Connect(ctx, x.stores.PostgresURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// A row a user added: the seed never touches it.
		if _, err := conn.Exec(ctx, `INSERT INTO items (asset_tag, item_type_id, current_location_id)
			SELECT 'E2E-USER-ADDED-1', (SELECT min(id) FROM item_types), (SELECT min(id) FROM locations)`); err != nil {
			t.Fatal(err)
		}
		if n, cached := summaryItems(t, x.entPort); n != before || !cached {
			t.Fatalf("after the insert: %d items (cached %v), want the stale %d from the cache", n, cached, before)
		}
		if err := m.Seed(ctx, B); err != nil {
			t.Fatal(err)
		}
		if n, _ := summaryItems(t, x.entPort); n != before+1 {
			t.Fatalf("after the seed: %d items, want %d", n, before+1)
		}
	})

	step("a rebuilt immutable version is refused at push", func(t *testing.T) {
		// Rebuilding the very same sources gives the very same image (the
		// builder's cache), which Push accepts as a no-op; other content
		// under B's tag is what immutability refuses.
		if err := m.Push(ctx, B); err != nil {
			t.Fatalf("pushing B's own images again: %v", err)
		}
		if _, err := x.env(t, "readyz", nil, nil).Build(ctx, B, []string{"ui"}); err != nil {
			t.Fatal(err)
		}
		err := m.Push(ctx, B)
		if !errors.Is(err, pipeline.ErrImmutableTag) {
			t.Fatalf("got %v, want ErrImmutableTag", err)
		}
		wantErrPrefix(t, err, "push failed: push ui:"+B+": ")
		if err := m.Build(ctx, B); err == nil || !strings.Contains(err.Error(), "already in the registry") {
			t.Errorf("build of an existing version: %v", err)
		}
	})

	step("rollback A after B", func(t *testing.T) {
		if _, err := m.Rollback(ctx, A); err != nil {
			t.Fatal(err)
		}
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("served after rollback: %v", got)
		}
		if got := versionsOf(current(t, good)); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("labels after rollback: %v", got)
		}
	})

	step("migration exit 1 leaves every service untouched; a second release meanwhile is refused", func(t *testing.T) {
		before := current(t, good)
		// The application's tests passed in the releases above; here they
		// would only cost CPU (as in the two scenarios below).
		e := x.env(t, "migrate", func(m *manifest.Manifest) { m.Test.Quick = []string{"true"} }, nil)
		lock := filepath.Join(stateDir(t, x.name), "release.lock")
		done := make(chan error, 1)
		go func() {
			_, err := e.Pipeline().Release(ctx, "v1.2.0", pipeline.ReleaseOptions{})
			done <- err
		}()
		// While the first release runs (its build takes seconds), a second
		// one of the same environment is refused at once.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if b, _ := os.ReadFile(lock); len(b) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the first release never took the lock")
			}
			time.Sleep(20 * time.Millisecond)
		}
		_, err := x.env(t, "", nil, nil).Pipeline().Release(ctx, B, pipeline.ReleaseOptions{})
		if !errors.Is(err, pipeline.ErrLocked) {
			t.Errorf("second release: got %v, want ErrLocked", err)
		}
		wantErrPrefix(t, err, "release of "+x.name+" refused: held by pid ")

		wantErrPrefix(t, <-done, "release failed at migrate: the migration task exited 1 (container migrate; stop EssentialContainerExited")
		if after := current(t, good); !reflect.DeepEqual(after, before) {
			t.Errorf("revisions changed:\n before %v\n after  %v", before, after)
		}
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("served: %v", got)
		}
	})

	step("health failure puts every service back and fails", func(t *testing.T) {
		before := current(t, good)
		e := x.env(t, "readyz", func(m *manifest.Manifest) { m.Test.Quick = []string{"true"} }, nil)
		rep, err := e.Pipeline().Release(ctx, "v1.3.0", pipeline.ReleaseOptions{Seed: true})
		wantErrPrefix(t, err, "release failed at health: not ready through http://127.0.0.1:")
		if !rep.RolledBack {
			t.Error("not rolled back")
		}
		if after := current(t, good); !reflect.DeepEqual(after, before) {
			t.Errorf("revisions not restored:\n before %v\n after  %v", before, after)
		}
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("served: %v", got)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("unhealthy after the restore: %v", err)
		}
	})
	step("a UI whose JavaScript throws fails health in the browser and is rolled back", func(t *testing.T) {
		before := current(t, good)
		shot := filepath.Join(stateDir(t, x.name), browser.ScreenshotName)
		// Only the browser can see this break: every service is ready and
		// answers its API; the page's script throws. The application's
		// tests are not what this is about (they take half a minute).
		e := x.env(t, "js", func(m *manifest.Manifest) { m.Test.Quick = []string{"true"} }, nil)
		rep, err := e.Pipeline().Release(ctx, "v1.4.0", pipeline.ReleaseOptions{})
		wantErrPrefix(t, err, "release failed at health: UI page / in the browser: JavaScript error on the page: Uncaught Error: built to fail in the browser (breakMode=js)")
		if !strings.HasSuffix(err.Error(), "; screenshot "+shot+")") {
			t.Errorf("the error does not say where the screenshot is: %v", err)
		}
		if !rep.RolledBack {
			t.Error("not rolled back")
		}
		if after := current(t, good); !reflect.DeepEqual(after, before) {
			t.Errorf("revisions not restored:\n before %v\n after  %v", before, after)
		}
		if got := x.serving(t, man); !reflect.DeepEqual(got, allOn(man, A)) {
			t.Errorf("served: %v", got)
		}
		rec, err := good.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Version != A || rec.Last.Version != "v1.4.0" || rec.Last.FailedStep != pipeline.StepHealth || !rec.Last.RolledBack ||
			rec.Last.UI == nil || rec.Last.UI.Screenshot != shot {
			t.Errorf("record: version %s, last %+v; want %s kept, v1.4.0 failed at health, rolled back, screenshot %s", rec.Version, rec.Last, A, shot)
		}
		if b, err := os.ReadFile(shot); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("screenshot %s: %v (%d bytes)", shot, err, len(b))
		}
		// The restored version's page loads in the browser again.
		if err := m.Health(ctx); err != nil {
			t.Errorf("unhealthy after the restore: %v", err)
		}
	})
	step("no password in any docker command line", func(t *testing.T) {
		noSecretInArgv(t, x, argvLog)
	})

	step("rollback previous", func(t *testing.T) {
		if _, err := m.Rollback(ctx, pipeline.Previous); err != nil {
			t.Fatal(err)
		}
		if got := versionsOf(current(t, good)); !reflect.DeepEqual(got, allOn(man, B)) {
			t.Errorf("after rollback previous (of the rollback to %s): %v", A, got)
		}
	})

	// Last: the contract suite rolls gateway to its own revisions and stops it.
	step("the local backend passes the contract", func(t *testing.T) {
		n := 0
		pipelinetest.Run(t, pipelinetest.Harness{
			Backend: good.Backend(),
			Service: "gateway",
			Version: func(*testing.T) string { n++; return fmt.Sprintf("v9.%d.%d", os.Getpid()%1000, n) },
			// Two contents: A's and B's gateway images, tagged as the new version.
			Image: func(t *testing.T, v string, variant int) pipeline.Image {
				from := good.ImageRef("gateway", []string{B, A}[variant])
				ref := good.ImageRef("gateway", v)
				if out, err := dockerCLI(ctx, "tag", from, ref); err != nil {
					t.Fatalf("docker tag: %v: %s", err, out)
				}
				return pipeline.Image{Service: "gateway", Version: v, Ref: ref}
			},
			OKCommand: []string{"version"}, FailCommand: []string{"no-such-command"},
			Timeout: 3 * time.Minute,
		})
	})
	t.Logf("end-to-end scenarios took %s", time.Since(start).Round(time.Second))
}

// noSecretInArgv fails when a password of the environment appears in any
// docker command line the kit ran (every local user reads /proc/*/cmdline).
func noSecretInArgv(t *testing.T, x *e2e, argvLog string) {
	t.Helper()
	b, err := os.ReadFile(argvLog)
	if err != nil || len(b) == 0 {
		t.Fatalf("the docker shim recorded nothing (%v): the check would prove nothing", err)
	}
	secrets := map[string]string{}
	for what, raw := range map[string]string{"PostgreSQL": x.stores.NetworkPostgresURL, "Redis": x.stores.NetworkRedisURL} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets[what+" password"] = pw
		}
	}
	pw, err := os.ReadFile(filepath.Join(stateDir(t, x.name), "admin-password"))
	if err != nil {
		t.Fatalf("admin password: %v", err)
	}
	secrets["admin password"] = strings.TrimSpace(string(pw))
	if len(secrets) != 3 {
		t.Fatalf("found %d of the 3 secrets to look for", len(secrets))
	}
	lines := strings.Split(string(b), "\n")
	runs := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "run ") {
			runs++
		}
		for what, v := range secrets {
			if strings.Contains(l, v) {
				t.Errorf("the %s is in a docker command line: %.60s…", what, l)
			}
		}
	}
	if runs < 5 {
		t.Errorf("only %d docker runs recorded: the release did not go through the shim", runs)
	}
	t.Logf("%d docker command lines checked, %d of them docker run", len(lines), runs)
}

func mustManifest(t *testing.T, x *e2e) *manifest.Manifest {
	m, err := manifest.Load(x.appDir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func stateDir(t *testing.T, name string) string {
	d, err := stores.StateDir(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
