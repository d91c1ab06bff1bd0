package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

type ecsAPI interface {
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// tdCache keeps task definitions by ARN: a revision never changes, so each
// is described once per run.
type tdCache struct {
	api ecsAPI
	mu  sync.Mutex
	m   map[string]*tdEntry
}

type tdEntry struct {
	once sync.Once
	td   *ecstypes.TaskDefinition
	err  error
}

func (c *tdCache) get(ctx context.Context, ref string) (*ecstypes.TaskDefinition, error) {
	c.mu.Lock()
	en := c.m[ref]
	if en == nil {
		en = &tdEntry{}
		c.m[ref] = en
	}
	c.mu.Unlock()
	en.once.Do(func() {
		out, err := c.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			en.err = fmt.Errorf("describing task definition %s: %w", ref, err)
			return
		}
		en.td = out.TaskDefinition
	})
	if en.err != nil { // do not keep failures: a retry may succeed
		c.mu.Lock()
		delete(c.m, ref)
		c.mu.Unlock()
	}
	return en.td, en.err
}

// Prepare registers, per artifact, a clone of the revision Terraform last
// registered for its family with only the image (pinned by digest) and
// APP_VERSION changed. When the family's newest revision already is that
// clone it is reused, so preparing twice registers nothing new.
func (e *Env) Prepare(ctx context.Context, arts pipeline.Artifacts) (pipeline.Revisions, error) {
	names := make([]string, 0, len(arts))
	for n := range arts {
		names = append(names, n)
	}
	sort.Strings(names)
	out := pipeline.Revisions{}
	var mu sync.Mutex
	err := forEach(names, func(n string) error {
		rev, err := e.prepare(ctx, arts[n])
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		mu.Lock()
		out[n] = rev
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Env) prepare(ctx context.Context, a pipeline.Artifact) (pipeline.Revision, error) {
	sf, ok := e.Facts.image(a.Service)
	if !ok {
		return pipeline.Revision{}, fmt.Errorf("not in the %s environment's facts", e.o.Env)
	}
	if !a.Present() {
		return pipeline.Revision{}, fmt.Errorf("%s:%s is not in the registry", a.Service, a.Version)
	}
	replicas := sf.DesiredCount
	if a.Service == pipeline.SeederImage {
		replicas = 0
	}
	arn, err := e.register(ctx, sf, sf.Repository+"@"+a.Digest, a.Version)
	if err != nil {
		return pipeline.Revision{}, err
	}
	return pipeline.Revision{Service: a.Service, Version: a.Version, ID: arn, Replicas: replicas}, nil
}

// register returns the ARN of a revision of sf's family that is a clone of
// the one Terraform last registered with image and version: the family's
// newest revision when it already is that clone, else a new one.
func (e *Env) register(ctx context.Context, sf ServiceFacts, image, version string) (string, error) {
	base, err := e.tds.get(ctx, sf.TaskDefinition)
	if err != nil {
		return "", err
	}
	want, err := cloneInput(base, sf.Container, image, version)
	if err != nil {
		return "", err
	}
	latest, err := e.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(sf.Family)})
	if err != nil {
		return "", fmt.Errorf("describing the newest %s revision: %w", sf.Family, err)
	}
	if have, err := cloneInput(latest.TaskDefinition, sf.Container, image, version); err == nil && sameInput(have, want) {
		if img, _, _ := containerOf(latest.TaskDefinition, sf.Container); img == image {
			return aws.ToString(latest.TaskDefinition.TaskDefinitionArn), nil
		}
	}
	reg, err := e.ecs.RegisterTaskDefinition(ctx, want)
	if err != nil {
		return "", fmt.Errorf("registering a %s revision: %w", sf.Family, err)
	}
	arn := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	e.logf("    registered %s (%s)", arn, image)
	return arn, nil
}

