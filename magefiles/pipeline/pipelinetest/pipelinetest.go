// Package pipelinetest is the backend contract as a test suite, in the style
// of net/http/httptest: every backend of package pipeline runs Run against
// itself — the in-memory fakes of the pipeline's own tests, the local Docker
// backend, the AWS backend over its fake AWS API — so that what the
// pipeline assumes of a backend is checked once, the same way, everywhere.
//
// What it checks is what the comments of pipeline's interfaces promise:
// immutable tags, an identical push that is a no-op, Resolve answering for
// every name (absent ones included), Prepare idempotent, Current after a Roll
// and after a stop, a failing task that returns its result with a nil
// error, a second lock refused with its holder, a stale lease reported and
// broken only by Break, a renewal after a break that reports the lease lost.
package pipelinetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Harness is what a backend gives the suite.
type Harness struct {
	// Backend is the backend under test; Registry, Tasks, Deployer and
	// Store are used (Builder and Prober are not).
	Backend pipeline.Backend
	// Service is a service of the environment the suite may push, prepare,
	// roll, run tasks from and stop; it is stopped when the suite ends.
	Service string
	// Version returns a version never pushed before (tags are immutable, so
	// every call needs a fresh one).
	Version func(t *testing.T) string
	// Image returns a built image of Service at version; variant 0 and 1
	// must differ in content (and calling it twice with one variant must give
	// the same content).
	Image func(t *testing.T, version string, variant int) pipeline.Image
	// OKCommand and FailCommand, as a task's command override in Service's
	// image, exit 0 and non-zero.
	OKCommand, FailCommand []string
	// Expire makes the lease held now lapse (a fake clock moved past its
	// expiry). Nil when the backend's lock cannot outlive its holder (the
	// local flock): the stale-lease case is then skipped, with that reason.
	Expire func(t *testing.T)
	// Timeout bounds each case [5m].
	Timeout time.Duration
}

