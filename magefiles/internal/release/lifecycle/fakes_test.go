package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// fakeAWS is the part of an AWS account the lifecycle flows touch, with
// ECS's convergence: after a desired count changes, each status read moves
// every service one task towards it with its rollout IN_PROGRESS, then
// COMPLETED.
type fakeAWS struct {
	mu       sync.Mutex
	account  string
	region   string
	registry bool                // the repositories exist
	images   map[string]bool     // versions pushed
	services map[string]*fakeSvc // created by an apply
	imageTag string              // what the task definitions point at
	other    map[string]bool     // other resources, by address
	log      []string            // every change, in order
	broken   bool                // health fails
	stuck    string              // a service whose tasks never start
}

type fakeSvc struct {
	desired, running int
	rollout          string
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{account: "123456789012", region: "us-west-2", images: map[string]bool{}, services: map[string]*fakeSvc{}, other: map[string]bool{}}
}

func (f *fakeAWS) record(format string, args ...any) {
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

// Identity implements Caller.
func (f *fakeAWS) Identity(context.Context) (Identity, error) {
	return Identity{Account: f.account, Region: f.region, ARN: "arn:aws:sts::" + f.account + ":assumed-role/deploy/test"}, nil
}

// Status implements Services.
func (f *fakeAWS) Status(context.Context) ([]ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ServiceStatus
	for name, s := range f.services {
		if name != f.stuck {
			switch {
			case s.running < s.desired:
				s.running++
			case s.running > s.desired:
				s.running--
			}
		}
		if s.running == s.desired {
			s.rollout = RolloutCompleted
		}
		out = append(out, ServiceStatus{Name: name, Desired: s.desired, Running: s.running, Rollout: s.rollout})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Check implements Health: every service running at least one task of an
// image that exists.
func (f *fakeAWS) Check(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken {
		return errors.New("https://dev.example: 503")
	}
	for name, s := range f.services {
		if s.running == 0 {
			return fmt.Errorf("%s has no running task", name)
		}
	}
	if !f.images[f.imageTag] {
		return fmt.Errorf("the services run %s, which was never pushed", f.imageTag)
	}
	return nil
}

// fakeTF is a Terraform runner over fakeAWS: Plan diffs the configuration
// (the tfvars' counts, the image tag variable) against what fakeAWS holds,
// as plan JSON; Apply applies the saved plan's planned values there — the
// desired counts it reads from the plan, nothing it remembers.
type fakeTF struct {
	aws     *fakeAWS
	desired map[string]int // the committed tfvars
	drift   bool           // an unrelated change in the configuration
	plans   map[string]*Plan
	n       int
	applied []string
	specs   []tfdriver.PlanSpec
}

func newFakeTF(aws *fakeAWS, desired map[string]int) *fakeTF {
	return &fakeTF{aws: aws, desired: desired, plans: map[string]*Plan{}}
}

func svcAddr(name string) string {
	return `module.environment.module.service["` + name + `"].aws_ecs_service.this[0]`
}

func (t *fakeTF) Plan(_ context.Context, spec tfdriver.PlanSpec) (*Plan, error) {
	t.aws.mu.Lock()
	defer t.aws.mu.Unlock()
	t.specs = append(t.specs, spec)
	tag := spec.Vars[ImageTagVar]
	if tag == "" {
		tag = "latest"
	}
	targeted := func(addr string) bool {
		if len(spec.Targets) == 0 {
			return true
		}
		for _, tg := range spec.Targets {
			if addr == tg || len(addr) > len(tg) && addr[:len(tg)+1] == tg+"." {
				return true
			}
		}
		return false
	}
	p := &tfjson.Plan{FormatVersion: "1.2", PlannedValues: &tfjson.StateValues{RootModule: &tfjson.StateModule{}}}
	add := func(addr, typ string, actions tfjson.Actions, before, after map[string]any) {
		rc := &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Name: "this",
			Change: &tfjson.Change{Actions: actions, After: after, AfterUnknown: map[string]any{}}}
		if before != nil {
			rc.Change.Before = before
		}
		p.ResourceChanges = append(p.ResourceChanges, rc)
		if after != nil {
			p.PlannedValues.RootModule.Resources = append(p.PlannedValues.RootModule.Resources,
				&tfjson.StateResource{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Name: "this", AttributeValues: after})
		}
	}
	const reg = RegistryTarget + `.aws_ecr_repository.this["gateway"]`
	if spec.Destroy {
		if t.aws.registry {
			add(reg, "aws_ecr_repository", tfjson.Actions{tfjson.ActionDelete}, map[string]any{}, nil)
		}
		for _, name := range slices.Sorted(maps.Keys(t.aws.services)) {
			add(svcAddr(name), "aws_ecs_service", tfjson.Actions{tfjson.ActionDelete}, map[string]any{"desired_count": float64(t.aws.services[name].desired)}, nil)
		}
		for _, a := range slices.Sorted(maps.Keys(t.aws.other)) {
			add(a, "aws_db_instance", tfjson.Actions{tfjson.ActionDelete}, map[string]any{"deletion_protection": spec.Vars["db_deletion_protection"] != "false"}, nil)
		}
	} else {
		if targeted(reg) {
			action := tfjson.Actions{tfjson.ActionCreate}
			var before map[string]any
			if t.aws.registry {
				action, before = tfjson.Actions{tfjson.ActionNoop}, map[string]any{"name": "equiptrack-dev/gateway"}
			}
			add(reg, "aws_ecr_repository", action, before, map[string]any{"name": "equiptrack-dev/gateway"})
			p.PlannedValues.RootModule.Resources[len(p.PlannedValues.RootModule.Resources)-1].Index = "gateway"
		}
		for _, name := range slices.Sorted(maps.Keys(t.desired)) {
			if !targeted(svcAddr(name)) {
				continue
			}
			after := map[string]any{"desired_count": float64(t.desired[name]), "image": tag}
			s, ok := t.aws.services[name]
			switch {
			case !ok:
				add(svcAddr(name), "aws_ecs_service", tfjson.Actions{tfjson.ActionCreate}, nil, after)
			case s.desired != t.desired[name]:
				add(svcAddr(name), "aws_ecs_service", tfjson.Actions{tfjson.ActionUpdate}, map[string]any{"desired_count": float64(s.desired), "image": tag}, after)
			default:
				add(svcAddr(name), "aws_ecs_service", tfjson.Actions{tfjson.ActionNoop}, after, after)
			}
		}
		if t.drift && targeted("aws_lb.this") {
			add("aws_lb.this", "aws_lb", tfjson.Actions{tfjson.ActionUpdate}, map[string]any{"idle_timeout": float64(60)}, map[string]any{"idle_timeout": float64(120)})
		}
		const db = "module.environment.module.postgres.aws_db_instance.this"
		if targeted(db) {
			switch {
			case !t.aws.other[db] && len(spec.Targets) == 0:
				add(db, "aws_db_instance", tfjson.Actions{tfjson.ActionCreate}, nil, map[string]any{"deletion_protection": true})
			case t.aws.other[db] && spec.Vars["db_deletion_protection"] == "false":
				add(db, "aws_db_instance", tfjson.Actions{tfjson.ActionUpdate}, map[string]any{"deletion_protection": true}, map[string]any{"deletion_protection": false})
			}
		}
	}
	changes := false
	for _, rc := range p.ResourceChanges {
		if !rc.Change.Actions.NoOp() {
			changes = true
		}
	}
	t.n++
	file := fmt.Sprintf("/plans/%d.tfplan", t.n)
	out := &Plan{File: file, JSON: p, Changes: changes}
	t.plans[file] = out
	return out, nil
}

func (t *fakeTF) Show(_ context.Context, file string) (*Plan, error) {
	p, ok := t.plans[file]
	if !ok {
		return nil, fmt.Errorf("%s: no such plan file", file)
	}
	return p, nil
}

func (t *fakeTF) Apply(_ context.Context, file string) error {
	p, ok := t.plans[file]
	if !ok {
		return fmt.Errorf("%s: no such plan file", file)
	}
	t.aws.mu.Lock()
	defer t.aws.mu.Unlock()
	t.applied = append(t.applied, file)
	for _, rc := range p.JSON.ResourceChanges {
		a := rc.Change.Actions
		if a.NoOp() {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		switch rc.Type {
		case "aws_ecr_repository":
			t.aws.registry = a.Create()
		case "aws_ecs_service":
			name := rc.Address[len(`module.environment.module.service["`):]
			name = name[:len(name)-len(`"].aws_ecs_service.this[0]`)]
			if a.Delete() {
				delete(t.aws.services, name)
				t.aws.record("delete service %s", name)
				continue
			}
			if a.Create() && !t.aws.images[after["image"].(string)] {
				return fmt.Errorf("service %s: image %s not found", name, after["image"])
			}
			s := t.aws.services[name]
			if s == nil {
				s = &fakeSvc{}
				t.aws.services[name] = s
			}
			s.desired = int(after["desired_count"].(float64))
			s.rollout = "IN_PROGRESS"
			if a.Create() {
				// Later task definitions are the releases' (the services
				// ignore Terraform's task_definition changes).
				t.aws.imageTag = after["image"].(string)
			}
			t.aws.record("service %s desired %d", name, s.desired)
		case "aws_db_instance":
			switch {
			case a.Delete():
				if prot, _ := rc.Change.Before.(map[string]any)["deletion_protection"].(bool); prot {
					return errors.New("Cannot delete protected DB Instance, please disable deletion protection and try again")
				}
				delete(t.aws.other, rc.Address)
			default:
				t.aws.other[rc.Address] = true
			}
			t.aws.record("%v %s", a, rc.Address)
		default:
			t.aws.record("%v %s", a, rc.Address)
		}
	}
	return nil
}

// fakeRelease is the AWS backend's build+push, migrate and seed.
type fakeRelease struct {
	aws      *fakeAWS
	failSeed bool
	built    []string
	migrated int
	seeded   int
}

func (r *fakeRelease) BuildPush(_ context.Context, v string, repos map[string]string) error {
	r.aws.mu.Lock()
	defer r.aws.mu.Unlock()
	if !r.aws.registry || repos["gateway"] != "123456789012.dkr.ecr.us-west-2.amazonaws.com/equiptrack-dev/gateway" {
		return fmt.Errorf("push: no repository (%v)", repos)
	}
	if !r.aws.images[v] {
		r.built = append(r.built, v)
		r.aws.images[v] = true
	}
	return nil
}

func (r *fakeRelease) Migrate(context.Context, string) error { r.migrated++; return nil }

func (r *fakeRelease) Seed(context.Context, string) error {
	if r.failSeed {
		r.failSeed = false
		return errors.New("seed task exited 1")
	}
	r.seeded++
	return nil
}

type fakeSecrets struct{ ensured int }

func (s *fakeSecrets) Ensure(context.Context) error { s.ensured++; return nil }

// instantClock advances by the slept duration.
func instantClock() Clock {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return Clock{
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
			return ctx.Err()
		},
	}
}
