package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

func all() []string { return append(append([]string(nil), services...), pipeline.SeederImage) }

func TestPrepareMigrateRollThroughTheSDK(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	arts, err := e.Resolve(ctx, "v1.1.0", all())
	if err != nil {
		t.Fatal(err)
	}
	if got := arts["inventory"].Digest; got != w.digests["inventory:v1.1.0"] {
		t.Fatalf("inventory digest %q, want %q", got, w.digests["inventory:v1.1.0"])
	}
	none, err := e.Resolve(ctx, "v9.9.9", []string{"ui"})
	if err != nil || none["ui"].Present() {
		t.Fatalf("absent tag: %+v, %v", none, err)
	}
	revs, err := e.Prepare(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	if got := revs["gateway"]; got.ID != tdARN("equiptrack-staging-gateway", 2) || got.Replicas != 2 || got.Version != "v1.1.0" {
		t.Fatalf("gateway revision %+v", got)
	}
	if got := revs["seeder"]; got.ID != tdARN("equiptrack-staging-seeder", 2) || got.Replicas != 0 {
		t.Fatalf("seeder revision %+v", got)
	}
	again, err := e.Prepare(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	if again["ui"].ID != tdARN("equiptrack-staging-ui", 2) {
		t.Fatalf("Prepare is not idempotent: %s", again["ui"].ID)
	}
	td := w.fake.TaskDefinition(tdARN("equiptrack-staging-inventory", 2))
	c := td["containerDefinitions"].([]any)[0].(map[string]any)
	if c["image"] != w.fake.RegistryHost()+"/equiptrack-staging/inventory@"+w.digests["inventory:v1.1.0"] {
		t.Fatalf("image %v", c["image"])
	}

	// The migration runs in its own family (the only task definition with
	// the master credentials) with the prepared inventory image.
	var ran fakeaws.TaskRun
	w.fake.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome {
		ran = r
		if strings.Join(r.Commands["migrate"], " ") != "migrate" {
			return fakeaws.Outcome{ExitCodes: map[string]int{"migrate": 2}}
		}
		return fakeaws.Outcome{Logs: []string{"migrated 3 steps"}}
	})
	res, err := e.Run(ctx, pipeline.TaskSpec{Name: "migrate", Revision: revs["inventory"], Command: []string{"migrate"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Succeeded() || res.StopCode != "EssentialContainerExited" || strings.Join(res.Logs, "|") != "migrated 3 steps" {
		t.Fatalf("migrate result %+v", res)
	}
	if ran.TaskDefinition != tdARN("equiptrack-staging-migrate", 2) || ran.Images["migrate"] != w.fake.RegistryHost()+"/equiptrack-staging/inventory@"+w.digests["inventory:v1.1.0"] {
		t.Fatalf("the migration ran %s with %v, want equiptrack-staging-migrate:2 with inventory v1.1.0", ran.TaskDefinition, ran.Images)
	}
	td = w.fake.TaskDefinition(tdARN("equiptrack-staging-migrate", 2))
	if env := fmt.Sprint(td["containerDefinitions"].([]any)[0].(map[string]any)["environment"]); !strings.Contains(env, "map[name:APP_VERSION value:v1.1.0]") {
		t.Fatalf("migrate revision environment %s", env)
	}
	// Again: the same revision, nothing registered.
	if _, err := e.Run(ctx, pipeline.TaskSpec{Name: "migrate", Revision: revs["inventory"], Command: []string{"migrate"}}); err != nil || ran.TaskDefinition != tdARN("equiptrack-staging-migrate", 2) {
		t.Fatalf("second migration: %s, %v", ran.TaskDefinition, err)
	}

	svcRevs := pipeline.Revisions{}
	for _, s := range services {
		svcRevs[s] = revs[s]
	}
	if err := e.Roll(ctx, svcRevs); err != nil {
		t.Fatal(err)
	}
	cur, err := e.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		if !cur[s].Settled(revs[s]) || cur[s].Revision.Version != "v1.1.0" {
			t.Fatalf("%s not settled: %+v", s, cur[s])
		}
	}
	resp, err := http.Get(w.fake.URL() + "/api/inventory/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("URL answered %d", resp.StatusCode)
	}
}

func TestMigrationExitCodeAndLogs(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	w.fake.SetTaskOutcome(func(fakeaws.TaskRun) fakeaws.Outcome {
		return fakeaws.Outcome{ExitCodes: map[string]int{"migrate": 1}, Logs: []string{"connecting", "ERROR: relation items exists"}}
	})
	res, err := e.Run(ctx, pipeline.TaskSpec{Name: "migrate", Revision: pipeline.Revision{Service: "inventory", ID: w.facts.Services["inventory"].TaskDefinition}, Command: []string{"migrate"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded() || len(res.Containers) != 1 || res.Containers[0].ExitCode != 1 || res.Logs[1] != "ERROR: relation items exists" {
		t.Fatalf("result %+v", res)
	}
}

func TestCircuitBreakerRollbackFailsTheRoll(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	arts, _ := e.Resolve(ctx, "v1.1.0", []string{"gateway", "ui"})
	revs, err := e.Prepare(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	w.fake.MarkRevision(w.digests["gateway:v1.1.0"], fakeaws.Failing)
	err = e.Roll(ctx, revs)
	if err == nil || !strings.Contains(err.Error(), "gateway: rollout FAILED: ECS deployment circuit breaker: tasks failed to start.") {
		t.Fatalf("err = %v", err)
	}
	st, _ := w.fake.Service("equiptrack-staging", "equiptrack-staging-gateway")
	if st.TaskDefinition != tdARN("equiptrack-staging-gateway", 1) {
		t.Fatalf("ECS did not roll gateway back: %+v", st)
	}
}

func TestStalledRolloutEndsAtTheDeadline(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	arts, _ := e.Resolve(context.Background(), "v1.1.0", []string{"user"})
	revs, _ := e.Prepare(context.Background(), arts)
	w.fake.MarkRevision(w.digests["user:v1.1.0"], fakeaws.Stalling)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := e.Roll(ctx, revs)
	if err == nil || !strings.Contains(err.Error(), "rollout not finished: user (IN_PROGRESS, 0/2 running, 2 pending)") {
		t.Fatalf("err = %v", err)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	w.fake.ResetCalls()
	w.fake.Throttle("ecs:DescribeServices", 3)
	cur, err := e.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur["ui"].Running != 2 {
		t.Fatalf("ui %+v", cur["ui"])
	}
	n := 0
	for _, c := range w.fake.Calls() {
		if c == "ecs:DescribeServices" {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("DescribeServices served %d times, want 4 (3 throttled + 1)", n)
	}
}

func TestLease(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	h, err := e.Lock(ctx, "ci run 7", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Lock(ctx, "laptop", time.Minute)
	var le *pipeline.LockedError
	if !errors.As(err, &le) || !errors.Is(err, pipeline.ErrLocked) || errors.Is(err, pipeline.ErrStaleLease) || le.Lease.Holder != "ci run 7" {
		t.Fatalf("second lock: %v", err)
	}
	w.fake.Clock.Advance(2 * time.Minute)
	_, err = e.Lock(ctx, "laptop", time.Minute)
	if !errors.Is(err, pipeline.ErrStaleLease) {
		t.Fatalf("stale lease: %v", err)
	}
	l, err := e.Break(ctx)
	if err != nil || l.Holder != "ci run 7" {
		t.Fatalf("break: %+v %v", l, err)
	}
	if err := h.Renew(ctx); !errors.Is(err, pipeline.ErrLeaseLost) {
		t.Fatalf("renew after break: %v", err)
	}
	h2, err := e.Lock(ctx, "laptop", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := h2.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.fake.Parameter("/equiptrack/staging/release/lock"); ok {
		t.Fatal("lease still there after Unlock")
	}
}

func TestRecordAndHistory(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0"} {
		if err := e.Save(ctx, pipeline.Record{Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Load(ctx)
	if err != nil || r.Version != "v1.2.0" {
		t.Fatalf("load %+v %v", r, err)
	}
	h, err := e.History(ctx, 10) // three versions over pages of two
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0].Version != "v1.2.0" || h[2].Version != "v1.0.0" {
		t.Fatalf("history %+v", h)
	}
}

func TestRegionAndAccountRefusedBeforeAnyChange(t *testing.T) {
	w := newWorld(t)
	o := w.options()
	o.Config.Region = "us-west-2"
	_, err := Open(context.Background(), o)
	if err == nil || err.Error() != "AWS region is us-west-2 but staging lives in us-east-1: set AWS_REGION=us-east-1" {
		t.Fatalf("region: %v", err)
	}
	other, err := fakeaws.New(fakeaws.Options{Account: "999999999999", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	v, _ := w.fake.Parameter(FactsParameter("staging"))
	other.PutParameter(FactsParameter("staging"), v)
	o = w.options()
	o.Endpoint = other.Endpoint()
	_, err = Open(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "the AWS credentials are for account 999999999999") {
		t.Fatalf("account: %v", err)
	}
	for _, c := range other.Calls() {
		if c != "ssm:GetParameter" && c != "sts:GetCallerIdentity" {
			t.Fatalf("called %s before refusing", c)
		}
	}
}

func TestBrokenRevisionAnswers503(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	ctx := context.Background()
	arts, _ := e.Resolve(ctx, "v1.1.0", []string{"inventory"})
	revs, _ := e.Prepare(ctx, arts)
	w.fake.MarkRevision(w.digests["inventory:v1.1.0"], fakeaws.Broken)
	if err := e.Roll(ctx, revs); err != nil {
		t.Fatal(err) // ECS sees it healthy: only the URL tells
	}
	resp, err := http.Get(w.fake.URL() + "/api/inventory/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("URL answered %d, want 503", resp.StatusCode)
	}
}