// Run runs every case of the contract as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Timeout <= 0 {
		h.Timeout = 5 * time.Minute
	}
	b := h.Backend
	if b.Registry == nil || b.Tasks == nil || b.Deployer == nil || b.Store == nil || h.Service == "" ||
		h.Version == nil || h.Image == nil || len(h.OKCommand) == 0 || len(h.FailCommand) == 0 {
		t.Fatal("pipelinetest: the harness lacks a part (Registry, Tasks, Deployer, Store, Service, Version, Image, OKCommand, FailCommand)")
	}
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), h.Timeout)
		t.Cleanup(cancel)
		return c
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), h.Timeout)
		defer cancel()
		_ = b.Deployer.Roll(c, pipeline.Revisions{h.Service: pipeline.Stopped(h.Service)})
	})

	t.Run("ImmutableTags", func(t *testing.T) {
		c := ctx(t)
		v := h.Version(t)
		a0 := push(t, c, h, v, 0)
		again, err := b.Registry.Push(c, h.Image(t, v, 0))
		if err != nil {
			t.Fatalf("pushing the identical image again: %v", err)
		}
		if again != a0 {
			t.Errorf("identical push: got %+v, want the same artifact %+v", again, a0)
		}
		_, err = b.Registry.Push(c, h.Image(t, v, 1))
		if !errors.Is(err, pipeline.ErrImmutableTag) {
			t.Fatalf("pushing other content under %s: got %v, want ErrImmutableTag", v, err)
		}
		arts, err := b.Registry.Resolve(c, v, []string{h.Service})
		if err != nil {
			t.Fatal(err)
		}
		if arts[h.Service] != a0 {
			t.Errorf("after the refused push Resolve answers %+v, want %+v", arts[h.Service], a0)
		}
	})

	t.Run("ResolveAnswersForEveryName", func(t *testing.T) {
		c := ctx(t)
		v := h.Version(t)
		absent := h.Version(t)
		a := push(t, c, h, v, 0)
		arts, err := b.Registry.Resolve(c, v, []string{h.Service})
		if err != nil {
			t.Fatal(err)
		}
		if arts[h.Service] != a {
			t.Errorf("Resolve: got %+v, want %+v", arts[h.Service], a)
		}
		arts, err = b.Registry.Resolve(c, absent, []string{h.Service})
		if err != nil {
			t.Fatalf("an absent tag must not be an error: %v", err)
		}
		got, ok := arts[h.Service]
		if !ok || got.Present() {
			t.Errorf("absent %s:%s: got %+v (key present %v), want an artifact with no digest", h.Service, absent, got, ok)
		}
	})

	t.Run("PrepareIsIdempotent", func(t *testing.T) {
		c := ctx(t)
		v := h.Version(t)
		arts := pipeline.Artifacts{h.Service: push(t, c, h, v, 0)}
		r1, err := b.Deployer.Prepare(c, arts)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := b.Deployer.Prepare(c, arts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r1, r2) {
			t.Errorf("prepared twice:\n %+v\n %+v", r1, r2)
		}
		r := r1[h.Service]
		if r.ID == "" || r.Service != h.Service || r.Version != v || r.Replicas < 1 {
			t.Errorf("prepared revision %+v: want an ID, service %s, version %s, replicas ≥ 1", r, h.Service, v)
		}
	})

	t.Run("CurrentAfterRoll", func(t *testing.T) {
		c := ctx(t)
		r1 := prepare(t, c, h, h.Version(t), 0)
		r2 := prepare(t, c, h, h.Version(t), 1)
		for _, want := range []pipeline.Revision{r1, r2, pipeline.Stopped(h.Service), r1} {
			if err := b.Deployer.Roll(c, pipeline.Revisions{h.Service: want}); err != nil {
				t.Fatalf("roll to %+v: %v", want, err)
			}
			cur, err := b.Deployer.Current(c)
			if err != nil {
				t.Fatal(err)
			}
			if st := cur[h.Service]; !st.Settled(want) {
				t.Fatalf("after a roll to %+v, Current says %+v", want, st)
			}
		}
	})

	t.Run("TaskResults", func(t *testing.T) {
		c := ctx(t)
		r := prepare(t, c, h, h.Version(t), 0)
		res, err := b.Tasks.Run(c, pipeline.TaskSpec{Name: "contract-fail", Revision: r, Command: h.FailCommand})
		if err != nil {
			t.Fatalf("a task that ran and failed must return a nil error, got %v", err)
		}
		if res.Succeeded() || len(res.Containers) == 0 || res.Containers[0].ExitCode == 0 {
			t.Errorf("failing task: got %+v, want a non-zero exit code", res)
		}
		res, err = b.Tasks.Run(c, pipeline.TaskSpec{Name: "contract-ok", Revision: r, Command: h.OKCommand})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Succeeded() {
			t.Errorf("succeeding task: got %+v", res)
		}
	})

	t.Run("Lease", func(t *testing.T) {
		c := ctx(t)
		s := b.Store
		if _, err := s.Break(c); err != nil { // a clean start
			t.Fatal(err)
		}
		held, err := s.Lock(c, "contract one", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if l := held.Lease(); l.Holder != "contract one" || l.Since.IsZero() || !l.Expires.After(l.Since) {
			t.Errorf("lease %+v: want holder, since and a later expiry", l)
		}
		_, err = s.Lock(c, "contract two", time.Minute)
		var le *pipeline.LockedError
		if !errors.Is(err, pipeline.ErrLocked) || !errors.As(err, &le) || le.Lease.Holder != "contract one" {
			t.Fatalf("second lock: got %v, want a LockedError naming contract one", err)
		}
		if errors.Is(err, pipeline.ErrStaleLease) {
			t.Errorf("a live lease reported stale: %v", err)
		}
		if err := held.Renew(c); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err := held.Unlock(c); err != nil {
			t.Fatal(err)
		}
		if err := held.Unlock(c); err != nil {
			t.Errorf("unlocking twice: %v", err)
		}
		held, err = s.Lock(c, "contract three", time.Minute)
		if err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
		broken, err := s.Break(c)
		if err != nil {
			t.Fatalf("break: %v", err)
		}
		if broken.Holder != "contract three" {
			t.Errorf("break returned %+v, want contract three's lease", broken)
		}
		if err := held.Renew(c); !errors.Is(err, pipeline.ErrLeaseLost) {
			t.Errorf("renew after a break: got %v, want ErrLeaseLost", err)
		}
		_ = held.Unlock(c)
		if l, err := s.Break(c); err != nil || l.Holder != "" {
			t.Errorf("break with nothing held: %+v, %v", l, err)
		}
	})

	t.Run("StaleLease", func(t *testing.T) {
		if h.Expire == nil {
			t.Skip("this backend's lock cannot outlive its holder: no stale lease to report")
		}
		c := ctx(t)
		s := b.Store
		if _, err := s.Break(c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lock(c, "contract dead", time.Minute); err != nil {
			t.Fatal(err)
		}
		h.Expire(t)
		for range 2 { // reported, and still not taken over the second time
			_, err := s.Lock(c, "contract next", time.Minute)
			var le *pipeline.LockedError
			if !errors.Is(err, pipeline.ErrStaleLease) || !errors.Is(err, pipeline.ErrLocked) ||
				!errors.As(err, &le) || le.Lease.Holder != "contract dead" {
				t.Fatalf("lock over a stale lease: got %v, want ErrStaleLease naming contract dead", err)
			}
		}
		if _, err := s.Break(c); err != nil {
			t.Fatal(err)
		}
		held, err := s.Lock(c, "contract next", time.Minute)
		if err != nil {
			t.Fatalf("lock after break: %v", err)
		}
		_ = held.Unlock(c)
	})

	t.Run("Record", func(t *testing.T) {
		c := ctx(t)
		old, err := b.Store.Load(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Store.Save(context.Background(), old) })
		rec := pipeline.Record{Version: "v9.9.9", PreviousVersion: "v9.9.8",
			Revisions: pipeline.Revisions{h.Service: {Service: h.Service, Version: "v9.9.9", ID: "id-9", Replicas: 2}},
			Last: pipeline.Attempt{Kind: "release", Version: "v9.9.9", Result: "failed", FailedStep: "health",
				Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Finished: time.Date(2026, 1, 2, 3, 5, 5, 0, time.UTC),
				Restore: pipeline.RestorePartial}}
		if err := b.Store.Save(c, rec); err != nil {
			t.Fatal(err)
		}
		got, err := b.Store.Load(c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rec) {
			t.Errorf("load after save:\n got %+v\nwant %+v", got, rec)
		}
	})
}

func push(t *testing.T, c context.Context, h Harness, v string, variant int) pipeline.Artifact {
	t.Helper()
	a, err := h.Backend.Registry.Push(c, h.Image(t, v, variant))
	if err != nil {
		t.Fatalf("push %s:%s: %v", h.Service, v, err)
	}
	if !a.Present() || a.Ref == "" || a.Service != h.Service || a.Version != v {
		t.Fatalf("push %s:%s returned %+v", h.Service, v, a)
	}
	return a
}

func prepare(t *testing.T, c context.Context, h Harness, v string, variant int) pipeline.Revision {
	t.Helper()
	revs, err := h.Backend.Deployer.Prepare(c, pipeline.Artifacts{h.Service: push(t, c, h, v, variant)})
	if err != nil {
		t.Fatalf("prepare %s:%s: %v", h.Service, v, err)
	}
	return revs[h.Service]
}
