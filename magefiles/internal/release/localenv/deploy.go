package localenv

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// LivenessPath is what a new replica must answer 200 on (over its published
// port) before an old one is stopped: the process is up and serving. Readiness
// (PostgreSQL and Redis answer) is the Health step's question, asked through
// the entry — as on AWS, where the deploy waits for running tasks and the
// health check judges the release.
const LivenessPath = "/healthz"

// Prepare returns each artifact's revision: locally what runs is the image by
// digest, so preparing registers nothing and is idempotent by construction.
func (e *Env) Prepare(_ context.Context, arts pipeline.Artifacts) (pipeline.Revisions, error) {
	out := pipeline.Revisions{}
	for n, a := range arts {
		if !a.Present() {
			return nil, fmt.Errorf("%s:%s is not in the registry", n, a.Version)
		}
		reps := e.o.Replicas
		if n == pipeline.SeederImage {
			reps = 0
		} else if _, ok := e.m.Service(n); !ok {
			return nil, fmt.Errorf("%s: not a service of the manifest", n)
		}
		out[n] = pipeline.Revision{Service: n, Version: a.Version, ID: a.Ref, Replicas: reps}
	}
	return out, nil
}

// Current reads every service's state from its replicas' labels. The
// revision reported is replica 1's (the first one a rollout replaces);
// replicas on another revision count as Other; Replicas is how many run.
func (e *Env) Current(ctx context.Context) (pipeline.States, error) {
	cs, err := e.eng.list(ctx, e.o.Name, "service", "")
	if err != nil {
		return nil, err
	}
	by := map[string][]ctr{}
	for _, c := range cs {
		if c.Running {
			by[c.Labels[LabelService]] = append(by[c.Labels[LabelService]], c)
		}
	}
	out := pipeline.States{}
	for svc, rs := range by {
		sort.Slice(rs, func(i, j int) bool { return rs[i].replica() < rs[j].replica() })
		l := rs[0].Labels
		st := pipeline.ServiceState{Service: svc, Revision: pipeline.Revision{
			Service: svc, Version: l[LabelVersion], ID: l[LabelRevision], Replicas: len(rs)}}
		for _, c := range rs {
			if c.Labels[LabelRevision] == st.Revision.ID {
				st.Running++
			} else {
				st.Other++
			}
		}
		out[svc] = st
	}
	return out, nil
}

// Roll moves every listed service to its revision, all services at once,
// each replica by replica; a stop removes the service's replicas.
func (e *Env) Roll(ctx context.Context, revs pipeline.Revisions) error {
	names := make([]string, 0, len(revs))
	for n := range revs {
		names = append(names, n)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, s := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if revs[s].IsStop() {
				errs[i] = e.stopService(ctx, s)
			} else {
				errs[i] = e.rollService(ctx, revs[s])
			}
		}()
	}
	wg.Wait()
	return joinErrors(errs)
}

