package localenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

type ctr struct {
	Name    string
	Running bool
	Status  string
	Labels  map[string]string
}

func (c ctr) replica() int {
	n, _ := strconv.Atoi(c.Labels[LabelReplica])
	return n
}

// list returns this environment's containers of a role (and service).
func (e *Env) list(ctx context.Context, role, service string) ([]ctr, error) {
	args := []string{"ps", "-a", "-q", "--no-trunc", "--filter", "label=" + LabelEnv + "=" + e.o.Name, "--filter", "label=" + LabelRole + "=" + role}
	if service != "" {
		args = append(args, "--filter", "label="+LabelService+"="+service)
	}
	ids, err := docker(ctx, args...)
	if err != nil {
		return nil, err
	}
	if ids == "" {
		return nil, nil
	}
	out, err := docker(ctx, append([]string{"inspect"}, strings.Fields(ids)...)...)
	if err != nil {
		return nil, err
	}
	var raw []struct {
		Name  string
		State struct {
			Running bool
			Status  string
		}
		Config struct{ Labels map[string]string }
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return nil, fmt.Errorf("docker inspect: %w", err)
	}
	cs := make([]ctr, 0, len(raw))
	for _, r := range raw {
		cs = append(cs, ctr{Name: strings.TrimPrefix(r.Name, "/"), Running: r.State.Running, Status: r.State.Status, Labels: r.Config.Labels})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs, nil
}

// Current reads every service's revision from its running replicas' labels.
func (e *Env) Current(ctx context.Context) (pipeline.Revisions, error) {
	cs, err := e.list(ctx, "service", "")
	if err != nil {
		return nil, err
	}
	revs := pipeline.Revisions{}
	for _, c := range cs {
		if !c.Running {
			continue
		}
		svc := c.Labels[LabelService]
		r, seen := revs[svc]
		// Mixed revisions only happen inside an interrupted rollout; the
		// revision of replica 1 (the first replaced) is reported then.
		if !seen || c.replica() == 1 {
			r = pipeline.Revision{Service: svc, Version: c.Labels[LabelVersion], ID: c.Labels[LabelRevision], Replicas: r.Replicas}
		}
		r.Replicas++
		revs[svc] = r
	}
	return revs, nil
}

// Deploy rolls every service to the version's images (by digest), all
// services at once, each replica by replica.
func (e *Env) Deploy(ctx context.Context, version string, services []string) error {
	targets := pipeline.Revisions{}
	for _, s := range services {
		d, err := e.Digest(ctx, s, version)
		if err != nil {
			return err
		}
		if d == "" {
			return fmt.Errorf("%s:%s is not in the registry", s, version)
		}
		targets[s] = pipeline.Revision{Service: s, Version: version, ID: e.digestRef(s, d), Replicas: e.o.Replicas}
	}
	return e.roll(ctx, services, targets)
}

// Restore puts each listed service back on its recorded revision.
func (e *Env) Restore(ctx context.Context, revs pipeline.Revisions) error {
	names := make([]string, 0, len(revs))
	for n := range revs {
		names = append(names, n)
	}
	sort.Strings(names)
	return e.roll(ctx, names, revs)
}

func (e *Env) digestRef(service, digest string) string {
	return e.RegistryHost() + "/" + e.repo(service) + "@" + digest
}

func (e *Env) roll(ctx context.Context, services []string, targets pipeline.Revisions) error {
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	for i, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.rollService(ctx, targets[s])
		}()
	}
	wg.Wait()
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
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
	cur, err := e.list(ctx, "service", svc)
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
				_, _ = docker(ctx, "rm", "-f", name) // a stopped leftover
				delete(rest, name)
			}
			if err := e.startReplica(ctx, t, i, name); err != nil {
				return err
			}
			changed++
		}
		// Only now that replica i of the target serves, the old replica i goes.
		for cname, c := range rest {
			if c.replica() == i {
				if err := stopAndRemove(ctx, cname); err != nil {
					return fmt.Errorf("%s: %w", svc, err)
				}
				delete(rest, cname)
				changed++
			}
		}
	}
	// Scale down, and sweep leftovers of an interrupted rollout.
	for cname := range rest {
		if err := stopAndRemove(ctx, cname); err != nil {
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

// stopAndRemove stops a replica with SIGTERM first (the service drains its
// in-flight requests), then removes it.
func stopAndRemove(ctx context.Context, name string) error {
	if _, err := docker(ctx, "stop", "-t", "10", name); err != nil && !strings.Contains(err.Error(), "No such container") {
		return fmt.Errorf("stopping %s: %w", name, err)
	}
	if _, err := docker(ctx, "rm", "-f", name); err != nil && !strings.Contains(err.Error(), "No such container") {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}

func (e *Env) startReplica(ctx context.Context, t pipeline.Revision, i int, name string) error {
	svc := t.Service
	s, ok := e.m.Service(svc)
	if !ok {
		return fmt.Errorf("%s: not in the manifest", svc)
	}
	args := []string{"run", "-d", "--name", name, "--network", e.network(), "--network-alias", svc,
		"-p", fmt.Sprintf("127.0.0.1::%d", s.Port), "--restart", "unless-stopped"}
	args = append(args, labels(LabelEnv, e.o.Name, LabelRole, "service", LabelService, svc,
		LabelVersion, t.Version, LabelRevision, t.ID, LabelReplica, strconv.Itoa(i))...)
	for _, kv := range e.serviceEnv(t.Version) {
		args = append(args, "-e", kv)
	}
	args = append(args, t.ID)
	if _, err := docker(ctx, args...); err != nil {
		return fmt.Errorf("%s: starting replica %d of %s: %w", svc, i, t.Version, err)
	}
	if err := e.waitLive(ctx, name, s.Port); err != nil {
		logs := e.tail(ctx, name, 8)
		_, _ = docker(context.WithoutCancel(ctx), "rm", "-f", name)
		return fmt.Errorf("%s: replica %d of %s did not come up: %v; last lines: %s", svc, i, t.Version, err, strings.Join(logs, " | "))
	}
	return nil
}

func (e *Env) serviceEnv(version string) []string {
	return []string{
		"APP_ENV=local",
		"APP_VERSION=" + version,
		"DATABASE_URL=" + e.o.Stores.NetworkPostgresURL,
		"REDIS_URL=" + e.o.Stores.NetworkRedisURL,
	}
}

// waitLive polls the replica's liveness path over its published port until
// it answers 200, the container exits, or ReplicaTimeout passes.
func (e *Env) waitLive(ctx context.Context, name string, port int) error {
	ctx, cancel := context.WithTimeout(ctx, e.o.ReplicaTimeout)
	defer cancel()
	hostPort, err := docker(ctx, "port", name, fmt.Sprintf("%d/tcp", port))
	if err != nil {
		return err
	}
	hostPort = strings.Fields(hostPort + " ")[0]
	if !strings.HasPrefix(hostPort, "127.0.0.1:") {
		return fmt.Errorf("published on %q, not on 127.0.0.1", hostPort)
	}
	url := "http://" + hostPort + LivenessPath
	last := "no answer"
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
		if st, err := docker(ctx, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name); err == nil && strings.HasPrefix(st, "exited") {
			return fmt.Errorf("the container exited (status %s)", strings.TrimPrefix(st, "exited "))
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
	out, err := dockerCombined(cctx, "logs", "--tail", strconv.Itoa(n), name)
	if err != nil {
		return []string{"(no logs: " + err.Error() + ")"}
	}
	var ls []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}
