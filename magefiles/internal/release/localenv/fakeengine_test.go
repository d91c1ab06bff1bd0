package localenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
)

// fakeEngine is the Docker engine in memory: containers with their labels
// and state, and the ordered log of every change, for the deployer's and
// the task runner's decisions to be tested without Docker.
type fakeEngine struct {
	mu     sync.Mutex
	ctrs   map[string]*fakeCtr
	events []string
	// argvs and envs are what each run would have passed the docker CLI.
	argvs, envs [][]string
	// broken images never come up (their replicas exit at once).
	broken map[string]bool
	// exitCode is what task containers exit with.
	exitCode int
	logLines []string
}

type fakeCtr struct {
	running bool
	status  string
	exit    int
	labels  map[string]string
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{ctrs: map[string]*fakeCtr{}, broken: map[string]bool{}}
}

func (f *fakeEngine) log(format string, args ...any) {
	f.events = append(f.events, fmt.Sprintf(format, args...))
}

func (f *fakeEngine) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// add puts a container there as an earlier rollout would have left it.
func (f *fakeEngine) add(name string, running bool, labels map[string]string) {
	st := "running"
	if !running {
		st = "exited"
	}
	f.ctrs[name] = &fakeCtr{running: running, status: st, labels: labels}
}

func (f *fakeEngine) run(_ context.Context, spec runSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	args, env := runArgs(spec)
	f.argvs = append(f.argvs, append([]string{"docker"}, args...))
	f.envs = append(f.envs, env)
	if _, ok := f.ctrs[spec.Name]; ok {
		return fmt.Errorf("docker run: Conflict. The container name %q is already in use", spec.Name)
	}
	c := &fakeCtr{running: true, status: "running", labels: spec.Labels}
	if f.broken[spec.Image] {
		c.running, c.status, c.exit = false, "exited", 1
	}
	if spec.Labels[LabelRole] == "task" {
		c.running, c.status, c.exit = false, "exited", f.exitCode
	}
	f.ctrs[spec.Name] = c
	f.log("run %s", spec.Name)
	return nil
}

func (f *fakeEngine) list(_ context.Context, env, role, service string) ([]ctr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ctr
	for n, c := range f.ctrs {
		l := c.labels
		if l[LabelEnv] != env || l[LabelRole] != role || (service != "" && l[LabelService] != service) {
			continue
		}
		out = append(out, ctr{Name: n, Running: c.running, Status: c.status, Labels: l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeEngine) remove(_ context.Context, name string, graceful bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.ctrs[name]; ok {
		delete(f.ctrs, name)
		if graceful {
			f.log("stop %s", name)
		} else {
			f.log("rm %s", name)
		}
	}
	return nil
}

func (f *fakeEngine) hostPort(context.Context, string, int) (string, error) {
	return "127.0.0.1:1", nil
}

func (f *fakeEngine) state(_ context.Context, name string) (ctrState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return ctrState{}, fmt.Errorf("docker inspect: No such container: %s", name)
	}
	return ctrState{Status: c.status, ExitCode: c.exit}, nil
}

func (f *fakeEngine) wait(context.Context, string) error { return nil }

func (f *fakeEngine) logs(context.Context, string, int) ([]string, error) {
	return append([]string(nil), f.logLines...), nil
}

// live answers as a replica would: a running container is live.
func (f *fakeEngine) live(ctx context.Context, name string, _ int) error {
	st, err := f.state(ctx, name)
	if err != nil {
		return err
	}
	if st.Status != "running" {
		return fmt.Errorf("the container exited (status %d)", st.ExitCode)
	}
	return nil
}

const (
	pgSecret    = "pg-S3cret-4a1b"
	redisSecret = "redis-S3cret-9f2c"
)

// fakeEnv is an environment named "t" over a fake engine, with services
// gateway and ui, replicas per service as given.
func fakeEnv(t *testing.T, replicas int) (*Env, *fakeEngine) {
	t.Helper()
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	m := &manifest.Manifest{Application: "app", Services: []manifest.Service{
		{Name: "gateway", Port: 8080}, {Name: "ui", Port: 8080},
	}}
	e, err := New(Options{Name: "tt", Manifest: m, Replicas: replicas, RegistryPort: 5000, EntryPort: 8080,
		Stores: stores.Stores{Network: "tt",
			NetworkPostgresURL: "postgres://equiptrack:" + pgSecret + "@postgres:5432/equiptrack",
			NetworkRedisURL:    "redis://:" + redisSecret + "@redis:6379/0"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEngine()
	e.eng, e.live = f, f.live
	return e, f
}

// rev is a digest reference whose short revision is the given 12 hex digits.
func rev(short string) string {
	return "127.0.0.1:5000/app/gateway@sha256:" + short + strings.Repeat("0", 52)
}

func replicaLabels(svc, version, id string, n int) map[string]string {
	return map[string]string{LabelEnv: "tt", LabelRole: "service", LabelService: svc,
		LabelVersion: version, LabelRevision: id, LabelReplica: fmt.Sprint(n)}
}