// migration returns the task definition and facts the migration runs
// with: a revision of the migration's own family (Facts.Migrate) with the
// image and version of the migrating service's prepared revision — the
// pipeline prepares that service's revision, ECS overrides cannot change a
// task definition's secrets, and only the migration's gets the master
// credentials. Facts without a migrate entry run the service's revision.
func (e *Env) migration(ctx context.Context, rev pipeline.Revision) (string, ServiceFacts, error) {
	m := e.Facts.Migrate
	if m == nil || rev.Service != m.Service {
		sf, _ := e.Facts.image(rev.Service)
		return rev.ID, sf, nil
	}
	td, err := e.tds.get(ctx, rev.ID)
	if err != nil {
		return "", ServiceFacts{}, err
	}
	image, version, ok := containerOf(td, e.Facts.Services[m.Service].Container)
	if !ok {
		return "", ServiceFacts{}, fmt.Errorf("revision %s has no container %s", rev.ID, e.Facts.Services[m.Service].Container)
	}
	arn, err := e.register(ctx, m.ServiceFacts, image, version)
	return arn, m.ServiceFacts, err
}

func sameInput(a, b *ecs.RegisterTaskDefinitionInput) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// Roll points every listed service at its revision (desired count 0 for a
// stop) with UpdateService, all at once, then polls until each PRIMARY
// deployment runs its revision to completion. A FAILED rollout or a circuit
// breaker rollback (the PRIMARY deployment no longer on the revision) ends
// the roll with an error naming the services; ctx's deadline ends a stalled
// one. The pipeline checks Current afterwards either way.
func (e *Env) Roll(ctx context.Context, revs pipeline.Revisions) error {
	names := make([]string, 0, len(revs))
	for n := range revs {
		if _, ok := e.Facts.Services[n]; !ok {
			return fmt.Errorf("roll: %s is not a service of %s", n, e.o.Env)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	err := forEach(names, func(n string) error {
		r := revs[n]
		in := &ecs.UpdateServiceInput{Cluster: aws.String(e.Facts.Cluster), Service: aws.String(e.Facts.Services[n].ServiceName)}
		if r.IsStop() {
			in.DesiredCount = aws.Int32(0)
		} else {
			in.TaskDefinition = aws.String(r.ID)
			in.DesiredCount = aws.Int32(int32(r.Replicas))
		}
		if _, err := e.ecs.UpdateService(ctx, in); err != nil {
			return fmt.Errorf("%s: update service: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.waitRollout(ctx, names, revs, false)
}

// waitRollout polls until every named service's PRIMARY deployment runs
// its revision to completion. primaryOnly judges the PRIMARY deployment
// alone: a forced new deployment of the same revision leaves the failed
// one it replaces in the list for a while.
func (e *Env) waitRollout(ctx context.Context, names []string, revs pipeline.Revisions, primaryOnly bool) error {
	delay := e.o.Poll
	pending := names
	failed := map[string]string{}
	var last []string
	for {
		svcs, err := e.describe(ctx, pending)
		if err != nil {
			if ctx.Err() != nil && last != nil { // the deadline, mid-call
				return fmt.Errorf("rollout not finished: %s: %w", strings.Join(last, ", "), ctx.Err())
			}
			return err
		}
		var still []string
		for _, n := range pending {
			s := svcs[n]
			verdict, done := rolloutVerdict(s, revs[n], primaryOnly)
			switch {
			case !done:
				still = append(still, fmt.Sprintf("%s (%s)", n, verdict))
			case verdict != "":
				failed[n] = verdict
			}
		}
		if len(failed) > 0 {
			// One failure fails the roll: the pipeline restores every
			// service, so waiting for the others would only delay that.
			var parts []string
			for _, n := range slices.Sorted(maps.Keys(failed)) {
				parts = append(parts, n+": "+failed[n])
			}
			return errors.New(strings.Join(parts, "; "))
		}
		if len(still) == 0 {
			return nil
		}
		last = still
		pending = nil
		for _, s := range still {
			pending = append(pending, strings.SplitN(s, " ", 2)[0])
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollout not finished: %s: %w", strings.Join(still, ", "), ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, e.o.MaxPoll)
	}
}

// rolloutVerdict: done with "" = settled; done with a reason = failed; not
// done = the progress so far.
func rolloutVerdict(s *ecstypes.Service, want pipeline.Revision, primaryOnly bool) (string, bool) {
	if s == nil {
		return "the service is missing", true
	}
	var primary *ecstypes.Deployment
	for i := range s.Deployments {
		d := &s.Deployments[i]
		if aws.ToString(d.Status) == "PRIMARY" {
			primary = d
		} else if primaryOnly {
			continue
		}
		if !want.IsStop() && aws.ToString(d.TaskDefinition) == want.ID && d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			return fmt.Sprintf("rollout FAILED: %s%s", aws.ToString(d.RolloutStateReason), lastEvent(s)), true
		}
	}
	if primary == nil {
		return "no PRIMARY deployment", false
	}
	if want.IsStop() {
		if s.RunningCount == 0 && s.PendingCount == 0 {
			return "", true
		}
		return fmt.Sprintf("%d still running", s.RunningCount), false
	}
	if aws.ToString(primary.TaskDefinition) != want.ID {
		return fmt.Sprintf("the circuit breaker rolled it back to %s%s", aws.ToString(primary.TaskDefinition), lastEvent(s)), true
	}
	if primary.RolloutState == ecstypes.DeploymentRolloutStateCompleted && primary.RunningCount == primary.DesiredCount && len(s.Deployments) == 1 {
		return "", true
	}
	return fmt.Sprintf("%s, %d/%d running, %d pending", primary.RolloutState, primary.RunningCount, primary.DesiredCount, primary.PendingCount), false
}

func lastEvent(s *ecstypes.Service) string {
	if len(s.Events) == 0 {
		return ""
	}
	return " (last event: " + aws.ToString(s.Events[0].Message) + ")"
}

// describe asks DescribeServices for the named services, ten at a time (its
// documented limit).
func (e *Env) describe(ctx context.Context, names []string) (map[string]*ecstypes.Service, error) {
	byECS := map[string]string{}
	var ecsNames []string
	for _, n := range names {
		sn := e.Facts.Services[n].ServiceName
		byECS[sn] = n
		ecsNames = append(ecsNames, sn)
	}
	out := map[string]*ecstypes.Service{}
	for i := 0; i < len(ecsNames); i += 10 {
		chunk := ecsNames[i:min(i+10, len(ecsNames))]
		res, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(e.Facts.Cluster), Services: chunk})
		if err != nil {
			return nil, fmt.Errorf("describing services: %w", err)
		}
		for j := range res.Services {
			s := &res.Services[j]
			out[byECS[aws.ToString(s.ServiceName)]] = s
		}
	}
	return out, nil
}

// Current reports every service: the PRIMARY deployment's revision and the
// service's desired count, the PRIMARY's running tasks, and the tasks of
// every other deployment as Other.
func (e *Env) Current(ctx context.Context) (pipeline.States, error) {
	names := e.Facts.ServiceNames()
	svcs, err := e.describe(ctx, names)
	if err != nil {
		return nil, err
	}
	out := pipeline.States{}
	for _, n := range names {
		s := svcs[n]
		if s == nil {
			return nil, fmt.Errorf("service %s (%s) is missing from cluster %s", n, e.Facts.Services[n].ServiceName, e.Facts.Cluster)
		}
		st := pipeline.ServiceState{Service: n}
		for _, d := range s.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				st.Revision = pipeline.Revision{Service: n, ID: aws.ToString(d.TaskDefinition), Replicas: int(s.DesiredCount)}
				st.Running = int(d.RunningCount)
			} else {
				st.Other += int(d.RunningCount)
			}
		}
		if st.Revision.ID != "" {
			td, err := e.tds.get(ctx, st.Revision.ID)
			if err != nil {
				return nil, err
			}
			_, st.Revision.Version, _ = containerOf(td, e.Facts.Services[n].Container)
		}
		out[n] = st
	}
	return out, nil
}

// Run runs a one-off task from its prepared revision with the command
// override, in the private subnets with the task security group and the
// image's capacity provider strategy; waits for STOPPED (the SDK's
// tasks-stopped waiter) within ctx; and returns every container's exit
// code, the stop code and reason, and the task's last log lines.
func (e *Env) Run(ctx context.Context, spec pipeline.TaskSpec) (pipeline.TaskResult, error) {
	sf, ok := e.Facts.image(spec.Revision.Service)
	if !ok {
		return pipeline.TaskResult{}, fmt.Errorf("%s task: %s is not in the %s environment's facts", spec.Name, spec.Revision.Service, e.o.Env)
	}
	tdARN := spec.Revision.ID
	if spec.Name == pipeline.StepMigrate {
		var err error
		if tdARN, sf, err = e.migration(ctx, spec.Revision); err != nil {
			return pipeline.TaskResult{}, fmt.Errorf("%s task: %w", spec.Name, err)
		}
	}
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(e.Facts.Cluster),
		TaskDefinition: aws.String(tdARN),
		StartedBy:      aws.String("equiptrack-" + spec.Name),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: e.Facts.Subnets, SecurityGroups: []string{e.Facts.SecurityGroup}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	}
	if e.Facts.SecurityGroup == "" {
		in.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups = nil
	}
	for _, c := range sf.Capacity {
		in.CapacityProviderStrategy = append(in.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{
			CapacityProvider: aws.String(c.Name), Weight: c.Weight, Base: c.Base})
	}
	if len(in.CapacityProviderStrategy) == 0 {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	if spec.Command != nil {
		in.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String(sf.Container), Command: spec.Command}}}
	}
	out, err := e.ecs.RunTask(ctx, in)
	if err != nil {
		return pipeline.TaskResult{}, fmt.Errorf("%s task: run: %w", spec.Name, err)
	}
	if len(out.Failures) > 0 || len(out.Tasks) == 0 {
		var rs []string
		for _, f := range out.Failures {
			rs = append(rs, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return pipeline.TaskResult{}, fmt.Errorf("%s task: ECS did not start it: %s", spec.Name, strings.Join(rs, "; "))
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	e.logf("    %s task %s started", spec.Name, arn[strings.LastIndex(arn, "/")+1:])
	maxWait := time.Hour
	if d, ok := ctx.Deadline(); ok {
		maxWait = time.Until(d)
	}
	desc := &ecs.DescribeTasksInput{Cluster: aws.String(e.Facts.Cluster), Tasks: []string{arn}}
	w := ecs.NewTasksStoppedWaiter(e.ecs, func(o *ecs.TasksStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = e.o.Poll, e.o.MaxPoll
	})
	final, err := w.WaitForOutput(ctx, desc, maxWait)
	if err != nil {
		return pipeline.TaskResult{}, fmt.Errorf("%s task %s did not stop: %w", spec.Name, arn, err)
	}
	if len(final.Tasks) == 0 {
		return pipeline.TaskResult{}, fmt.Errorf("%s task %s disappeared", spec.Name, arn)
	}
	t := final.Tasks[0]
	res := pipeline.TaskResult{StopCode: string(t.StopCode), StopReason: aws.ToString(t.StoppedReason)}
	for _, c := range t.Containers {
		code := -1 // no exit code: the container never ran (TaskFailedToStart)
		if c.ExitCode != nil {
			code = int(*c.ExitCode)
		}
		res.Containers = append(res.Containers, pipeline.ContainerExit{Name: aws.ToString(c.Name), ExitCode: code})
	}
	// Always: a failure quotes them, and the seed's fingerprint line is read
	// from them.
	res.Logs = e.taskLogs(ctx, tdARN, sf.Container, arn)
	return res, nil
}

// Redeploy forces a new deployment of the named services (all when none
// is named) on the revision each runs — what picks up a secret's new
// value, which ECS reads only when a task starts — and waits until each
// rollout completes.
func (e *Env) Redeploy(ctx context.Context, services []string) error {
	if len(services) == 0 {
		services = e.Facts.ServiceNames()
	}
	cur, err := e.Current(ctx)
	if err != nil {
		return err
	}
	revs := pipeline.Revisions{}
	for _, n := range services {
		s, ok := cur[n]
		if !ok || s.Revision.ID == "" {
			return fmt.Errorf("redeploy: %s is not a running service of %s", n, e.o.Env)
		}
		revs[n] = s.Revision
	}
	sort.Strings(services)
	for _, n := range services {
		if _, err := e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(e.Facts.Cluster),
			Service: aws.String(e.Facts.Services[n].ServiceName), ForceNewDeployment: true}); err != nil {
			return fmt.Errorf("%s: force a new deployment: %w", n, err)
		}
		e.logf("    %s: new deployment forced", n)
	}
	return e.waitRollout(ctx, services, revs, true)
}
