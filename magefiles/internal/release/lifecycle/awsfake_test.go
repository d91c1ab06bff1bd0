package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// ecsTF is a Terraform runner over the fake AWS, through the real SDK:
// Plan compares each ECS service's desired count (DescribeServices) with
// the configuration's and writes the difference as plan JSON; Apply reads
// the planned desired counts back from that plan and applies them with
// UpdateService — what Terraform's aws_ecs_service update does.
type ecsTF struct {
	ecs     *ecs.Client
	cluster string
	want    map[string]int
	plans   map[string]*Plan
	applied int
}

func (t *ecsTF) Plan(ctx context.Context, _ tfdriver.PlanSpec) (*Plan, error) {
	names := slices.Sorted(maps.Keys(t.want))
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = t.cluster + "-" + n
	}
	out, err := t.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.cluster), Services: full})
	if err != nil {
		return nil, err
	}
	p := &tfjson.Plan{FormatVersion: "1.2", PlannedValues: &tfjson.StateValues{RootModule: &tfjson.StateModule{}}}
	changes := false
	for _, s := range out.Services {
		name := strings.TrimPrefix(aws.ToString(s.ServiceName), t.cluster+"-")
		addr := svcAddr(name)
		before := map[string]any{"name": aws.ToString(s.ServiceName), "desired_count": float64(s.DesiredCount)}
		after := map[string]any{"name": aws.ToString(s.ServiceName), "desired_count": float64(t.want[name])}
		actions := tfjson.Actions{tfjson.ActionNoop}
		if int(s.DesiredCount) != t.want[name] {
			actions, changes = tfjson.Actions{tfjson.ActionUpdate}, true
		}
		p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Type: "aws_ecs_service", Name: "this",
			Change: &tfjson.Change{Actions: actions, Before: before, After: after, AfterUnknown: map[string]any{}}})
		p.PlannedValues.RootModule.Resources = append(p.PlannedValues.RootModule.Resources,
			&tfjson.StateResource{Address: addr, Mode: tfjson.ManagedResourceMode, Type: "aws_ecs_service", Name: "this", AttributeValues: after})
	}
	file := fmt.Sprintf("/plans/%d.tfplan", len(t.plans)+1)
	t.plans[file] = &Plan{File: file, JSON: p, Changes: changes}
	return t.plans[file], nil
}

func (t *ecsTF) Show(_ context.Context, file string) (*Plan, error) { return t.plans[file], nil }

func (t *ecsTF) Apply(ctx context.Context, file string) error {
	t.applied++
	for _, rc := range t.plans[file].JSON.ResourceChanges {
		if !rc.Change.Actions.Update() {
			continue
		}
		after := rc.Change.After.(map[string]any)
		if _, err := t.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(t.cluster), Service: aws.String(after["name"].(string)),
			DesiredCount: aws.Int32(int32(after["desired_count"].(float64)))}); err != nil {
			return err
		}
	}
	return nil
}

// urlHealth answers through the environment's URL (the fake serves it from
// the revisions that run).
type urlHealth struct{ url func(context.Context) string }

func (h urlHealth) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url(ctx)+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /: %s", resp.Status)
	}
	return nil
}

// TestScaleDownAgainstTheFakeAWS: the services of the AWS backend's fake
// run two tasks each; dev:scaleDown's flow brings them to one through the
// Terraform seam, waits through the backend's status (the real SDK against
// the fake's deployments), checks the URL and has nothing to do a second
// time. The account check is STS of the same fake.
func TestScaleDownAgainstTheFakeAWS(t *testing.T) {
	w := awsfixture.New(t, awsfixture.Options{Env: "dev", Region: "us-west-2", Versions: []string{"abc1234"}})
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")}
	services := &AWSServices{Open: func(ctx context.Context) (*awsenv.Env, error) {
		return awsenv.Open(ctx, awsenv.Options{Env: "dev", Region: "us-west-2", Config: cfg, Endpoint: w.Fake.Endpoint(), Poll: time.Millisecond, RetryBackoff: time.Millisecond})
	}}
	tf := &ecsTF{
		ecs:     ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(w.Fake.Endpoint()) }),
		cluster: w.Cluster, want: oneEach, plans: map[string]*Plan{},
	}
	var out bytes.Buffer
	e := &Env{
		Name: "dev", Vars: &Vars{Env: "dev", Region: "us-west-2", Account: w.Fake.Account(), Desired: oneEach},
		TF: tf, Caller: NewSTSCaller(cfg, w.Fake.Endpoint()), Services: services, Health: urlHealth{services.URL},
		URL: services.URL, Out: &out, Clock: RealClock(), PollEvery: time.Millisecond, WaitTimeout: 30 * time.Second,
	}
	ctx := context.Background()
	res, err := e.ScaleDown(ctx, ScaleOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := "service    before  after  running  rollout\n" +
		"gateway    2       1      1        COMPLETED\n" +
		"inventory  2       1      1        COMPLETED\n" +
		"location   2       1      1        COMPLETED\n" +
		"reporting  2       1      1        COMPLETED\n" +
		"ui         2       1      1        COMPLETED\n" +
		"user       2       1      1        COMPLETED\n"
	if res.Nothing || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "dev: account 123456789012, region us-west-2") {
		t.Fatalf("output:\n%s", out.String())
	}
	out.Reset()
	res, err = e.ScaleDown(ctx, ScaleOptions{})
	if err != nil || !res.Nothing || tf.applied != 1 {
		t.Fatalf("second run: nothing %v, applied %d, err %v\n%s", res != nil && res.Nothing, tf.applied, err, out.String())
	}
	out.Reset()
	if err := e.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dev: url: "+w.Fake.URL()) {
		t.Errorf("verify output:\n%s", out.String())
	}

	// A wrong account (the fake's STS answers for another) is refused
	// before any plan.
	other := awsfixture.New(t, awsfixture.Options{Env: "dev", Region: "us-west-2", Versions: []string{"abc1234"}, Account: "999999999999"})
	e2 := &Env{Name: "dev", Vars: e.Vars, TF: &ecsTF{plans: map[string]*Plan{}}, Caller: NewSTSCaller(cfg, other.Fake.Endpoint()), Out: &out}
	if _, err := e2.ScaleDown(ctx, ScaleOptions{}); err == nil || !strings.Contains(err.Error(), "the AWS credentials are of account 999999999999") {
		t.Errorf("wrong account: %v", err)
	}
}
