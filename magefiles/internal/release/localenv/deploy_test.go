package localenv

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

var (
	revA = rev("aaaaaaaaaaaa")
	revB = rev("bbbbbbbbbbbb")
)

func TestRollReplacesOneReplicaAtATime(t *testing.T) {
	e, f := fakeEnv(t, 2)
	f.add("tt-gateway-1-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 1))
	f.add("tt-gateway-2-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 2))
	target := pipeline.Revision{Service: "gateway", Version: "v2", ID: revB, Replicas: 2}
	if err := e.Roll(context.Background(), pipeline.Revisions{"gateway": target}); err != nil {
		t.Fatal(err)
	}
	// The new replica n serves before the old replica n goes.
	eq(t, "events", f.Events(), []string{
		"run tt-gateway-1-bbbbbbbbbbbb", "stop tt-gateway-1-aaaaaaaaaaaa",
		"run tt-gateway-2-bbbbbbbbbbbb", "stop tt-gateway-2-aaaaaaaaaaaa",
	})
	cur, err := e.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "current", cur, pipeline.States{"gateway": {Service: "gateway",
		Revision: pipeline.Revision{Service: "gateway", Version: "v2", ID: revB, Replicas: 2}, Running: 2}})
	if !cur["gateway"].Settled(target) {
		t.Error("not settled on the target")
	}
}

func TestRollOfABrokenRevisionKeepsTheOldReplicas(t *testing.T) {
	e, f := fakeEnv(t, 2)
	f.add("tt-gateway-1-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 1))
	f.add("tt-gateway-2-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 2))
	f.broken[revB] = true
	f.logLines = []string{"panic: no config"}
	err := e.Roll(context.Background(), pipeline.Revisions{"gateway": {Service: "gateway", Version: "v2", ID: revB, Replicas: 2}})
	want := "gateway: replica 1 of v2 did not come up: the container exited (status 1); last lines: panic: no config"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	eq(t, "events", f.Events(), []string{"run tt-gateway-1-bbbbbbbbbbbb", "rm tt-gateway-1-bbbbbbbbbbbb"})
	cur, _ := e.Current(context.Background())
	eq(t, "still on v1", cur["gateway"].Revision.Version, "v1")
	eq(t, "running", cur["gateway"].Running, 2)
}

func TestCurrentReportsMixedRevisions(t *testing.T) {
	e, f := fakeEnv(t, 2)
	// An interrupted rollout: replica 1 is on B, replica 2 still on A, and a
	// stopped leftover that must not count.
	f.add("tt-gateway-1-bbbbbbbbbbbb", true, replicaLabels("gateway", "v2", revB, 1))
	f.add("tt-gateway-2-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 2))
	f.add("tt-gateway-3-aaaaaaaaaaaa", false, replicaLabels("gateway", "v1", revA, 3))
	f.add("tt-ui-1-aaaaaaaaaaaa", true, replicaLabels("ui", "v1", revA, 1))
	cur, err := e.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "gateway", cur["gateway"], pipeline.ServiceState{Service: "gateway",
		Revision: pipeline.Revision{Service: "gateway", Version: "v2", ID: revB, Replicas: 2}, Running: 1, Other: 1})
	if cur["gateway"].Settled(pipeline.Revision{Service: "gateway", Version: "v2", ID: revB, Replicas: 2}) {
		t.Error("a mixed service is reported settled")
	}
	eq(t, "ui", cur["ui"].Running, 1)
	eq(t, "services", len(cur), 2)
}

func TestRollSweepsLeftoversAndScalesDown(t *testing.T) {
	e, f := fakeEnv(t, 1)
	f.add("tt-gateway-1-bbbbbbbbbbbb", false, replicaLabels("gateway", "v2", revB, 1)) // stopped, target name
	f.add("tt-gateway-1-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 1))
	f.add("tt-gateway-2-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 2)) // beyond the new count
	if err := e.Roll(context.Background(), pipeline.Revisions{"gateway": {Service: "gateway", Version: "v2", ID: revB, Replicas: 1}}); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", f.Events(), []string{
		"rm tt-gateway-1-bbbbbbbbbbbb", "run tt-gateway-1-bbbbbbbbbbbb", "stop tt-gateway-1-aaaaaaaaaaaa",
		"stop tt-gateway-2-aaaaaaaaaaaa",
	})
	cur, _ := e.Current(context.Background())
	eq(t, "gateway", cur["gateway"], pipeline.ServiceState{Service: "gateway",
		Revision: pipeline.Revision{Service: "gateway", Version: "v2", ID: revB, Replicas: 1}, Running: 1})
}

func TestRollAlreadyOnTargetChangesNothing(t *testing.T) {
	e, f := fakeEnv(t, 1)
	f.add("tt-gateway-1-bbbbbbbbbbbb", true, replicaLabels("gateway", "v2", revB, 1))
	if err := e.Roll(context.Background(), pipeline.Revisions{"gateway": {Service: "gateway", Version: "v2", ID: revB, Replicas: 1}}); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", f.Events(), []string(nil))
}

func TestRollStopRemovesEveryReplica(t *testing.T) {
	e, f := fakeEnv(t, 1)
	f.add("tt-ui-1-aaaaaaaaaaaa", true, replicaLabels("ui", "v1", revA, 1))
	f.add("tt-ui-2-aaaaaaaaaaaa", false, replicaLabels("ui", "v1", revA, 2))
	f.add("tt-gateway-1-aaaaaaaaaaaa", true, replicaLabels("gateway", "v1", revA, 1))
	if err := e.Roll(context.Background(), pipeline.Revisions{"ui": pipeline.Stopped("ui")}); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", f.Events(), []string{"stop tt-ui-1-aaaaaaaaaaaa", "stop tt-ui-2-aaaaaaaaaaaa"})
	cur, _ := e.Current(context.Background())
	if _, ok := cur["ui"]; ok || cur["gateway"].Running != 1 {
		t.Errorf("after stopping ui: %+v", cur)
	}
}

func TestRollErrorsOfSeveralServicesAreAllWrapped(t *testing.T) {
	e, f := fakeEnv(t, 1)
	f.broken[revB] = true
	err := e.Roll(context.Background(), pipeline.Revisions{
		"gateway": {Service: "gateway", Version: "v2", ID: revB, Replicas: 1},
		"ui":      {Service: "ui", Version: "v2", ID: revB, Replicas: 1},
	})
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Count(err.Error(), "did not come up") != 2 {
		t.Fatalf("want one line naming both services, got %q", err)
	}
	var me multiError
	if !asMulti(err, &me) || len(me) != 2 {
		t.Errorf("errors not kept apart: %#v", err)
	}
}

func asMulti(err error, me *multiError) bool {
	m, ok := err.(multiError)
	*me = m
	return ok
}

func TestPrepareIsTheDigestReference(t *testing.T) {
	e, _ := fakeEnv(t, 3)
	arts := pipeline.Artifacts{
		"gateway":            {Service: "gateway", Version: "v2", Digest: "sha256:bb", Ref: revB},
		pipeline.SeederImage: {Service: pipeline.SeederImage, Version: "v2", Digest: "sha256:cc", Ref: "reg/seeder@sha256:cc"},
	}
	revs, err := e.Prepare(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "revisions", revs, pipeline.Revisions{
		"gateway":            {Service: "gateway", Version: "v2", ID: revB, Replicas: 3},
		pipeline.SeederImage: {Service: pipeline.SeederImage, Version: "v2", ID: "reg/seeder@sha256:cc"},
	})
	_, err = e.Prepare(context.Background(), pipeline.Artifacts{"nope": {Service: "nope", Version: "v2", Digest: "sha256:dd", Ref: "x@sha256:dd"}})
	if err == nil || err.Error() != "nope: not a service of the manifest" {
		t.Errorf("unknown service: %v", err)
	}
}

// Secrets reach containers through the docker CLI's environment, never its
// argv (/proc/<pid>/cmdline is readable by every local user).
func TestSecretsNeverInDockerArgv(t *testing.T) {
	e, f := fakeEnv(t, 1)
	ctx := context.Background()
	if err := e.Roll(ctx, pipeline.Revisions{"gateway": {Service: "gateway", Version: "v2", ID: revB, Replicas: 1}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(ctx, pipeline.TaskSpec{Name: "seed", Revision: pipeline.Revision{Service: pipeline.SeederImage, Version: "v2", ID: "reg/seeder@sha256:cc"}})
	if err != nil || !res.Succeeded() {
		t.Fatalf("seed task: %+v %v", res, err)
	}
	pw, err := e.adminPassword()
	if err != nil || len(pw) < 12 {
		t.Fatalf("admin password: %q %v", pw, err)
	}
	if len(f.argvs) != 2 {
		t.Fatalf("%d docker runs, want 2", len(f.argvs))
	}
	for i, argv := range f.argvs {
		line := strings.Join(argv, " ")
		for _, secret := range []string{pgSecret, redisSecret, pw} {
			if strings.Contains(line, secret) {
				t.Errorf("run %d: a secret in argv: %s", i, line)
			}
		}
		for _, name := range []string{"-e DATABASE_URL -e REDIS_URL"} {
			if !strings.Contains(line, name) {
				t.Errorf("run %d: %q not passed by name: %s", i, name, line)
			}
		}
	}
	if !strings.Contains(strings.Join(f.argvs[1], " "), " -e SEED_ADMIN_PASSWORD ") {
		t.Errorf("the seed task does not get SEED_ADMIN_PASSWORD by name: %v", f.argvs[1])
	}
	env := strings.Join(f.envs[1], "\n")
	for _, kv := range []string{"SEED_ADMIN_PASSWORD=" + pw, "DATABASE_URL=postgres://equiptrack:" + pgSecret + "@postgres:5432/equiptrack", "APP_VERSION=v2"} {
		if !strings.Contains(env, kv) {
			t.Errorf("the CLI's environment lacks %s", strings.SplitN(kv, "=", 2)[0])
		}
	}
}

func TestFailingTaskReturnsItsResult(t *testing.T) {
	e, f := fakeEnv(t, 1)
	f.exitCode = 3
	f.logLines = []string{"ERROR: relation exists"}
	res, err := e.Run(context.Background(), pipeline.TaskSpec{Name: "migrate", Revision: pipeline.Revision{Service: "gateway", Version: "v2", ID: revB}, Command: []string{"migrate"}})
	if err != nil {
		t.Fatalf("a task that ran must not be an error: %v", err)
	}
	eq(t, "result", res, pipeline.TaskResult{Containers: []pipeline.ContainerExit{{Name: "migrate", ExitCode: 3}},
		StopCode: "EssentialContainerExited", StopReason: "Essential container in task exited", Logs: []string{"ERROR: relation exists"}})
	if n := len(f.ctrs); n != 0 {
		t.Errorf("%d task containers left behind", n)
	}
	if !strings.HasSuffix(strings.Join(f.argvs[0], " "), " "+revB+" migrate") {
		t.Errorf("not run from the prepared revision with the command: %v", f.argvs[0])
	}
}
