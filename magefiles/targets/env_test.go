package targets

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEnvPortAndReplicas(t *testing.T) {
	t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", "")
	if p, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err != nil || p != 55432 {
		t.Errorf("unset: %d, %v; want 55432", p, err)
	}
	t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", "15432")
	if p, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err != nil || p != 15432 {
		t.Errorf("set: %d, %v; want 15432", p, err)
	}
	for v, want := range map[string]string{
		"abc":   `EQUIPTRACK_LOCAL_PG_PORT="abc": want a port number from 1 to 65535`,
		"70000": `EQUIPTRACK_LOCAL_PG_PORT="70000": want a port number from 1 to 65535`,
		"0":     `EQUIPTRACK_LOCAL_PG_PORT="0": want a port number from 1 to 65535`,
	} {
		t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", v)
		if _, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", v, err, want)
		}
	}
	t.Setenv("EQUIPTRACK_LOCAL_REPLICAS", "11")
	if _, err := envInt("EQUIPTRACK_LOCAL_REPLICAS", 1, 1, 10, "a number of replicas"); err == nil ||
		err.Error() != `EQUIPTRACK_LOCAL_REPLICAS="11": want a number of replicas from 1 to 10` {
		t.Errorf("replicas 11: %v", err)
	}
}

func TestLocalAdminPasswordFromTheEnvironmentMustBeTheStoredOne(t *testing.T) {
	if err := checkLocalAdminPassword("", "stored", "/c/admin-password"); err != nil {
		t.Errorf("unset: %v", err)
	}
	if err := checkLocalAdminPassword("stored", "stored", "/c/admin-password"); err != nil {
		t.Errorf("same: %v", err)
	}
	err := checkLocalAdminPassword("other", "stored", "/c/admin-password")
	want := "SEED_ADMIN_PASSWORD is set and differs from the local admin password stored in /c/admin-password: unset it (locally the stored password is used) or write it into that file"
	if err == nil || err.Error() != want {
		t.Errorf("differs: %v", err)
	}
}

// The test target's tools and what each waits for: Docker before the data
// image; the replica after the packages' compile (when there is one); the
// rest build side by side.
func TestToolSteps(t *testing.T) {
	var got []string
	for _, s := range toolSteps() {
		after := s.after
		if s.afterCompile {
			after = append(after, "compile")
		}
		got = append(got, s.name+"<"+strings.Join(after, "+"))
	}
	want := []string{"docker engine<", "data image<docker engine", "opentofu<", "provider schema and replica<compile",
		"trivy<", "tflint<", "staticcheck<", "actionlint<", "chromium<"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps = %q\nwant    %q", got, want)
	}
}

// recorder is a stateful fake for tool steps: it logs each step's start and
// end, in order, for tests to compare against literal lists.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) log(e string) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

func (r *recorder) got() string { r.mu.Lock(); defer r.mu.Unlock(); return strings.Join(r.events, ",") }

// step is a tool step that logs its end after run returns.
func (r *recorder) step(name string, run func(ctx context.Context) error, after ...string) toolStep {
	return toolStep{name: name, after: after, ensure: func(ctx context.Context) error {
		err := run(ctx)
		if err == nil {
			r.log(name + " done")
		}
		return err
	}}
}

func ok(context.Context) error { return nil }

