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
// the prepared revisions, what runs, the record, the lease, and the ordered
// log of every state-changing call, which the tests compare with literal
// expectations. The fakes behave as the AWS backend will: Prepare registers
// numbered revisions per service (task definitions), reusing one for the
// same digest; Roll changes what Current reports.
type world struct {
	mu     sync.Mutex
	events []string

	// built: "svc:version" → content digest of the locally built image.
	built map[string]string
	// tags: "svc:version" → digest in the registry.
	tags map[string]string
	// revisions: "svc@digest" → prepared revision ID ("td/svc:N").
	revisions map[string]string
	families  map[string]int
	// running: service → state.
	running  States
	replicas int

	record Record
	lease  *Lease
	leases int // leases taken (each one's token)
	token  int // the token of the stored lease
	now    time.Time

	resolves int // calls to Registry.Resolve
	renewals int // successful lease renewals

	// failures to inject
	testErr, buildErr, pushErr error
	migrateExit, seedExit      int
	seedLogs                   []string
	rollFailAfter              int             // fail Roll after this many services (0 = never)
	rollHang                   bool            // Roll blocks until ctx ends
	rollIgnores                map[string]bool // services Roll silently leaves alone (returning nil)
	restoreErr                 error           // Roll fails from the second call on
	rolls                      int
	badVersions                map[string]int // version → status its readiness answers
	concurrentPush             map[string]string
	buildCount                 int
}

