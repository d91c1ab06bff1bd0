package awsenv

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
)

var services = []string{"gateway", "inventory", "location", "reporting", "ui", "user"}

// world is a fake staging environment as Terraform leaves it: a cluster,
// six services steady on revision 1 (v1.0.0), the seeder's family, IMMUTABLE
// repositories holding v1.0.0 and v1.1.0, log groups, and the facts
// parameter.
type world struct {
	fake    *fakeaws.Fake
	facts   Facts
	digests map[string]string // service:version → digest
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f, err := fakeaws.New(fakeaws.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	w := &world{fake: f, digests: map[string]string{}}
	f.CreateCluster("equiptrack-staging")
	facts := Facts{
		Environment: "staging", AccountID: f.Account(), Region: "us-east-1", Cluster: "equiptrack-staging", URL: f.URL(),
		Services: map[string]ServiceFacts{}, Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroup: "sg-tasks",
		RegistryImmutable: true, LockParameter: "/equiptrack/staging/release/lock", RecordParameter: "/equiptrack/staging/release/record",
	}
	mk := func(name string) ServiceFacts {
		repo := "equiptrack-staging/" + name
		f.CreateRepository(repo, true)
		group := "/ecs/equiptrack-staging/" + name
		f.CreateLogGroup(group)
		for _, v := range []string{"v1.0.0", "v1.1.0"} {
			d, err := f.PutImage(repo, name+" "+v, v)
			if err != nil {
				t.Fatal(err)
			}
			w.digests[name+":"+v] = d
		}
		td := map[string]any{
			"family": "equiptrack-staging-" + name, "networkMode": "awsvpc", "cpu": "256", "memory": "512",
			"requiresCompatibilities": []string{"FARGATE"},
			"executionRoleArn":        "arn:aws:iam::123456789012:role/equiptrack-staging-execution",
			"containerDefinitions": []any{map[string]any{
				"name": name, "image": f.RegistryHost() + "/" + repo + "@" + w.digests[name+":v1.0.0"], "essential": true,
				"environment": []any{map[string]any{"name": "APP_VERSION", "value": "v1.0.0"}, map[string]any{"name": "PORT", "value": "8080"}},
				"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{
					"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}},
			}},
		}
		js, _ := json.Marshal(td)
		arn, err := f.RegisterTaskDefinition(string(js))
		if err != nil {
			t.Fatal(err)
		}
		return ServiceFacts{ServiceName: "equiptrack-staging-" + name, Family: "equiptrack-staging-" + name, TaskDefinition: arn,
			Container: name, Repository: f.RegistryHost() + "/" + repo, LogGroup: group, DesiredCount: 2,
			Capacity: []CapacityProvider{{Name: "FARGATE", Weight: 1, Base: 1}}}
	}
	for _, s := range services {
		sf := mk(s)
		facts.Services[s] = sf
		if err := f.CreateService(fakeaws.ServiceSpec{Cluster: "equiptrack-staging", Name: sf.ServiceName, TaskDefinition: sf.TaskDefinition, Desired: 2, CircuitBreaker: true}); err != nil {
			t.Fatal(err)
		}
	}
	facts.Seeder = mk("seeder")
	facts.Seeder.ServiceName, facts.Seeder.DesiredCount = "", 0
	js, _ := json.Marshal(facts)
	f.PutParameter(FactsParameter("staging"), string(js))
	for _, s := range services {
		if s != "ui" && s != "gateway" {
			f.Route("equiptrack-staging", "/api/"+s+"/", "equiptrack-staging-gateway", "equiptrack-staging-"+s)
		}
	}
	f.Route("equiptrack-staging", "/api/", "equiptrack-staging-gateway")
	f.Route("equiptrack-staging", "/", "equiptrack-staging-ui")
	w.facts = facts
	return w
}

// options point the backend at the fake with millisecond polls and backoff.
func (w *world) options() Options {
	return Options{
		Env: "staging", Region: "us-east-1",
		Config:   aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")},
		Endpoint: w.fake.Endpoint(), Poll: time.Millisecond, MaxPoll: 5 * time.Millisecond, RetryBackoff: time.Millisecond,
		Now: w.fake.Clock.Now,
	}
}

func (w *world) open(t *testing.T) *Env {
	t.Helper()
	e, err := Open(context.Background(), w.options())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}
