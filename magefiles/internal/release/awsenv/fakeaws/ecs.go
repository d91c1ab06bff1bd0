package fakeaws

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timings of the modelled ECS, in fake time.
const (
	// A task is PROVISIONING for 5 s, PENDING for 5 s, then RUNNING.
	taskProvisioning = 5 * time.Second
	taskPending      = 5 * time.Second
	// DefaultTaskRun is how long a one-off task runs when its Outcome does
	// not say.
	DefaultTaskRun = 20 * time.Second
	// serviceTaskStart is how long each new service task takes to become
	// healthy (or to fail) during a rollout.
	serviceTaskStart = 15 * time.Second
)

// Behaviour is what a revision does when it runs as a service.
type Behaviour int

const (
	// Healthy revisions start and answer 200 on the URL.
	Healthy Behaviour = iota
	// Broken revisions start (ECS sees them healthy) but the URL answers 503.
	Broken
	// Failing revisions' tasks fail to start: the circuit breaker trips.
	Failing
	// Stalling revisions' tasks stay PENDING forever: the rollout never ends.
	Stalling
)

type cluster struct{ name, arn string }

type deployment struct {
	id, status, td                 string
	desired, running, pending, bad int
	// base is how many tasks ran when the rollout (or a scale-out) began.
	base             int
	rollout, reason  string
	created, updated time.Time
}

type event struct {
	id, msg string
	at      time.Time
}

type service struct {
	name, arn, cluster, td string
	desired                int
	breaker, rollback      bool
	capacity               any
	network                any
	deployments            []*deployment // [0] is PRIMARY
	events                 []event       // newest first
}

type task struct {
	arn, cluster, td, family string
	created                  time.Time
	containers               []string
	outcome                  Outcome
	logs                     map[string]string // container → group|stream
	startedBy                string
	capacity                 any
	logged                   bool
}

// TaskRun describes a RunTask to the test's outcome function.
type TaskRun struct {
	Family         string
	TaskDefinition string
	// Commands are the command overrides by container (nil: the image's).
	Commands map[string][]string
	Images   map[string]string
}

// Outcome is how a one-off task ends.
type Outcome struct {
	// ExitCodes by container; absent containers exit 0.
	ExitCodes map[string]int
	// StopCode ["EssentialContainerExited"]; "TaskFailedToStart" means no
	// container ran (no exit codes).
	StopCode, StoppedReason string
	// Logs are written to each container's awslogs stream when it stops.
	Logs []string
	// RunFor is how long the task is RUNNING [DefaultTaskRun].
	RunFor time.Duration
	// Never makes the task run forever.
	Never bool
}

type ecsState struct {
	clusters map[string]*cluster
	families map[string][]map[string]any // family → revisions (1-based: index+1)
	services map[string]*service         // cluster/name
	tasks    map[string]*task
	order    []string
}

func newECS() *ecsState {
	return &ecsState{clusters: map[string]*cluster{}, families: map[string][]map[string]any{}, services: map[string]*service{}, tasks: map[string]*task{}}
}

// SetTaskOutcome decides how every later one-off task ends.
func (f *Fake) SetTaskOutcome(fn func(TaskRun) Outcome) {
	f.mu.Lock()
	f.taskOutcome = fn
	f.mu.Unlock()
}

// MarkRevision sets how revisions behave as services: selector is a task
// definition ARN, or a substring of one of its container images
// ("gateway:v1.2.0").
func (f *Fake) MarkRevision(selector string, b Behaviour) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.broken, selector)
	delete(f.failing, selector)
	delete(f.stalling, selector)
	switch b {
	case Broken:
		f.broken[selector] = true
	case Failing:
		f.failing[selector] = true
	case Stalling:
		f.stalling[selector] = true
	}
}

