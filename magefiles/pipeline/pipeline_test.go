package pipeline

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fp = "abababababababababababababababababababababababababababababababab"

// releaseA leaves the world running v1.0.0 everywhere (and clears the log).
func releaseA(t *testing.T, w *world) {
	t.Helper()
	if _, err := newPipeline(w).Release(context.Background(), "v1.0.0", ReleaseOptions{}); err != nil {
		t.Fatalf("release A: %v", err)
	}
	w.events = nil
	w.resolves = 0
	w.rolls = 0
}

func versions(w *world) map[string]string {
	out := map[string]string{}
	for k, v := range w.running {
		out[k] = v.Revision.Version
	}
	return out
}

func allOn(v string) map[string]string {
	return map[string]string{"gateway": v, "inventory": v, "ui": v}
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// upTo2 is the event log of a v2.0.0 release with seed, up to the roll.
var upTo2 = []string{"test", "build v2.0.0 gateway,inventory,ui,seeder",
	"push gateway:v2.0.0", "push inventory:v2.0.0", "push ui:v2.0.0", "push seeder:v2.0.0",
	"prepare gateway,inventory,seeder,ui v2.0.0",
	"task migrate td/inventory:2 /app migrate",
	"roll gateway v2.0.0, inventory v2.0.0, ui v2.0.0"}

func with(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

const restore1 = "roll gateway v1.0.0, inventory v1.0.0, ui v1.0.0"

func TestReleaseRunsTheStepsInOrder(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := newPipeline(w)
	before := time.Now().UTC()
	rep, err := p.Release(context.Background(), "v1.1.0", ReleaseOptions{Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{
		"test",
		"build v1.1.0 gateway,inventory,ui,seeder",
		"push gateway:v1.1.0", "push inventory:v1.1.0", "push ui:v1.1.0", "push seeder:v1.1.0",
		"prepare gateway,inventory,seeder,ui v1.1.0",
		"task migrate td/inventory:2 /app migrate",
		"roll gateway v1.1.0, inventory v1.1.0, ui v1.1.0",
		"task seed td/seeder:1 ",
	})
	eq(t, "registry calls (one batched Resolve)", w.resolves, 1)
	eq(t, "running", versions(w), allOn("v1.1.0"))
	var steps []string
	for _, s := range rep.Steps {
		steps = append(steps, s.Step)
	}
	eq(t, "report steps", steps, []string{"test", "build", "push", "prepare", "migrate", "deploy", "health", "seed"})
	eq(t, "record version", w.record.Version, "v1.1.0")
	eq(t, "record previous version", w.record.PreviousVersion, "v1.0.0")
	eq(t, "record previous", w.record.Previous["ui"], Revision{Service: "ui", Version: "v1.0.0", ID: "td/ui:1", Replicas: 1})
	eq(t, "record revision", w.record.Revisions["ui"], Revision{Service: "ui", Version: "v1.1.0", ID: "td/ui:2", Replicas: 1})
	eq(t, "last attempt", w.record.Last.Result, "succeeded")
	if st := w.record.Last.Started; st.Before(before) || st.After(w.record.Last.Finished) {
		t.Errorf("attempt started %s, want between %s and its end %s", st, before, w.record.Last.Finished)
	}
	if w.lease != nil {
		t.Errorf("lease still held: %v", *w.lease)
	}
}

// Each failure point: what ran, where the services are, the one-line error.
func TestReleaseFailures(t *testing.T) {
	cases := []struct {
		name       string
		inject     func(w *world)
		wantErr    string
		wantEvents []string
		wantOn     map[string]string
		restore    string
	}{
		{
			name:       "test",
			inject:     func(w *world) { w.testErr = errors.New("go test exited 1") },
			wantErr:    "release failed at test: go test exited 1",
			wantEvents: []string{"test"},
			wantOn:     allOn("v1.0.0"),
		},
		{
			name:       "build",
			inject:     func(w *world) { w.buildErr = errBoom },
			wantErr:    "release failed at build: boom",
			wantEvents: []string{"test", "build v2.0.0 gateway,inventory,ui,seeder"},
			wantOn:     allOn("v1.0.0"),
		},
		{
			name:       "push",
			inject:     func(w *world) { w.pushErr = errBoom },
			wantErr:    "release failed at push: push gateway:v2.0.0: boom",
			wantEvents: []string{"test", "build v2.0.0 gateway,inventory,ui,seeder", "push gateway:v2.0.0"},
			wantOn:     allOn("v1.0.0"),
		},
		{
			name:       "migrate exits 1",
			inject:     func(w *world) { w.migrateExit = 1 },
			wantErr:    "release failed at migrate: the migration task exited 1 (container migrate; stop EssentialContainerExited: Essential container in task exited); every service is left untouched",
			wantEvents: upTo2[:len(upTo2)-1],
			wantOn:     allOn("v1.0.0"),
		},
		{
			name:       "deploy rollout fails half way",
			inject:     func(w *world) { w.rollFailAfter = 2 },
			wantErr:    "release failed at deploy: service ui: rollout FAILED (circuit breaker)",
			wantEvents: with(upTo2, restore1),
			wantOn:     allOn("v1.0.0"),
			restore:    RestoreComplete,
		},
		{
			name:       "the backend returns nil without rolling ui out",
			inject:     func(w *world) { w.rollIgnores["ui"] = true },
			wantErr:    "release failed at deploy: the services do not run what was rolled out: ui runs v1.0.0 ×1, want v2.0.0 ×1",
			wantEvents: with(upTo2, restore1),
			wantOn:     allOn("v1.0.0"),
			restore:    RestoreComplete,
		},
		{
			name:       "health: readiness 503",
			inject:     func(w *world) { w.badVersions["v2.0.0"] = 503 },
			wantErr:    "release failed at health: not ready through http://entry.test after",
			wantEvents: with(upTo2, restore1),
			wantOn:     allOn("v1.0.0"),
			restore:    RestoreComplete,
		},
		{
			name:       "seed exits 1: no rollback",
			inject:     func(w *world) { w.seedExit = 1 },
			wantErr:    "release failed at seed: the seeder task exited 1 (container seed; stop EssentialContainerExited: Essential container in task exited); the services stay on the new version — fix the cause and re-run the seed",
			wantEvents: with(upTo2, "task seed td/seeder:1 "),
			wantOn:     allOn("v2.0.0"),
		},
		{
			name:       "seed fingerprint differs: no rollback",
			inject:     func(w *world) { w.seedLogs = []string{"fingerprint: " + strings.Repeat("cd", 32)} },
			wantErr:    "release failed at seed: fingerprint " + strings.Repeat("cd", 32) + ", expected " + fp,
			wantEvents: with(upTo2, "task seed td/seeder:1 "),
			wantOn:     allOn("v2.0.0"),
		},
		{
			name:       "seed prints no fingerprint",
			inject:     func(w *world) { w.seedLogs = []string{"seeded"} },
			wantErr:    "release failed at seed: the seeder printed no fingerprint line",
			wantEvents: with(upTo2, "task seed td/seeder:1 "),
			wantOn:     allOn("v2.0.0"),
		},
		{
			name: "immutable tag pushed meanwhile by someone else",
			inject: func(w *world) {
				w.concurrentPush = map[string]string{"inventory:v2.0.0": "sha256:someone-else"}
			},
			wantErr: "release failed at push: push inventory:v2.0.0: inventory:v2.0.0 holds sha256:someone-else, not sha256:inventory-v2.0.0-2: immutable tag",
			wantEvents: []string{"test", "build v2.0.0 gateway,inventory,ui,seeder",
				"push gateway:v2.0.0", "push inventory:v2.0.0"},
			wantOn: allOn("v1.0.0"),
		},
		{
			name:    "lock held",
			inject:  func(w *world) { w.holdLease("pid 42 on laptop", false) },
			wantErr: "release of test refused: held by pid 42 on laptop since 2026-01-02T02:04:05Z (lease until 2026-01-02T03:05:05Z) (fake): another release of this environment is running",
			wantOn:  allOn("v1.0.0"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			releaseA(t, w)
			c.inject(w)
			rep, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{Seed: true})
			if err == nil {
				t.Fatal("release succeeded")
			}
			if !strings.HasPrefix(err.Error(), c.wantErr) {
				t.Errorf("error:\n got %q\nwant prefix %q", err, c.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			eq(t, "events", w.Events(), c.wantEvents)
			eq(t, "running", versions(w), c.wantOn)
			eq(t, "rolled back", rep.RolledBack, c.restore == RestoreComplete)
			eq(t, "restore", rep.Restore, c.restore)
			if c.name == "lock held" {
				if !errors.Is(err, ErrLocked) || errors.Is(err, ErrStaleLease) {
					t.Errorf("error does not wrap ErrLocked alone")
				}
				return
			}
			if w.lease != nil {
				t.Errorf("lease still held: %v", *w.lease)
			}
			eq(t, "record version (unchanged unless deployed)", w.record.Version, c.wantOn["ui"])
			eq(t, "last attempt", w.record.Last.Result, "failed")
			eq(t, "last attempt rolled back", w.record.Last.RolledBack, c.restore == RestoreComplete)
			eq(t, "last attempt restore", w.record.Last.Restore, c.restore)
			if w.record.Last.Started.IsZero() {
				t.Errorf("attempt has no start time")
			}
			if se, ok := asStepError(err); !ok || !strings.HasPrefix(c.wantErr, "release failed at "+se.Step+":") {
				t.Errorf("error does not name its step: %v", err)
			}
		})
	}
}

func TestReleaseAddingAServiceThatFailsStopsIt(t *testing.T) {
	w := newWorld()
	p := newPipeline(w)
	p.Services = []string{"gateway", "inventory"}
	p.HealthCheck.Ready = p.HealthCheck.Ready[:2]
	if _, err := p.Release(context.Background(), "v1.0.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	w.events = nil
	w.rolls = 0
	w.badVersions["v2.0.0"] = 503
	rep, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "release failed at health: ") {
		t.Fatalf("got %v", err)
	}
	eq(t, "events", w.Events()[len(w.Events())-2:], []string{
		"roll gateway v2.0.0, inventory v2.0.0, ui v2.0.0",
		"roll gateway v1.0.0, inventory v1.0.0, ui stop",
	})
	eq(t, "running", versions(w), map[string]string{"gateway": "v1.0.0", "inventory": "v1.0.0"})
	eq(t, "restore", rep.Restore, RestoreComplete)
	eq(t, "record restore", w.record.Last.Restore, RestoreComplete)
	eq(t, "record rolled back", w.record.Last.RolledBack, true)
}

func TestPartialRestoreIsRecordedWithWhatRunsWhere(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.badVersions["v2.0.0"] = 503
	w.restoreErr = errBoom
	rep, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "release failed at health: ") ||
		!strings.Contains(err.Error(), "; restoring the previous revisions failed too: boom (the services do not run what was rolled out: gateway runs v2.0.0 ×1, want v1.0.0 ×1; ") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, errBoom) || !errors.Is(err, ErrNotSettled) {
		t.Errorf("the restore's causes are not wrapped: %v", err)
	}
	eq(t, "rolled back", rep.RolledBack, false)
	eq(t, "record restore", w.record.Last.Restore, RestorePartial)
	eq(t, "record rolled back", w.record.Last.RolledBack, false)
	eq(t, "record: what is left where", w.record.Last.Left["ui"].Revision.Version, "v2.0.0")
	eq(t, "record: what is left where (count)", len(w.record.Last.Left), 3)
	if !strings.HasSuffix(w.record.Last.Error, "; restoring the previous revisions failed too: boom (the services do not run what was rolled out: gateway runs v2.0.0 ×1, want v1.0.0 ×1; inventory runs v2.0.0 ×1, want v1.0.0 ×1; ui runs v2.0.0 ×1, want v1.0.0 ×1)") {
		t.Errorf("recorded error %q lacks the restore's failure", w.record.Last.Error)
	}
}

func TestExistingVersionIsNotRebuiltAndReusesItsRevisions(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	if _, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	w.events = nil
	// Re-releasing v1.0.0: its images are in the registry.
	rep, err := newPipeline(w).Release(context.Background(), "v1.0.0", ReleaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{"test", "prepare gateway,inventory,ui v1.0.0",
		"task migrate td/inventory:1 /app migrate", "roll gateway v1.0.0, inventory v1.0.0, ui v1.0.0"})
	eq(t, "reused", rep.Reused, true)
	eq(t, "build skipped", rep.Steps[1].Skipped, true)
	eq(t, "push skipped", rep.Steps[2].Skipped, true)
	eq(t, "running", versions(w), allOn("v1.0.0"))
	eq(t, "revision is the v1.0.0 one, prepared again", w.running["gateway"].Revision.ID, "td/gateway:1")
	eq(t, "previous version", w.record.PreviousVersion, "v2.0.0")
}

func TestPartlyPushedVersionBuildsOnlyWhatIsMissing(t *testing.T) {
	w := newWorld()
	w.tags["gateway:v1.0.0"] = "sha256:gw-from-an-interrupted-push"
	if _, err := newPipeline(w).Release(context.Background(), "v1.0.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{"test", "build v1.0.0 inventory,ui,seeder",
		"push inventory:v1.0.0", "push ui:v1.0.0", "push seeder:v1.0.0",
		"prepare gateway,inventory,ui v1.0.0",
		"task migrate td/inventory:1 /app migrate", "roll gateway v1.0.0, inventory v1.0.0, ui v1.0.0"})
	eq(t, "gateway keeps its pushed digest", w.revisions["gateway@sha256:gw-from-an-interrupted-push"], "td/gateway:1")
	eq(t, "one registry call", w.resolves, 1)
}

func TestBuildAloneRefusesAVersionInTheRegistry(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	err := newPipeline(w).Build(context.Background(), "v1.0.0")
	want := "build failed: v1.0.0 is already in the registry and its tags are immutable: release it as is, or ship a new version"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	eq(t, "events", w.Events(), []string(nil))
}

func TestPushAloneRefusesARebuiltImmutableTag(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	// Someone rebuilt v1.0.0 locally behind the kit's back: new content.
	if _, err := (fakeBuilder{w}).Build(context.Background(), "v1.0.0", []string{"gateway", "inventory", "ui", "seeder"}); err != nil {
		t.Fatal(err)
	}
	err := newPipeline(w).Push(context.Background(), "v1.0.0")
	if !errors.Is(err, ErrImmutableTag) {
		t.Fatalf("got %v, want ErrImmutableTag", err)
	}
	if !strings.HasPrefix(err.Error(), "push failed: push gateway:v1.0.0: ") {
		t.Errorf("error %q does not name the step and image", err)
	}
	eq(t, "registry unchanged", w.tags["gateway:v1.0.0"], "sha256:gateway-v1.0.0-1")
}

func TestPushAloneOfTheSameImageIsANoOp(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	if err := newPipeline(w).Push(context.Background(), "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	eq(t, "registry unchanged", w.tags["gateway:v1.0.0"], "sha256:gateway-v1.0.0-1")
}

func TestRollbackRedeploysAnEarlierVersion(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	if _, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	w.events = nil
	if _, err := newPipeline(w).Rollback(context.Background(), "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{"prepare gateway,inventory,ui v1.0.0", "roll gateway v1.0.0, inventory v1.0.0, ui v1.0.0"})
	eq(t, "running", versions(w), allOn("v1.0.0"))
	eq(t, "record", w.record.Version, "v1.0.0")
	eq(t, "record kind", w.record.Last.Kind, "rollback")
	eq(t, "previous", w.record.Previous["gateway"].Version, "v2.0.0")
	eq(t, "previous version", w.record.PreviousVersion, "v2.0.0")
}

func TestRollbackPrevious(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	if _, err := newPipeline(w).Release(context.Background(), "v2.0.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	w.events = nil
	rep, err := newPipeline(w).Rollback(context.Background(), Previous)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "report version", rep.Version, "v1.0.0")
	eq(t, "running", versions(w), allOn("v1.0.0"))
	eq(t, "record", w.record.Version, "v1.0.0")
	// Twice: back to v2.0.0, the release before the rollback.
	if _, err := newPipeline(w).Rollback(context.Background(), Previous); err != nil {
		t.Fatal(err)
	}
	eq(t, "running after the second", versions(w), allOn("v2.0.0"))
}

func TestRollbackPreviousWithoutOneChangesNothing(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	_, err := newPipeline(w).Rollback(context.Background(), Previous)
	want := `rollback of test: the release record has no previous version (nothing was released before "v1.0.0"): name the version`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	eq(t, "events", w.Events(), []string(nil))
}

func TestRollbackToAnUnknownVersionChangesNothing(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	_, err := newPipeline(w).Rollback(context.Background(), "v0.9.0")
	want := "rollback failed at prepare: gateway:v0.9.0 is not in the registry: release the version first (or build and push it)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	eq(t, "events", w.Events(), []string(nil))
	eq(t, "running", versions(w), allOn("v1.0.0"))
}

func TestFirstReleaseFailingHealthStopsWhatItStarted(t *testing.T) {
	w := newWorld()
	w.badVersions["v1.0.0"] = 503
	var lines []string
	p := newPipeline(w)
	p.Logf = func(f string, a ...any) { lines = append(lines, f) }
	rep, err := p.Release(context.Background(), "v1.0.0", ReleaseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "release failed at health: ") {
		t.Fatalf("got %v", err)
	}
	eq(t, "rolled back", rep.RolledBack, true)
	eq(t, "running", versions(w), map[string]string{})
	eq(t, "last event", w.Events()[len(w.Events())-1], "roll gateway stop, inventory stop, ui stop")
	if !strings.Contains(strings.Join(lines, "\n"), "stopping what ran nothing before this release") {
		t.Errorf("no line says what is stopped:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDeployTimeoutRestores(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.rollHang = true
	p := newPipeline(w)
	p.Timeouts.Deploy = 50 * time.Millisecond
	start := time.Now()
	rep, err := p.Release(context.Background(), "v2.0.0", ReleaseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "release failed at deploy: timed out after 50ms: context deadline exceeded") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
	eq(t, "rolled back", rep.RolledBack, true)
	eq(t, "running", versions(w), allOn("v1.0.0"))
}

func TestSlowAPIFailsHealth(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := newPipeline(w)
	p.Prober = fakeProber{w: w, delay: 600 * time.Millisecond}
	p.HealthCheck.ReadyTimeout = 5 * time.Second
	err := p.Health(context.Background())
	want := "health failed: API p95 over 20 parallel requests to /api/inventory/items is 600ms, over the 500ms budget"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestSlowPageFailsHealth(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := newPipeline(w)
	p.Prober = fakeProber{w: w, delay: 100 * time.Millisecond}
	p.HealthCheck.PageBudget = 150 * time.Millisecond // document + one asset ≈ 200ms
	err := p.Health(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "health failed: UI page / loaded (document and 1 assets) in 2") {
		t.Fatalf("got %v", err)
	}
}

func TestMigrateAloneNeedsTheImage(t *testing.T) {
	w := newWorld()
	err := newPipeline(w).Migrate(context.Background(), "v3.0.0")
	want := "migrate failed: inventory:v3.0.0 is not in the registry: release the version first (or build and push it)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestMigrateAloneRunsAPreparedRevision(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	if err := newPipeline(w).Migrate(context.Background(), "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{"prepare inventory v1.0.0", "task migrate td/inventory:1 /app migrate"})
}

func TestStepsAloneTakeTheLock(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.holdLease("someone", false)
	p := newPipeline(w)
	ctx := context.Background()
	_, rbErr := p.Rollback(ctx, "v1.0.0")
	for name, err := range map[string]error{
		"build":    p.Build(ctx, "v2.0.0"),
		"push":     p.Push(ctx, "v1.0.0"),
		"migrate":  p.Migrate(ctx, "v1.0.0"),
		"deploy":   p.Deploy(ctx, "v1.0.0"),
		"seed":     p.Seed(ctx, "v1.0.0"),
		"rollback": rbErr,
	} {
		if !errors.Is(err, ErrLocked) {
			t.Errorf("%s: got %v, want ErrLocked", name, err)
		}
	}
	eq(t, "events", w.Events(), []string(nil))
}

// The start-up before a release (local:up recreating the registry or the
// entry) runs under the lease: contended, it never runs.
func TestLockContendedDuringStartUpTouchesNothing(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.holdLease("pid 42 on laptop", false)
	p := newPipeline(w)
	ran := false
	err := p.WithLock(context.Background(), "release", func(ctx context.Context) error {
		ran = true
		_, err := p.Release(ctx, "v2.0.0", ReleaseOptions{})
		return err
	})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
	eq(t, "start-up ran", ran, false)
	eq(t, "events", w.Events(), []string(nil))
}

func TestWithLockHoldsOneLeaseAcrossStartUpAndRelease(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := newPipeline(w)
	var holder string
	err := p.WithLock(context.Background(), "release", func(ctx context.Context) error {
		holder = w.lease.Holder
		_, err := p.Release(ctx, "v2.0.0", ReleaseOptions{})
		if w.lease == nil {
			t.Errorf("the release gave up the outer lease")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "holder", holder, "test-holder")
	eq(t, "leases taken (one for release A, one here)", w.leases, 2)
	if w.lease != nil {
		t.Errorf("lease still held: %v", *w.lease)
	}
}

func TestStaleLeaseIsReportedAndOnlyUnlockBreaksIt(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.holdLease("ci run 7", true)
	p := newPipeline(w)
	_, err := p.Release(context.Background(), "v2.0.0", ReleaseOptions{})
	want := "release of test refused: a stale release lease is held by ci run 7 since 2026-01-02T02:04:05Z (lease until 2026-01-02T03:03:05Z) (fake): its holder stopped renewing it; check it no longer runs, then break it with <env>:unlock"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrStaleLease) || !errors.Is(err, ErrLocked) {
		t.Errorf("error does not wrap ErrStaleLease and ErrLocked")
	}
	var le *LockedError
	if !errors.As(err, &le) || le.Lease.Holder != "ci run 7" {
		t.Errorf("no LockedError naming the holder: %v", err)
	}
	eq(t, "events", w.Events(), []string(nil))
	l, err := p.Unlock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "broken lease", l.Holder, "ci run 7")
	if _, err := p.Release(context.Background(), "v2.0.0", ReleaseOptions{}); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

func TestLeaseIsRenewedAndALostLeaseStopsTheRelease(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	w.rollHang = true
	p := newPipeline(w)
	p.LeaseTTL = 60 * time.Millisecond
	go func() {
		time.Sleep(150 * time.Millisecond)
		_, _ = fakeStore{w}.Break(context.Background())
	}()
	rep, err := p.Release(context.Background(), "v2.0.0", ReleaseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "release failed at deploy: context canceled (lease of test lost: lease of test-holder: release lease lost)") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, ErrLeaseLost) {
		t.Errorf("error does not wrap ErrLeaseLost")
	}
	eq(t, "restored", rep.RolledBack, true)
	eq(t, "running", versions(w), allOn("v1.0.0"))
	if w.renewals < 3 {
		t.Errorf("%d renewals in 150ms of a 60ms lease, want at least 3", w.renewals)
	}
}

func TestP95(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	// 20 samples: nearest rank ceil(0.95*20)=19 → the 19th smallest.
	eq(t, "p95 of 1..20", P95(ms(20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)), 19*time.Millisecond)
	eq(t, "p95 of one", P95(ms(7)), 7*time.Millisecond)
	eq(t, "p95 of none", P95(nil), time.Duration(0))
}

func TestAssets(t *testing.T) {
	html := `<html><head><link rel="stylesheet" href="static/app.css"><script src='/app.js'></script>
<script src="https://cdn.example.com/x.js"></script><link href="//other.example/y.css"></head>
<body><img src="/img/logo.png"><img src="data:image/png;base64,xx"><script src="/app.js"></script></body></html>`
	eq(t, "assets", Assets("/ui/index.html", []byte(html)), []string{"/ui/static/app.css", "/app.js", "/img/logo.png"})
}

func TestFingerprint(t *testing.T) {
	eq(t, "last line wins", Fingerprint([]string{"fingerprint: " + strings.Repeat("0", 64), "x", "fingerprint: " + fp}), fp)
	eq(t, "short is not one", Fingerprint([]string{"fingerprint: abc"}), "")
	eq(t, "prefixed is not one", Fingerprint([]string{"old fingerprint: " + fp}), "")
}

func TestReportSummary(t *testing.T) {
	r := Report{Steps: []StepTiming{
		{Step: "test", Duration: 1500 * time.Millisecond},
		{Step: "build", Skipped: true},
		{Step: "migrate", Duration: 250 * time.Millisecond, Err: errBoom},
	}, Total: 3 * time.Second}
	eq(t, "summary", r.Summary(), "test 1.5s · build skipped · migrate 250ms FAILED (total 3s)")
}