// Independent steps run side by side: each of the two builds waits until
// the other has started, which one after another would never happen. A
// step that comes after another starts only once that one is ready.
func TestProvisionRunsIndependentStepsSideBySide(t *testing.T) {
	var r recorder
	tofuStarted, trivyStarted := make(chan struct{}), make(chan struct{})
	meet := func(mine, other chan struct{}) func(context.Context) error {
		return func(context.Context) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("ran alone: the other build never started beside it")
			}
		}
	}
	err := provision(context.Background(), []toolStep{
		r.step("opentofu", meet(tofuStarted, trivyStarted)),
		r.step("replica", func(context.Context) error {
			select {
			case <-trivyStarted:
			default:
				return errors.New("started before the build it comes after")
			}
			return nil
		}, "opentofu"),
		r.step("trivy", meet(trivyStarted, tofuStarted)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// trivy may end before or after the replica, which waits for OpenTofu.
	if got := r.got(); got != "opentofu done,replica done,trivy done" && got != "opentofu done,trivy done,replica done" && got != "trivy done,opentofu done,replica done" {
		t.Errorf("events %q, want opentofu done before replica done, and trivy done", got)
	}
}

// The first failure stops everything: the steps running are cancelled, the
// ones that come after are never started, and the error is that failure
// alone — not the cancellations it caused.
func TestProvisionStopsAtTheFirstFailure(t *testing.T) {
	var r recorder
	boom := errors.New("debootstrap: exit status 1")
	building := make(chan struct{})
	err := provision(context.Background(), []toolStep{
		r.step("opentofu", func(ctx context.Context) error {
			close(building)
			<-ctx.Done() // a long build, killed by the failure beside it
			r.log("opentofu cancelled")
			return errors.New("go build: signal: killed")
		}),
		r.step("data image", func(context.Context) error { <-building; return boom }),
		r.step("replica", ok, "opentofu"),
		r.step("trivy", ok, "data image"),
	}, nil)
	if !errors.Is(err, boom) || err.Error() != "tools: data image: debootstrap: exit status 1" {
		t.Errorf("err = %v", err)
	}
	if got := r.got(); got != "opentofu cancelled" {
		t.Errorf("events %q, want only the running build's cancellation", got)
	}
}

func TestProvisionRejectsAStepAfterAnUnknownOne(t *testing.T) {
	var r recorder
	err := provision(context.Background(), []toolStep{r.step("a", ok), r.step("replica", ok, "opentofu")}, nil)
	if err == nil || err.Error() != `tools: replica comes after "opentofu", which is not a step` {
		t.Errorf("err = %v", err)
	}
	if got := r.got(); got != "" {
		t.Errorf("ran %q before the list was checked", got)
	}
}

// A build of packages the compile step compiles too (the replica) waits
// for it when the packages compile beside the tools, and starts at once
// when they do not (test:tools alone).
func TestStepAfterCompileWaitsForIt(t *testing.T) {
	var r recorder
	replicaStarted := make(chan struct{})
	replica := r.step("replica", func(context.Context) error { close(replicaStarted); return nil })
	replica.afterCompile = true
	wait, err := provisionAndCompile(context.Background(), []toolStep{replica},
		func(context.Context) error {
			select {
			case <-replicaStarted:
				r.log("replica started during the compile")
			case <-time.After(200 * time.Millisecond):
			}
			r.log("compiled")
			return nil
		},
		follower{name: "lint", run: ok})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if got := r.got(); got != "compiled,replica done" {
		t.Errorf("events %q, want the replica after the compile", got)
	}

	var alone recorder
	replica = alone.step("replica", ok)
	replica.afterCompile = true
	if err := provision(context.Background(), []toolStep{replica}, nil); err != nil {
		t.Fatal(err)
	}
	if got := alone.got(); got != "replica done" {
		t.Errorf("without a compile: events %q", got)
	}
}

// The test binaries compile beside the tools, and what follows the compile
// (lint) starts beside the tools still building; when a tool fails the
// compile and what follows it are stopped (no test run follows) and the
// tool's failure is the error.
func TestProvisionAndCompile(t *testing.T) {
	var r recorder
	compiled, linted := make(chan struct{}), make(chan struct{})
	lintErr := errors.New("staticcheck: 1 finding")
	wait, err := provisionAndCompile(context.Background(), []toolStep{r.step("opentofu", func(context.Context) error {
		for _, c := range []chan struct{}{compiled, linted} {
			select {
			case <-c:
			case <-time.After(10 * time.Second):
				return errors.New("the compile and lint did not run beside the tools")
			}
		}
		return nil
	})},
		func(context.Context) error { r.log("compiled"); close(compiled); return nil },
		follower{name: "lint", run: func(context.Context) error { r.log("linted"); close(linted); return lintErr }})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); !errors.Is(err, lintErr) || err.Error() != lintErr.Error() {
		t.Errorf("wait() = %v, want lint's error", err)
	}
	if got := r.got(); got != "compiled,linted,opentofu done" {
		t.Errorf("events %q", got)
	}

	var r2 recorder
	boom := errors.New("npm: E404")
	wait, err = provisionAndCompile(context.Background(), []toolStep{r2.step("chromium", func(context.Context) error { return boom })},
		func(ctx context.Context) error {
			<-ctx.Done()
			r2.log("compile cancelled")
			return ctx.Err()
		},
		follower{name: "lint", run: func(context.Context) error { r2.log("linted"); return nil }})
	if !errors.Is(err, boom) || err.Error() != "tools: chromium: npm: E404" || wait != nil {
		t.Errorf("err = %v (wait %v)", err, wait != nil)
	}
	if got := r2.got(); got != "compile cancelled" {
		t.Errorf("events %q", got)
	}

	// A compile that ended before the failure: what follows it is stopped.
	var r3 recorder
	lintRunning := make(chan struct{})
	_, err = provisionAndCompile(context.Background(), []toolStep{r3.step("opentofu", func(context.Context) error {
		<-lintRunning
		return boom
	})},
		func(context.Context) error { r3.log("compiled"); return nil },
		follower{name: "lint", run: func(ctx context.Context) error {
			close(lintRunning)
			<-ctx.Done()
			r3.log("lint cancelled")
			return ctx.Err()
		}})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if got := r3.got(); got != "compiled,lint cancelled" {
		t.Errorf("events %q", got)
	}
}

// A follower that needs steps (the tests run ahead) starts once the
// compile has ended and those steps are ready — not before — and beside
// the tools still building: OpenTofu's build here ends only once it has
// started.
func TestFollowerStartsWhenTheStepsItNeedsAreReady(t *testing.T) {
	var r recorder
	compiled, aheadStarted := make(chan struct{}), make(chan struct{})
	wait, err := provisionAndCompile(context.Background(), []toolStep{
		r.step("data image", func(context.Context) error {
			<-compiled
			time.Sleep(50 * time.Millisecond) // a follower that did not wait would start here
			return nil
		}),
		r.step("opentofu", func(context.Context) error {
			select {
			case <-aheadStarted:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("the tests run ahead did not start beside the build")
			}
		}),
	},
		func(context.Context) error { r.log("compiled"); close(compiled); return nil },
		follower{name: "tests run ahead", needs: []string{"data image"}, run: func(context.Context) error {
			r.log("ahead started")
			close(aheadStarted)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if got := r.got(); got != "compiled,data image done,ahead started,opentofu done" {
		t.Errorf("events %q", got)
	}
}

func TestFollowerNeedingAnUnknownStepIsRefused(t *testing.T) {
	var r recorder
	_, err := provisionAndCompile(context.Background(), []toolStep{r.step("data image", ok)},
		func(context.Context) error { r.log("compiled"); return nil },
		follower{name: "tests run ahead", needs: []string{"opentofu"}, run: ok})
	if err == nil || err.Error() != `tools: tests run ahead needs "opentofu", which is not a step` {
		t.Errorf("err = %v", err)
	}
	if got := r.got(); got != "" {
		t.Errorf("ran %q before the list was checked", got)
	}
}

// The packages run ahead need steps of the real list, and none of them is
// OpenTofu's or the replica's: they start before those are built.
func TestAheadPackagesNeedToolSteps(t *testing.T) {
	names := map[string]bool{}
	for _, st := range toolSteps() {
		names[st.name] = true
	}
	for _, n := range aheadNeeds {
		if !names[n] {
			t.Errorf("aheadNeeds names %q, which is not a tool step", n)
		}
		if n == "opentofu" || n == "provider schema and replica" {
			t.Errorf("aheadNeeds names %q: the packages would wait for the end of provisioning", n)
		}
	}
}