func (f *Fake) behaviour(rg *region, tdARN string) Behaviour {
	td := rg.ecs.lookupTD(tdARN)
	// ECS fetches a task's secrets before starting it: a revision naming a
	// secret without a current value cannot start a task.
	if _, missing := rg.secrets.missing(td); missing {
		return Failing
	}
	match := func(m map[string]bool) bool {
		if m[tdARN] {
			return true
		}
		for sel := range m {
			for _, img := range images(td) {
				if strings.Contains(img, sel) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case match(f.failing):
		return Failing
	case match(f.stalling):
		return Stalling
	case match(f.broken):
		return Broken
	}
	return Healthy
}

func images(td map[string]any) []string {
	var out []string
	cds, _ := td["containerDefinitions"].([]any)
	for _, c := range cds {
		if m, ok := c.(map[string]any); ok {
			if s, ok := m["image"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func (s *ecsState) lookupTD(ref string) map[string]any {
	fam, rev := ref, 0
	if i := strings.Index(ref, ":task-definition/"); i >= 0 {
		fam = ref[i+len(":task-definition/"):]
	}
	if f, r, ok := strings.Cut(fam, ":"); ok {
		n, err := strconv.Atoi(r)
		if err != nil {
			return nil
		}
		fam, rev = f, n
	}
	revs := s.families[fam]
	if len(revs) == 0 {
		return nil
	}
	if rev == 0 {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i]["status"] == "ACTIVE" {
				return revs[i]
			}
		}
		return nil
	}
	if rev > len(revs) {
		return nil
	}
	return revs[rev-1]
}

func (s *ecsState) cluster(ref string) (*cluster, error) {
	if ref == "" {
		ref = "default"
	}
	name := ref
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		name = ref[i+1:]
	}
	c := s.clusters[name]
	if c == nil {
		return nil, clientErr("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

func (f *Fake) ecsOp(rg *region, op string, body []byte) (any, error) {
	s := rg.ecs
	f.advance(rg)
	switch op {
	case "RegisterTaskDefinition":
		var in map[string]any
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		td, err := f.register(rg, in)
		if err != nil {
			return nil, err
		}
		return map[string]any{"taskDefinition": td, "tags": []any{}}, nil
	case "DescribeTaskDefinition":
		var in struct{ TaskDefinition string }
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		td := s.lookupTD(in.TaskDefinition)
		if td == nil {
			return nil, clientErr("ClientException", "Unable to describe task definition.")
		}
		return map[string]any{"taskDefinition": td, "tags": []any{}}, nil
	case "DescribeServices":
		var in struct {
			Cluster  string
			Services []string
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		c, err := s.cluster(in.Cluster)
		if err != nil {
			return nil, err
		}
		if len(in.Services) == 0 || len(in.Services) > 10 {
			return nil, clientErr("InvalidParameterException", "services: between 1 and 10 names")
		}
		svcs, fails := []any{}, []any{}
		for _, name := range in.Services {
			sv := s.services[c.name+"/"+baseName(name)]
			if sv == nil {
				fails = append(fails, map[string]any{"arn": f.arn(rg, "ecs", "service/"+c.name+"/"+baseName(name)), "reason": "MISSING"})
				continue
			}
			svcs = append(svcs, f.serviceJSON(sv))
		}
		return map[string]any{"services": svcs, "failures": fails}, nil
	case "UpdateService":
		var in struct {
			Cluster, Service, TaskDefinition string
			DesiredCount                     *int
			ForceNewDeployment               bool
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		c, err := s.cluster(in.Cluster)
		if err != nil {
			return nil, err
		}
		sv := s.services[c.name+"/"+baseName(in.Service)]
		if sv == nil {
			return nil, clientErr("ServiceNotFoundException", "Service not found.")
		}
		scaled := in.DesiredCount != nil && *in.DesiredCount != sv.desired
		if in.DesiredCount != nil {
			sv.desired = *in.DesiredCount
		}
		td := sv.td
		if in.TaskDefinition != "" {
			t := s.lookupTD(in.TaskDefinition)
			if t == nil {
				return nil, clientErr("InvalidParameterException", "TaskDefinition not found.")
			}
			td = t["taskDefinitionArn"].(string)
		}
		if td != sv.deployments[0].td || in.ForceNewDeployment {
			f.startDeployment(sv, td, "")
		} else if scaled {
			// Scaling is no new deployment: the PRIMARY one's desired count
			// changes; tasks stop at once, new ones start one by one.
			p := sv.deployments[0]
			now := f.Clock.Now()
			p.desired = sv.desired
			if p.running >= p.desired {
				p.running, p.pending = p.desired, 0
			} else {
				p.base, p.created, p.rollout, p.pending = p.running, now, "IN_PROGRESS", p.desired-p.running
			}
			p.updated = now
		}
		return map[string]any{"service": f.serviceJSON(sv)}, nil
	case "RunTask":
		return f.runTask(rg, body)
	case "DescribeTasks":
		var in struct {
			Cluster string
			Tasks   []string
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		if _, err := s.cluster(in.Cluster); err != nil {
			return nil, err
		}
		if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
			return nil, clientErr("InvalidParameterException", "tasks: between 1 and 100")
		}
		out, fails := []any{}, []any{}
		for _, ref := range in.Tasks {
			t := s.tasks[baseName(ref)]
			if t == nil {
				fails = append(fails, map[string]any{"arn": ref, "reason": "MISSING"})
				continue
			}
			out = append(out, f.taskJSON(t))
		}
		return map[string]any{"tasks": out, "failures": fails}, nil
	}
	return nil, clientErr("UnknownOperationException", "ecs:%s is not modelled", op)
}

func baseName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func (f *Fake) register(rg *region, in map[string]any) (map[string]any, error) {
	s := rg.ecs
	fam, _ := in["family"].(string)
	if fam == "" {
		return nil, clientErr("ClientException", "Family is required.")
	}
	cds, _ := in["containerDefinitions"].([]any)
	if len(cds) == 0 {
		return nil, clientErr("ClientException", "Container list cannot be empty.")
	}
	for _, c := range cds {
		m, _ := c.(map[string]any)
		if m["name"] == nil || m["image"] == nil {
			return nil, clientErr("ClientException", "Container.name and Container.image should not be null or empty.")
		}
	}
	delete(in, "tags")
	td := map[string]any{}
	for k, v := range in {
		td[k] = v
	}
	rev := len(s.families[fam]) + 1
	td["revision"] = rev
	td["taskDefinitionArn"] = f.arn(rg, "ecs", fmt.Sprintf("task-definition/%s:%d", fam, rev))
	td["status"] = "ACTIVE"
	td["registeredAt"] = epoch(f.Clock.Now())
	td["registeredBy"] = "arn:aws:sts::" + f.o.Account + ":assumed-role/equiptrack-deploy/release"
	td["compatibilities"] = []any{"EC2", "FARGATE"}
	td["requiresAttributes"] = []any{map[string]any{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}}
	s.families[fam] = append(s.families[fam], td)
	return td, nil
}

func (f *Fake) startDeployment(sv *service, td, why string) {
	now := f.Clock.Now()
	for _, d := range sv.deployments {
		d.status = "ACTIVE"
	}
	d := &deployment{id: "ecs-svc/" + randomDigits(19), status: "PRIMARY", td: td, desired: sv.desired, pending: sv.desired,
		rollout: "IN_PROGRESS", reason: "ECS deployment " + "in progress.", created: now, updated: now}
	sv.deployments = append([]*deployment{d}, sv.deployments...)
	sv.td = td
	if why != "" {
		sv.event(now, why)
	}
}

func (sv *service) event(at time.Time, msg string) {
	sv.events = append([]event{{id: randomHex(8), msg: "(service " + sv.name + ") " + msg, at: at}}, sv.events...)
	if len(sv.events) > 100 {
		sv.events = sv.events[:100]
	}
}

func randomDigits(n int) string {
	h := randomHex(n)
	var b strings.Builder
	for _, c := range h[:n] {
		b.WriteByte('0' + byte(c)%10)
	}
	return b.String()
}

// circuitBreakerThreshold is ECS's documented failure threshold:
// max(3, min(200, ceil(desired/2))).
func circuitBreakerThreshold(desired int) int {
	t := (desired + 1) / 2
	return max(3, min(200, t))
}

// advance moves every service and task to the clock's now.
func (f *Fake) advance(rg *region) {
	now := f.Clock.Now()
	for _, key := range slices.Sorted(maps.Keys(rg.ecs.services)) {
		sv := rg.ecs.services[key]
		p := sv.deployments[0]
		if p.rollout != "IN_PROGRESS" {
			continue
		}
		steps := int(now.Sub(p.created) / serviceTaskStart)
		switch f.behaviour(rg, p.td) {
		case Stalling:
			p.running, p.pending = 0, p.desired
		case Failing:
			p.bad, p.pending = steps, p.desired
			if sv.breaker && p.bad >= circuitBreakerThreshold(p.desired) {
				p.rollout, p.reason, p.updated = "FAILED", "ECS deployment circuit breaker: tasks failed to start.", now
				p.pending = 0
				sv.event(now, fmt.Sprintf("deployment %s deployment failed: tasks failed to start.", p.id))
				if stable := sv.lastStable(); sv.rollback && stable != "" {
					sv.event(now, fmt.Sprintf("rolling back to deployment with task definition %s.", stable))
					f.startDeployment(sv, stable, "")
				}
			}
		default:
			p.running = min(p.desired, p.base+steps)
			p.pending = p.desired - p.running
			if p.running == p.desired {
				p.rollout, p.reason, p.updated = "COMPLETED", "ECS deployment "+p.id+" completed.", now
				sv.deployments = sv.deployments[:1]
				sv.event(now, "has reached a steady state.")
			}
		}
	}
	for _, id := range rg.ecs.order {
		t := rg.ecs.tasks[id]
		if !t.logged && f.taskStatus(t, now) == "STOPPED" {
			t.logged = true
			for _, c := range t.containers {
				if gs, ok := t.logs[c]; ok {
					g, s, _ := strings.Cut(gs, "|")
					rg.logs.write(g, s, t.stoppedAt(), t.outcome.Logs...)
				}
			}
		}
	}
}

// lastStable is the revision of the newest deployment that completed: the
// circuit breaker rolls back to it.
func (sv *service) lastStable() string {
	for _, d := range sv.deployments {
		if d.rollout == "COMPLETED" {
			return d.td
		}
	}
	return ""
}

func (f *Fake) serviceJSON(sv *service) map[string]any {
	deps := []any{}
	running, pending := 0, 0
	for _, d := range sv.deployments {
		dr := d.running
		if d.status == "ACTIVE" && d.rollout != "FAILED" {
			dr = d.desired // the old tasks keep running until the new ones are up
		}
		running += dr
		pending += d.pending
		deps = append(deps, map[string]any{
			"id": d.id, "status": d.status, "taskDefinition": d.td, "desiredCount": d.desired,
			"runningCount": dr, "pendingCount": d.pending, "failedTasks": d.bad,
			"rolloutState": d.rollout, "rolloutStateReason": d.reason,
			"createdAt": epoch(d.created), "updatedAt": epoch(d.updated), "launchType": "FARGATE",
		})
	}
	evs := []any{}
	for _, e := range sv.events {
		evs = append(evs, map[string]any{"id": e.id, "createdAt": epoch(e.at), "message": e.msg})
	}
	out := map[string]any{
		"serviceName": sv.name, "serviceArn": sv.arn, "clusterArn": sv.cluster, "status": "ACTIVE",
		"taskDefinition": sv.td, "desiredCount": sv.desired, "runningCount": running, "pendingCount": pending,
		"deploymentConfiguration": map[string]any{
			"deploymentCircuitBreaker": map[string]any{"enable": sv.breaker, "rollback": sv.rollback},
			"maximumPercent":           200, "minimumHealthyPercent": 100,
		},
		"deployments": deps, "events": evs,
	}
	if sv.capacity != nil {
		out["capacityProviderStrategy"] = sv.capacity
	}
	if sv.network != nil {
		out["networkConfiguration"] = sv.network
	}
	return out
}

func (f *Fake) runTask(rg *region, body []byte) (any, error) {
	s := rg.ecs
	var in struct {
		Cluster, TaskDefinition, LaunchType, StartedBy string
		Count                                          int
		CapacityProviderStrategy                       []any
		NetworkConfiguration                           *struct {
			AwsvpcConfiguration *struct {
				Subnets, SecurityGroups []string
			}
		}
		Overrides *struct {
			ContainerOverrides []struct {
				Name    string
				Command []string
			}
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	td := s.lookupTD(in.TaskDefinition)
	if td == nil {
		return nil, clientErr("InvalidParameterException", "TaskDefinition not found.")
	}
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, clientErr("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported.")
	}
	if td["networkMode"] == "awsvpc" && (in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil || len(in.NetworkConfiguration.AwsvpcConfiguration.Subnets) == 0) {
		return nil, clientErr("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if in.Count == 0 {
		in.Count = 1
	}
	run := TaskRun{Family: td["family"].(string), TaskDefinition: td["taskDefinitionArn"].(string), Commands: map[string][]string{}, Images: map[string]string{}}
	var names []string
	logs := map[string]string{}
	cds, _ := td["containerDefinitions"].([]any)
	for _, cd := range cds {
		m := cd.(map[string]any)
		name := m["name"].(string)
		names = append(names, name)
		run.Images[name], _ = m["image"].(string)
		if lc, ok := m["logConfiguration"].(map[string]any); ok && lc["logDriver"] == "awslogs" {
			opts, _ := lc["options"].(map[string]any)
			g, _ := opts["awslogs-group"].(string)
			p, _ := opts["awslogs-stream-prefix"].(string)
			logs[name] = g + "|" + p + "/" + name + "/"
		}
	}
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			if _, ok := run.Images[o.Name]; !ok {
				return nil, clientErr("InvalidParameterException", "Override for container named %s is not a container in the TaskDefinition.", o.Name)
			}
			run.Commands[o.Name] = o.Command
		}
	}
	var outcome Outcome
	if f.taskOutcome != nil {
		outcome = f.taskOutcome(run)
	}
	// ECS fetches a task's secrets before starting its containers: a
	// secret without a current value fails the task at start.
	if name, missing := rg.secrets.missing(td); missing {
		outcome = Outcome{StopCode: "TaskFailedToStart", StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret " + name + ": ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"}
	}
	if outcome.StopCode == "" {
		outcome.StopCode = "EssentialContainerExited"
	}
	if outcome.StoppedReason == "" && outcome.StopCode == "EssentialContainerExited" {
		outcome.StoppedReason = "Essential container in task exited"
	}
	if outcome.RunFor == 0 {
		outcome.RunFor = DefaultTaskRun
	}
	tasks := []any{}
	for range in.Count {
		id := randomHex(16)
		t := &task{arn: f.arn(rg, "ecs", "task/"+c.name+"/"+id), cluster: c.arn, td: run.TaskDefinition, family: run.Family,
			created: f.Clock.Now(), containers: names, outcome: outcome, logs: map[string]string{}, startedBy: in.StartedBy}
		for n, gs := range logs {
			t.logs[n] = gs + id
		}
		if len(in.CapacityProviderStrategy) > 0 {
			t.capacity = in.CapacityProviderStrategy
		}
		s.tasks[id] = t
		s.order = append(s.order, id)
		tasks = append(tasks, f.taskJSON(t))
	}
	return map[string]any{"tasks": tasks, "failures": []any{}}, nil
}

func (t *task) stoppedAt() time.Time {
	if t.outcome.StopCode == "TaskFailedToStart" {
		return t.created.Add(taskProvisioning + taskPending)
	}
	return t.created.Add(taskProvisioning + taskPending + t.outcome.RunFor)
}

func (f *Fake) taskStatus(t *task, now time.Time) string {
	el := now.Sub(t.created)
	switch {
	case el < taskProvisioning:
		return "PROVISIONING"
	case el < taskProvisioning+taskPending:
		return "PENDING"
	case t.outcome.StopCode == "TaskFailedToStart":
		return "STOPPED"
	case t.outcome.Never || now.Before(t.stoppedAt()):
		return "RUNNING"
	}
	return "STOPPED"
}

func (f *Fake) taskJSON(t *task) map[string]any {
	now := f.Clock.Now()
	st := f.taskStatus(t, now)
	desired := "RUNNING"
	out := map[string]any{"taskArn": t.arn, "clusterArn": t.cluster, "taskDefinitionArn": t.td, "lastStatus": st,
		"createdAt": epoch(t.created), "launchType": "FARGATE", "group": "family:" + t.family}
	if t.startedBy != "" {
		out["startedBy"] = t.startedBy
	}
	if t.capacity != nil {
		delete(out, "launchType")
		if cps, ok := t.capacity.([]any); ok && len(cps) > 0 {
			if m, ok := cps[0].(map[string]any); ok {
				out["capacityProviderName"] = m["capacityProvider"]
			}
		}
	}
	var cs []any
	for _, n := range t.containers {
		c := map[string]any{"name": n, "lastStatus": st, "taskArn": t.arn}
		if st == "STOPPED" && t.outcome.StopCode != "TaskFailedToStart" {
			c["exitCode"] = t.outcome.ExitCodes[n]
		}
		cs = append(cs, c)
	}
	out["containers"] = cs
	if st == "RUNNING" || st == "STOPPED" {
		out["startedAt"] = epoch(t.created.Add(taskProvisioning + taskPending))
	}
	if st == "STOPPED" {
		desired = "STOPPED"
		out["stoppedAt"] = epoch(t.stoppedAt())
		out["stopCode"] = t.outcome.StopCode
		out["stoppedReason"] = t.outcome.StoppedReason
	}
	out["desiredStatus"] = desired
	return out
}

// CreateCluster seeds a cluster in the default region.
func (f *Fake) CreateCluster(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rg := f.regionState(f.o.Region)
	c := &cluster{name: name, arn: f.arn(rg, "ecs", "cluster/"+name)}
	rg.ecs.clusters[name] = c
	return c.arn
}

// RegisterTaskDefinition seeds a revision (as Terraform registers one) from
// its RegisterTaskDefinition JSON and returns its ARN.
func (f *Fake) RegisterTaskDefinition(js string) (string, error) {
	var in map[string]any
	if err := json.Unmarshal([]byte(js), &in); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	td, err := f.register(f.regionState(f.o.Region), in)
	if err != nil {
		return "", err
	}
	return td["taskDefinitionArn"].(string), nil
}

// TaskDefinition returns a registered revision's JSON (nil when absent).
func (f *Fake) TaskDefinition(ref string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regionState(f.o.Region).ecs.lookupTD(ref)
}

// ServiceSpec seeds a service.
type ServiceSpec struct {
	Cluster, Name, TaskDefinition string
	Desired                       int
	// CircuitBreaker with rollback, as the kit's Terraform configures it.
	CircuitBreaker bool
	// Starting: the service was just created (its first deployment
	// IN_PROGRESS, no task yet), as Terraform leaves it; otherwise steady.
	Starting bool
	Capacity []map[string]any
}

// CreateService seeds a service running its task definition, steady.
func (f *Fake) CreateService(sp ServiceSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	rg := f.regionState(f.o.Region)
	c, err := rg.ecs.cluster(sp.Cluster)
	if err != nil {
		return err
	}
	now := f.Clock.Now()
	sv := &service{name: sp.Name, arn: f.arn(rg, "ecs", "service/"+c.name+"/"+sp.Name), cluster: c.arn, td: sp.TaskDefinition,
		desired: sp.Desired, breaker: sp.CircuitBreaker, rollback: sp.CircuitBreaker}
	if len(sp.Capacity) > 0 {
		sv.capacity = sp.Capacity
	}
	sv.deployments = []*deployment{{id: "ecs-svc/" + randomDigits(19), status: "PRIMARY", td: sp.TaskDefinition, desired: sp.Desired,
		running: sp.Desired, rollout: "COMPLETED", created: now, updated: now}}
	if sp.Starting {
		d := sv.deployments[0]
		d.running, d.pending, d.rollout = 0, sp.Desired, "IN_PROGRESS"
	}
	rg.ecs.services[c.name+"/"+sp.Name] = sv
	return nil
}

// ServiceState is a service as the fake sees it.
type ServiceState struct {
	TaskDefinition string
	Deployments    int
	Rollout        string
}

// Service returns a service's state in the default region.
func (f *Fake) Service(cluster, name string) (ServiceState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rg := f.regionState(f.o.Region)
	f.advance(rg)
	sv := rg.ecs.services[cluster+"/"+name]
	if sv == nil {
		return ServiceState{}, false
	}
	return ServiceState{TaskDefinition: sv.td, Deployments: len(sv.deployments), Rollout: sv.deployments[0].rollout}, true
}

// TaskCount is how many one-off tasks were started in the default region.
func (f *Fake) TaskCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.regionState(f.o.Region).ecs.order)
}