// joinErrors wraps every error (errors.Is and As see each) in one line.
func joinErrors(errs []error) error {
	var es multiError
	for _, err := range errs {
		if err != nil {
			es = append(es, err)
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

type multiError []error

func (m multiError) Error() string {
	parts := make([]string, len(m))
	for i, err := range m {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (m multiError) Unwrap() []error { return m }

func (e *Env) stopService(ctx context.Context, svc string) error {
	cur, err := e.eng.list(ctx, e.o.Name, "service", svc)
	if err != nil {
		return fmt.Errorf("%s: %w", svc, err)
	}
	for _, c := range cur {
		if err := e.eng.remove(ctx, c.Name, true); err != nil {
			return fmt.Errorf("%s: %w", svc, err)
		}
	}
	if len(cur) > 0 {
		e.logf("    %s: stopped (%d replicas removed)", svc, len(cur))
	}
	return nil
}

// rollService replaces a service's replicas one at a time: start the new
// replica, wait until it is live, only then stop the old one. A replica that
// does not come up is removed and the old ones keep serving. Replicas are
// named <env>-<service>-<n>-<revision> and never renamed (renaming a
// container attached to a network is where the engine has leaked endpoints).
func (e *Env) rollService(ctx context.Context, t pipeline.Revision) error {
	start := time.Now()
	svc := t.Service
	n := t.Replicas
	if n <= 0 {
		n = e.o.Replicas
	}
	cur, err := e.eng.list(ctx, e.o.Name, "service", svc)
	if err != nil {
		return fmt.Errorf("%s: %w", svc, err)
	}
	from := ""
	for _, c := range cur {
		if c.Running && from == "" {
			from = c.Labels[LabelVersion]
		}
	}
	rest := map[string]ctr{}
	for _, c := range cur {
		rest[c.Name] = c
	}
	changed := 0
	for i := 1; i <= n; i++ {
		name := e.containerName(svc, strconv.Itoa(i), shortRevision(t.ID))
		if c, ok := rest[name]; ok && c.Running {
			delete(rest, name) // already on the target revision
		} else {
			if ok {
				_ = e.eng.remove(ctx, name, false) // a stopped leftover
				delete(rest, name)
			}
			if err := e.startReplica(ctx, t, i, name); err != nil {
				return err
			}
			changed++
		}
		// Only now that replica i of the target serves, the old replica i goes.
		for _, cname := range slices.Sorted(maps.Keys(rest)) {
			if rest[cname].replica() == i {
				if err := e.eng.remove(ctx, cname, true); err != nil {
					return fmt.Errorf("%s: %w", svc, err)
				}
				delete(rest, cname)
				changed++
			}
		}
	}
	// Scale down, and sweep leftovers of an interrupted rollout.
	for _, cname := range slices.Sorted(maps.Keys(rest)) {
		if err := e.eng.remove(ctx, cname, true); err != nil {
			return fmt.Errorf("%s: %w", svc, err)
		}
		changed++
	}
	if changed == 0 {
		e.logf("    %s: already on %s ×%d", svc, t.Version, n)
		return nil
	}
	if from == "" {
		from = "nothing"
	}
	e.logf("    %s: %s → %s ×%d (%s)", svc, from, t.Version, n, since(start))
	return nil
}

// shortRevision is the first 12 hex digits of a revision's digest.
func shortRevision(id string) string {
	if i := strings.LastIndex(id, "sha256:"); i >= 0 && len(id) >= i+7+12 {
		return id[i+7 : i+7+12]
	}
	return "rev"
}

func (e *Env) startReplica(ctx context.Context, t pipeline.Revision, i int, name string) error {
	svc := t.Service
	s, ok := e.m.Service(svc)
	if !ok {
		return fmt.Errorf("%s: not in the manifest", svc)
	}
	spec := runSpec{
		Name: name, Image: t.ID, Network: e.network(), Aliases: []string{svc},
		Publish: []string{fmt.Sprintf("127.0.0.1::%d", s.Port)}, Restart: "unless-stopped",
		Labels: map[string]string{LabelEnv: e.o.Name, LabelRole: "service", LabelService: svc,
			LabelVersion: t.Version, LabelRevision: t.ID, LabelReplica: strconv.Itoa(i)},
		Env: e.serviceEnv(t.Version),
	}
	if err := e.eng.run(ctx, spec); err != nil {
		return fmt.Errorf("%s: starting replica %d of %s: %w", svc, i, t.Version, err)
	}
	if err := e.live(ctx, name, s.Port); err != nil {
		logs := e.tail(ctx, name, 8)
		_ = e.eng.remove(context.WithoutCancel(ctx), name, false)
		return fmt.Errorf("%s: replica %d of %s did not come up: %w; last lines: %s", svc, i, t.Version, err, strings.Join(logs, " | "))
	}
	return nil
}

// serviceEnv is what every service and task container gets; the URLs carry
// the stores' passwords, so they travel as runSpec.Env (never in argv).
func (e *Env) serviceEnv(version string) map[string]string {
	return map[string]string{
		"APP_ENV":      "local",
		"APP_VERSION":  version,
		"DATABASE_URL": e.o.Stores.NetworkPostgresURL,
		"REDIS_URL":    e.o.Stores.NetworkRedisURL,
	}
}

// waitLive polls the replica's liveness path over its published port until
// it answers 200, the container exits, or ReplicaTimeout passes.
func (e *Env) waitLive(ctx context.Context, name string, port int) error {
	ctx, cancel := context.WithTimeout(ctx, e.o.ReplicaTimeout)
	defer cancel()
	hostPort, err := e.eng.hostPort(ctx, name, port)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(hostPort, "127.0.0.1:") {
		return fmt.Errorf("published on %q, not on 127.0.0.1", hostPort)
	}
	url := "http://" + hostPort + LivenessPath
	last := "no answer"
	var checked time.Time
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s answered %d", LivenessPath, resp.StatusCode)
		} else {
			last = err.Error()
		}
		// Whether the container exited is a docker CLI call: asked once a
		// second, not at every probe (on a loaded machine a replica takes
		// seconds to answer, and each call is the CLI's start).
		if time.Since(checked) >= time.Second {
			checked = time.Now()
			if st, err := e.eng.state(ctx, name); err == nil && st.Status == "exited" {
				return fmt.Errorf("the container exited (status %d)", st.ExitCode)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not live after %s: %s", e.o.ReplicaTimeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a container's output.
func (e *Env) tail(ctx context.Context, name string, n int) []string {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ls, err := e.eng.logs(cctx, name, n)
	if err != nil {
		return []string{"(no logs: " + err.Error() + ")"}
	}
	return ls
}
