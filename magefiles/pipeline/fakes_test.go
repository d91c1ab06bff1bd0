package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// world is the in-memory environment every fake shares: the registry's tags,
// the running revisions, the record, the lock, and the ordered log of every
// state-changing call, which the tests compare with literal expectations.
type world struct {
	mu     sync.Mutex
	events []string

	// built: "svc:version" → content digest of the locally built image.
	built map[string]string
	// tags: "svc:version" → digest in the registry.
	tags map[string]string
	// running: service → revision.
	running Revisions

	record Record
	locked string

	// failures to inject
	testErr, buildErr, pushErr error
	migrateExit, seedExit      int
	seedLogs                   []string
	deployFailAfter            int // fail Deploy after this many services (0 = never)
	deployHang                 bool
	restoreErr                 error
	badVersions                map[string]int // version → status its readiness answers
	concurrentPush             map[string]string
	buildCount                 int
}

func newWorld() *world {
	return &world{
		built:       map[string]string{},
		tags:        map[string]string{},
		running:     Revisions{},
		badVersions: map[string]int{},
		seedLogs:    []string{"seeded", "fingerprint: " + strings.Repeat("ab", 32)},
	}
}

func (w *world) log(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, fmt.Sprintf(format, args...))
}

func (w *world) Events() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.events...)
}

// ---- builder ----

type fakeBuilder struct{ w *world }

func (b fakeBuilder) Build(_ context.Context, version string, services []string) ([]Image, error) {
	w := b.w
	w.log("build %s %s", version, strings.Join(services, ","))
	if w.buildErr != nil {
		return nil, w.buildErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buildCount++
	var out []Image
	for _, s := range services {
		// Every build makes new content, as docker build does (timestamps).
		w.built[s+":"+version] = fmt.Sprintf("sha256:%s-%s-%d", s, version, w.buildCount)
		out = append(out, Image{Service: s, Version: version, Ref: "local/" + s + ":" + version})
	}
	// Another pusher racing this release (for the immutable-tag test).
	for k, v := range w.concurrentPush {
		w.tags[k] = v
	}
	return out, nil
}

func (b fakeBuilder) Built(_ context.Context, version string, services []string) ([]Image, error) {
	w := b.w
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Image
	for _, s := range services {
		if _, ok := w.built[s+":"+version]; !ok {
			return nil, fmt.Errorf("%s:%s was not built here", s, version)
		}
		out = append(out, Image{Service: s, Version: version, Ref: "local/" + s + ":" + version})
	}
	return out, nil
}

// ---- registry ----

type fakeRegistry struct{ w *world }

func (r fakeRegistry) Digest(_ context.Context, service, tag string) (string, error) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	return r.w.tags[service+":"+tag], nil
}