func newWorld() *world {
	return &world{
		built:       map[string]string{},
		tags:        map[string]string{},
		revisions:   map[string]string{},
		families:    map[string]int{},
		running:     States{},
		replicas:    1,
		badVersions: map[string]int{},
		rollIgnores: map[string]bool{},
		now:         time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
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

func artifact(service, version, digest string) Artifact {
	if digest == "" {
		return Artifact{Service: service, Version: version}
	}
	return Artifact{Service: service, Version: version, Digest: digest, Ref: "reg/" + service + "@" + digest}
}

func (r fakeRegistry) Resolve(_ context.Context, version string, images []string) (Artifacts, error) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	r.w.resolves++
	out := Artifacts{}
	for _, s := range images {
		out[s] = artifact(s, version, r.w.tags[s+":"+version])
	}
	return out, nil
}

func (r fakeRegistry) Push(_ context.Context, img Image) (Artifact, error) {
	w := r.w
	w.log("push %s:%s", img.Service, img.Version)
	if w.pushErr != nil {
		return Artifact{}, w.pushErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	key := img.Service + ":" + img.Version
	d := w.built[key]
	if have, ok := w.tags[key]; ok && have != d {
		return Artifact{}, fmt.Errorf("%s holds %s, not %s: %w", key, have, d, ErrImmutableTag)
	}
	w.tags[key] = d
	return artifact(img.Service, img.Version, d), nil
}

// ---- tasks ----

type fakeTasks struct{ w *world }

func (t fakeTasks) Run(ctx context.Context, spec TaskSpec) (TaskResult, error) {
	w := t.w
	w.log("task %s %s %s", spec.Name, spec.Revision.ID, strings.Join(spec.Command, " "))
	w.mu.Lock()
	known := false
	for _, id := range w.revisions {
		known = known || id == spec.Revision.ID
	}
	w.mu.Unlock()
	if !known {
		return TaskResult{}, fmt.Errorf("revision %q was never prepared", spec.Revision.ID)
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
	default: // the contract suite's tasks
		if len(spec.Command) > 0 && spec.Command[0] == "false" {
			code = 1
		}
	}
	return TaskResult{
		Containers: []ContainerExit{{Name: spec.Name, ExitCode: code}},
		StopCode:   "EssentialContainerExited", StopReason: "Essential container in task exited",
		Logs: logs,
	}, nil
}

// ---- deployer ----

type fakeDeployer struct{ w *world }

func (d fakeDeployer) Prepare(_ context.Context, arts Artifacts) (Revisions, error) {
	w := d.w
	names := sortedNames(arts)
	w.log("prepare %s %s", strings.Join(names, ","), arts[names[0]].Version)
	w.mu.Lock()
	defer w.mu.Unlock()
	out := Revisions{}
	for _, n := range names {
		a := arts[n]
		key := n + "@" + a.Digest
		id, ok := w.revisions[key]
		if !ok {
			w.families[n]++
			id = fmt.Sprintf("td/%s:%d", n, w.families[n])
			w.revisions[key] = id
		}
		reps := w.replicas
		if n == SeederImage {
			reps = 0
		}
		out[n] = Revision{Service: n, Version: a.Version, ID: id, Replicas: reps}
	}
	return out, nil
}

func (d fakeDeployer) Current(context.Context) (States, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	out := States{}
	for k, v := range d.w.running {
		out[k] = v
	}
	return out, nil
}

func (d fakeDeployer) Roll(ctx context.Context, revs Revisions) error {
	w := d.w
	names := sortedNames(revs)
	var parts []string
	for _, n := range names {
		if revs[n].IsStop() {
			parts = append(parts, n+" stop")
		} else {
			parts = append(parts, n+" "+revs[n].Version)
		}
	}
	w.log("roll %s", strings.Join(parts, ", "))
	w.mu.Lock()
	w.rolls++
	first := w.rolls == 1
	w.mu.Unlock()
	if w.rollHang && first {
		<-ctx.Done()
		return ctx.Err()
	}
	if w.restoreErr != nil && !first {
		return w.restoreErr
	}
	for i, s := range names {
		if first && w.rollFailAfter > 0 && i == w.rollFailAfter {
			return fmt.Errorf("service %s: rollout FAILED (circuit breaker)", s)
		}
		if w.rollIgnores[s] {
			continue // the lying backend: nil, and nothing changed
		}
		w.mu.Lock()
		if revs[s].IsStop() {
			delete(w.running, s)
		} else {
			w.running[s] = ServiceState{Service: s, Revision: revs[s], Running: revs[s].Replicas}
		}
		w.mu.Unlock()
	}
	return nil
}

// ---- prober ----

// fakeProber answers readiness from what runs: a service on a version
// listed in badVersions answers that status.
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
		st, ok := w.running[svc]
		if !ok {
			return Response{Status: 502}, nil
		}
		if code := w.badVersions[st.Revision.Version]; code != 0 {
			return Response{Status: code}, nil
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

// fakeStore keeps a lease as the AWS backend will (a stored item with an
// expiry, on the world's clock), so the stale case can be tested.
type fakeStore struct{ w *world }

type fakeHeld struct {
	w     *world
	token int
	ttl   time.Duration
	lease Lease
}

func (s fakeStore) Lock(_ context.Context, holder string, ttl time.Duration) (Held, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lease != nil {
		return nil, &LockedError{Lease: *w.lease, Stale: w.now.After(w.lease.Expires), Where: "fake"}
	}
	w.leases++
	w.token = w.leases
	w.lease = &Lease{Holder: holder, Since: w.now, Expires: w.now.Add(ttl)}
	return &fakeHeld{w: w, token: w.token, ttl: ttl, lease: *w.lease}, nil
}

func (h *fakeHeld) Lease() Lease { return h.lease }

func (h *fakeHeld) Renew(context.Context) error {
	w := h.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lease == nil || w.token != h.token {
		return fmt.Errorf("lease of %s: %w", h.lease.Holder, ErrLeaseLost)
	}
	w.lease.Expires = w.now.Add(h.ttl)
	w.renewals++
	h.lease = *w.lease
	return nil
}

func (h *fakeHeld) Unlock(context.Context) error {
	w := h.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lease != nil && w.token == h.token {
		w.lease = nil
	}
	return nil
}

func (s fakeStore) Break(context.Context) (Lease, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lease == nil {
		return Lease{}, nil
	}
	l := *w.lease
	w.lease = nil
	w.token = 0
	return l, nil
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

// holdLease makes another process hold the lease (expired when stale).
func (w *world) holdLease(holder string, stale bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	exp := w.now.Add(time.Minute)
	if stale {
		exp = w.now.Add(-time.Minute)
	}
	w.leases++
	w.token = w.leases
	w.lease = &Lease{Holder: holder, Since: w.now.Add(-time.Hour), Expires: exp}
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
		Builder:   fakeBuilder{w},
		Registry:  fakeRegistry{w},
		Tasks:     fakeTasks{w},
		Deployer:  fakeDeployer{w},
		Prober:    fakeProber{w: w},
		Store:     fakeStore{w},
		Migration: MigrateConfig{Service: "inventory", Command: []string{"/app", "migrate"}},
		Seeder:    &SeedConfig{ExpectedFingerprint: strings.Repeat("ab", 32)},
		HealthCheck: HealthConfig{
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