func (r fakeRegistry) Push(_ context.Context, img Image) (string, error) {
	w := r.w
	w.log("push %s:%s", img.Service, img.Version)
	if w.pushErr != nil {
		return "", w.pushErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	key := img.Service + ":" + img.Version
	d := w.built[key]
	if have, ok := w.tags[key]; ok && have != d {
		return "", fmt.Errorf("%s holds %s, not %s: %w", key, have, d, ErrImmutableTag)
	}
	w.tags[key] = d
	return d, nil
}

// ---- tasks ----

type fakeTasks struct{ w *world }

func (t fakeTasks) Run(ctx context.Context, spec TaskSpec) (TaskResult, error) {
	w := t.w
	w.log("task %s %s:%s %s", spec.Name, spec.Image, spec.Version, strings.Join(spec.Command, " "))
	w.mu.Lock()
	_, ok := w.tags[spec.Image+":"+spec.Version]
	w.mu.Unlock()
	if !ok {
		return TaskResult{}, fmt.Errorf("image %s:%s not found", spec.Image, spec.Version)
	}
	code, logs := 0, []string{"done"}
	switch spec.Name {
	case "migrate":
		code = w.migrateExit
		if code != 0 {
			logs = []string{"applying 0002_items.sql", "ERROR: relation exists"}
		}
	case "seed":
		code, logs = w.seedExit, w.seedLogs
	}
	return TaskResult{
		Containers: []ContainerExit{{Name: spec.Name, ExitCode: code}},
		StopCode:   "EssentialContainerExited", StopReason: "Essential container in task exited",
		Logs: logs,
	}, nil
}

// ---- deployer ----

type fakeDeployer struct{ w *world }

func (d fakeDeployer) Current(context.Context) (Revisions, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	out := Revisions{}
	for k, v := range d.w.running {
		out[k] = v
	}
	return out, nil
}

func (d fakeDeployer) Deploy(ctx context.Context, version string, services []string) error {
	w := d.w
	w.log("deploy %s", version)
	if w.deployHang {
		<-ctx.Done()
		return ctx.Err()
	}
	for i, s := range services {
		if w.deployFailAfter > 0 && i == w.deployFailAfter {
			return fmt.Errorf("service %s: rollout FAILED (circuit breaker)", s)
		}
		w.mu.Lock()
		w.running[s] = Revision{Service: s, Version: version, ID: w.tags[s+":"+version], Replicas: 1}
		w.mu.Unlock()
	}
	return nil
}

func (d fakeDeployer) Restore(_ context.Context, revs Revisions) error {
	w := d.w
	w.log("restore %s", describe(revs))
	if w.restoreErr != nil {
		return w.restoreErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range revs {
		w.running[k] = v
	}
	return nil
}

// ---- prober ----

// fakeProber answers readiness from the running revisions: a service on a
// version listed in badVersions answers that status.
type fakeProber struct {
	w     *world
	delay time.Duration
}

func (p fakeProber) URL() string { return "http://entry.test" }

func (p fakeProber) Get(_ context.Context, path string) (Response, error) {
	time.Sleep(p.delay)
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.HasSuffix(path, "/readyz") {
		svc := strings.TrimSuffix(strings.TrimPrefix(path, "/api/"), "/readyz")
		rev, ok := w.running[svc]
		if !ok {
			return Response{Status: 502}, nil
		}
		if st := w.badVersions[rev.Version]; st != 0 {
			return Response{Status: st}, nil
		}
		return Response{Status: 200, Duration: p.delay}, nil
	}
	switch path {
	case "/":
		return Response{Status: 200, Body: []byte(`<html><script src="/app.js"></script></html>`), Duration: p.delay}, nil
	case "/app.js", "/api/inventory/items":
		return Response{Status: 200, Duration: p.delay}, nil
	}
	return Response{Status: 404}, nil
}

// ---- store ----

type fakeStore struct{ w *world }

func (s fakeStore) Lock(_ context.Context, holder string) (func() error, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.locked != "" {
		return nil, fmt.Errorf("held by %s: %w", w.locked, ErrLocked)
	}
	w.locked = holder
	return func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.locked = ""
		return nil
	}, nil
}

func (s fakeStore) Load(context.Context) (Record, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.record, nil
}

func (s fakeStore) Save(_ context.Context, r Record) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.record = r
	return nil
}

var testServices = []string{"gateway", "inventory", "ui"}

func newPipeline(w *world) *Pipeline {
	return &Pipeline{
		Env:      "test",
		Services: testServices,
		RunTests: func(context.Context) error {
			w.log("test")
			return w.testErr
		},
		Builder:  fakeBuilder{w},
		Registry: fakeRegistry{w},
		Tasks:    fakeTasks{w},
		Deployer: fakeDeployer{w},
		Prober:   fakeProber{w: w},
		Store:    fakeStore{w},
		Migrate:  MigrateConfig{Service: "inventory", Command: []string{"/app", "migrate"}},
		Seed:     &SeedConfig{ExpectedFingerprint: strings.Repeat("ab", 32)},
		Health: HealthConfig{
			Ready: []ReadyCheck{
				{"gateway", "/api/gateway/readyz"}, {"inventory", "/api/inventory/readyz"}, {"ui", "/api/ui/readyz"},
			},
			ReadyTimeout: 300 * time.Millisecond,
			PollInterval: 20 * time.Millisecond,
			SmokePath:    "/api/inventory/items",
			PagePath:     "/",
		},
		Holder: "test-holder",
	}
}

var errBoom = errors.New("boom")
