package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %.8f, want %.8f", what, got, want)
	}
}

func defaults(t *testing.T) (*Prices, Assumptions) {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	a, err := DefaultAssumptions()
	if err != nil {
		t.Fatal(err)
	}
	return p, a
}

func loadPlan(t *testing.T, name string) *tfjson.Plan {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var p tfjson.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// The brief's examples, computed by hand from the list prices:
// x86 on-demand: 0.5 × 0.04048 × 730 + 1 × 0.004445 × 730 = 14.7752 + 3.24485.
func TestTaskMonthlyHandComputed(t *testing.T) {
	p, _ := defaults(t)
	task := Task{CPUUnits: 512, MemoryMiB: 1024, Arch: "X86_64", OS: "LINUX"}
	got, err := TaskMonthly(p, "t", "us-east-1", "FARGATE", task, 1, 730)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "x86 on-demand", got, 18.02005)
	if s := usd(got); s != "18.02" {
		t.Errorf("rounded %s, want 18.02", s)
	}
	// Spot (x86 only): 0.5 × 0.014168 × 730 + 1 × 0.00155575 × 730 = 5.17132 + 1.1356975.
	got, err = TaskMonthly(p, "t", "us-east-1", "FARGATE_SPOT", task, 1, 730)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "x86 Spot", got, 6.3070175)
	// ARM64 on-demand: 0.5 × 0.03238 × 730 + 1 × 0.00356 × 730 = 11.8187 + 2.5988.
	task.Arch = "ARM64"
	got, err = TaskMonthly(p, "t", "us-east-1", "FARGATE", task, 1, 730)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ARM64 on-demand", got, 14.4175)
	// Two tasks for half the hours cost the same as one for all of them.
	got, err = TaskMonthly(p, "t", "us-west-2", "FARGATE", task, 2, 365)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ARM64 2 tasks × 365 h us-west-2", got, 14.4175)
	// There is no ARM64 Spot.
	_, err = TaskMonthly(p, "svc.arm", "us-east-1", "FARGATE_SPOT", task, 1, 730)
	if err == nil || !strings.Contains(err.Error(), "X86_64 tasks only") || !strings.Contains(err.Error(), "svc.arm") {
		t.Errorf("ARM64 Spot: err = %v, want a refusal naming the resource and X86_64", err)
	}
}

func TestSplitBaseThenWeights(t *testing.T) {
	onDemandBaseOne := []Strategy{{"FARGATE", 1, 0}, {"FARGATE_SPOT", 0, 1}}
	cases := []struct {
		name     string
		n        float64
		strategy []Strategy
		od, spot float64
	}{
		{"2 tasks, base 1", 2, onDemandBaseOne, 1, 1},
		{"1 task, base 1", 1, onDemandBaseOne, 1, 0},
		{"5 tasks, base 1", 5, onDemandBaseOne, 1, 4},
		{"0 tasks", 0, onDemandBaseOne, 0, 0},
		{"all Spot", 2, []Strategy{{"FARGATE_SPOT", 0, 1}}, 0, 2},
		{"weights 1:2, no base", 3, []Strategy{{"FARGATE", 0, 1}, {"FARGATE_SPOT", 0, 2}}, 1, 2},
		{"base larger than count", 1, []Strategy{{"FARGATE", 2, 1}, {"FARGATE_SPOT", 0, 1}}, 1, 0},
	}
	for _, c := range cases {
		got, err := Split(c.n, c.strategy)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got["FARGATE"] != c.od || got["FARGATE_SPOT"] != c.spot {
			t.Errorf("%s: got %v, want %g on-demand + %g Spot", c.name, got, c.od, c.spot)
		}
	}
	if _, err := Split(2, []Strategy{{"FARGATE", 1, 0}}); err == nil {
		t.Error("a task beyond the base with every weight 0: want an error")
	}
}

// The fixture is a hand-written `terraform show -json` plan: three services
// in a for_each module (service → task definition by reference; a
// strategy with a base; launch type FARGATE on ARM64; the cluster's default
// Spot strategy through var.cluster_arn), an internet-facing ALB with
// unknown subnets, a NAT instance, RDS, Valkey, and an unknown type.
func TestEstimateFixtureLineByLine(t *testing.T) {
	p, a := defaults(t)
	e, err := EstimatePlan("mini", loadPlan(t, "plan-mini.json"), p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Region != "us-east-1" {
		t.Errorf("region %q, want us-east-1 (from var.region)", e.Region)
	}
	want := map[string]float64{
		"Fargate/gateway":                 14.7752 + 3.24485 + 5.17132 + 1.1356975, // 1 on-demand + 1 Spot
		"Fargate/ui":                      0.25*0.03238*730 + 0.5*0.00356*730,      // ARM64 on-demand 5.90935 + 1.2994
		"Fargate/worker":                  0.25*0.014168*730 + 0.5*0.00155575*730,  // cluster default: Spot
		"Public IPv4/worker":              730 * 0.005,                             // assign_public_ip
		"Public IPv4/mini":                2 * 730 * 0.005,                         // internet-facing ALB, 2 subnets (after_unknown)
		"Public IPv4/nat":                 730 * 0.005,                             // NAT instance
		"Load balancer/mini":              730*0.0225 + 730*0.008,                  // 16.425 + 1 LCU 5.84
		"NAT/nat":                         730*0.0042 + 8*0.08,                     // t4g.nano + 8 GB gp3
		"Database/mini-db":                730 * 0.016,                             // db.t4g.micro
		"Database/mini-db storage":        20 * 0.115,                              // gp3 20 GB
		"Secrets/mini-db master password": 0.40 + 0.05,                             // manage_master_user_password
		"Secrets/mini/jwt":                0.40 + 0.05,                             // 10k calls
		"Cache/mini-cache":                730 * 0.0128,                            // Valkey node
		"Logs//ecs/mini/gateway":          0.5*0.50 + 0.5*14/30.4*0.03,             // ingest + 14 days stored
		"Registry/mini/gateway":           0.5 * 0.10,
	}
	got := map[string]float64{}
	for _, l := range e.Lines {
		got[l.Category+"/"+l.Name] += l.Monthly
	}
	var sum, fargate float64
	for k, w := range want {
		near(t, k, got[k], w)
		sum += w
		if strings.HasPrefix(k, "Fargate/") {
			fargate += w
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected line %s = %.4f", k, got[k])
		}
	}
	near(t, "total", e.Total, sum)
	near(t, "Fargate", e.Fargate, fargate)
	if len(e.NotPriced) != 1 || e.NotPriced[0].Address != "aws_glue_job.mystery" {
		t.Errorf("not priced = %+v, want exactly aws_glue_job.mystery", e.NotPriced)
	}
	// cluster (Container Insights off), capacity providers, 3 task definitions, IAM role.
	if e.Free != 6 {
		t.Errorf("free resources = %d, want 6", e.Free)
	}
}

func TestUnknownTypeIsListedNotDropped(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	e, err := EstimatePlan("mini", plan, p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := NewReport(p, a, e).Write(&b, Text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "NOT PRICED") || !strings.Contains(b.String(), "aws_glue_job.mystery") {
		t.Errorf("text output does not list the unknown resource:\n%s", b.String())
	}
	r := NewReport(p, a, e)
	if err := r.CheckBudget(); err == nil || !strings.Contains(err.Error(), "aws_glue_job.mystery not priced") {
		t.Errorf("CheckBudget with an unpriced resource: %v, want it to refuse", err)
	}
}

func TestMissingRegionalPriceFailsLoudly(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	plan.Variables["region"].Value = "eu-central-1"
	_, err := EstimatePlan("mini", plan, p, a, Options{})
	var mp *MissingPriceError
	if !errors.As(err, &mp) || mp.Region != "eu-central-1" || !strings.Contains(err.Error(), "eu-central-1") {
		t.Fatalf("err = %v, want a missing price for eu-central-1", err)
	}
	// One price missing in one region only: no fallback to the other region.
	p2, _ := DefaultPrices()
	delete(p2.Regions["us-east-1"], "elasticache.valkey.cache.t4g.micro.hour")
	_, err = EstimatePlan("mini", loadPlan(t, "plan-mini.json"), p2, a, Options{})
	if !errors.As(err, &mp) || mp.Resource != "aws_elasticache_replication_group.this" || mp.Region != "us-east-1" {
		t.Fatalf("err = %v, want the cache node's missing us-east-1 price", err)
	}
	for _, s := range []string{"aws_elasticache_replication_group.this", "us-east-1", "elasticache.valkey.cache.t4g.micro.hour"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

func TestPriceFileHasDateAndSourcePerRegion(t *testing.T) {
	p, _ := defaults(t)
	east, west := p.Regions["us-east-1"], p.Regions["us-west-2"]
	if len(east) < 30 || len(east) != len(west) {
		t.Fatalf("us-east-1 has %d prices, us-west-2 %d: want the same set", len(east), len(west))
	}
	for k, pr := range east {
		w, ok := west[k]
		if !ok {
			t.Errorf("us-west-2 lacks %s", k)
			continue
		}
		if pr.Date == "" || pr.Source == "" || w.Date == "" || w.Source == "" {
			t.Errorf("%s: date or source missing", k)
		}
	}
	if p.HoursPerMonth != 730 {
		t.Errorf("hours per month %g, want 730", p.HoursPerMonth)
	}
	bad := []string{
		`{"hours_per_month":730,"regions":{"us-east-1":{"x":{"usd":1,"date":"2026-11"}}}}`,
		`{"hours_per_month":730,"regions":{"us-east-1":{"x":{"usd":1,"source":"s"}}}}`,
		`{"hours_per_month":0,"regions":{"us-east-1":{}}}`,
	}
	for _, b := range bad {
		if _, err := ParsePrices([]byte(b)); err == nil {
			t.Errorf("ParsePrices(%s) accepted", b)
		}
	}
}

func TestAssumptionBelowFloorRefused(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(assumptionsJSON, &raw); err != nil {
		t.Fatal(err)
	}
	raw[ALBLCUPerHour] = map[string]any{"value": 0.1, "floor": 0.5, "unit": "LCU"}
	b, _ := json.Marshal(raw)
	_, err := ParseAssumptions(b)
	if err == nil || !strings.Contains(err.Error(), "alb_lcu_per_hour") || !strings.Contains(err.Error(), "below its floor") {
		t.Errorf("LCU 0.1 below floor 0.5: err = %v", err)
	}
	raw[ALBLCUPerHour] = map[string]any{"value": 0, "floor": 0}
	b, _ = json.Marshal(raw)
	if _, err := ParseAssumptions(b); err == nil || !strings.Contains(err.Error(), "floor must be positive") {
		t.Errorf("zero floor: err = %v", err)
	}
	delete(raw, ALBLCUPerHour)
	b, _ = json.Marshal(raw)
	if _, err := ParseAssumptions(b); err == nil || !strings.Contains(err.Error(), "missing alb_lcu_per_hour") {
		t.Errorf("missing assumption: err = %v", err)
	}
	raw[ALBLCUPerHour] = map[string]any{"value": 2, "floor": 0.5}
	raw["nat_free_lunch"] = map[string]any{"value": 1, "floor": 1}
	b, _ = json.Marshal(raw)
	if _, err := ParseAssumptions(b); err == nil || !strings.Contains(err.Error(), "unknown assumption") {
		t.Errorf("unknown assumption: err = %v", err)
	}
	// A value above its floor is taken.
	delete(raw, "nat_free_lunch")
	b, _ = json.Marshal(raw)
	a, err := ParseAssumptions(b)
	if err != nil || a[ALBLCUPerHour].Value != 2 {
		t.Errorf("LCU 2: %v %v", a[ALBLCUPerHour], err)
	}
	// COST_ASSUMPTIONS points at a file below floor: refused too.
	raw[ALBLCUPerHour] = map[string]any{"value": 0.2, "floor": 0.5}
	b, _ = json.Marshal(raw)
	path := t.TempDir() + "/a.json"
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAssumptions(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadAssumptions from %s: %v", path, err)
	}
}

func TestScheduleHours(t *testing.T) {
	// Down at 20:00 and up at 07:00 on weekdays: up 07-20 Mon-Fri = 65 h a week.
	h, ok := monthlyHours([]scheduled{{"cron(0 20 ? * MON-FRI *)", false}, {"cron(0 7 ? * MON-FRI *)", true}}, 730)
	if !ok {
		t.Fatal("simple weekday schedule not parsed")
	}
	near(t, "weekday 07-20", h, 65.0*730/168)
	// Numeric days (1 = Sunday): up 08:30-18:00 on 2-6 (Mon-Fri) = 9.5 × 5 = 47.5 h a week.
	h, ok = monthlyHours([]scheduled{{"cron(0 18 ? * 2-6 *)", false}, {"cron(30 8 ? * 2-6 *)", true}}, 730)
	if !ok {
		t.Fatal("numeric days not parsed")
	}
	near(t, "08:30-18:00 days 2-6", h, 47.5*730/168)
	if _, ok := monthlyHours([]scheduled{{"rate(1 hour)", false}}, 730); ok {
		t.Error("rate() expression: want not parsed (falls back to the assumption)")
	}
}

func TestScheduledPlanAndAlwaysOn(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	gw := plan.PlannedValues.RootModule.ChildModules[0]
	gw.Resources = append(gw.Resources,
		&tfjson.StateResource{Address: `module.svc["gateway"].aws_appautoscaling_scheduled_action.down[0]`, Mode: tfjson.ManagedResourceMode, Type: "aws_appautoscaling_scheduled_action", Name: "down", Index: 0,
			AttributeValues: map[string]any{"resource_id": "service/mini/gateway", "scalable_dimension": "ecs:service:DesiredCount", "schedule": "cron(0 20 ? * MON-FRI *)",
				"scalable_target_action": []any{map[string]any{"min_capacity": 0.0, "max_capacity": 0.0}}}},
		&tfjson.StateResource{Address: `module.svc["gateway"].aws_appautoscaling_scheduled_action.up[0]`, Mode: tfjson.ManagedResourceMode, Type: "aws_appautoscaling_scheduled_action", Name: "up", Index: 0,
			AttributeValues: map[string]any{"resource_id": "service/mini/gateway", "scalable_dimension": "ecs:service:DesiredCount", "schedule": "cron(0 7 ? * MON-FRI *)",
				"scalable_target_action": []any{map[string]any{"min_capacity": 2.0, "max_capacity": 2.0}}}},
	)
	hours := 65.0 * 730 / 168
	gateway := func(o Options) float64 {
		e, err := EstimatePlan("mini", plan, p, a, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range e.Lines {
			if l.Name == "gateway" && l.Category == CatFargate {
				return l.Monthly
			}
		}
		t.Fatal("no gateway line")
		return 0
	}
	near(t, "scheduled gateway", gateway(Options{}), hours*(0.5*0.04048+0.004445)+hours*(0.5*0.014168+0.00155575))
	near(t, "always-on gateway", gateway(Options{AlwaysOn: true}), 18.02005+6.3070175)
}

func TestScaleDownReprices(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	sd, err := CompareScaleDown("mini", plan, p, a, map[string]float64{"gateway": 3, "ui": 2})
	if err != nil {
		t.Fatal(err)
	}
	x86Small := 0.25*0.04048*730 + 0.5*0.004445*730 // 7.3876 + 1.622425 = 9.010025
	before := 3*18.02005 + 2*x86Small + x86Small    // gateway 3, ui 2 (on x86 now), worker 1 — all on-demand
	now := 18.02005 + 6.3070175 + 7.20875 + 0.25*0.014168*730 + 0.5*0.00155575*730
	near(t, "Fargate before", sd.FargateBefore, before)
	near(t, "Fargate now", sd.FargateNow, now)
	near(t, "saved %", sd.FargateSaved, 100*(before-now)/before)
	near(t, "total difference", sd.TotalBefore-sd.TotalNow, before-now)
	if _, err := CompareScaleDown("mini", plan, p, a, map[string]float64{"nosuch": 2}); err == nil {
		t.Error("a service not in the plan: want an error")
	}
}

func TestRenderings(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	e1, err := EstimatePlan("one", plan, p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := EstimatePlan("two", plan, p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReport(p, a, e1, e2)
	var b bytes.Buffer
	if err := r.Write(&b, Text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	// The mini plan's one log group ingests 0.5 GB a month: both
	// environments' 1 GB is under the always-free 5 GB, worth 1 × $0.50,
	// subtracted once from the sum.
	near(t, "gross", r.Gross, 2*e1.Total)
	wantLast := "total (both environments): $" + usd(2*e1.Total-1*0.5) + "/month"
	if lines[len(lines)-1] != wantLast {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], wantLast)
	}
	b.Reset()
	if err := r.Write(&b, Markdown); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| one | us-east-1 |", "### two (us-east-1)", "| Fargate | gateway |", "`aws_glue_job.mystery`"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	b.Reset()
	if err := r.Write(&b, JSON); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Environments []struct {
			Env   string  `json:"environment"`
			Total float64 `json:"total_usd"`
			Lines []Line  `json:"lines"`
		} `json:"environments"`
		Total float64 `json:"total_usd"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Environments) != 2 || back.Environments[1].Env != "two" || len(back.Environments[0].Lines) != len(e1.Lines) {
		t.Errorf("JSON round trip: %+v", back)
	}
	near(t, "JSON total", back.Total, 2*e1.Total-1*0.5)
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("format yaml accepted")
	}
}

func TestCheckBudgetRefusesEmptyAndOver(t *testing.T) {
	p, a := defaults(t)
	empty := &tfjson.Plan{FormatVersion: "1.2", PlannedValues: &tfjson.StateValues{RootModule: &tfjson.StateModule{}},
		Variables: map[string]*tfjson.PlanVariable{"region": {Value: "us-east-1"}}}
	e, err := EstimatePlan("dev", empty, p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := NewReport(p, a, e).CheckBudget(); err == nil || !strings.Contains(err.Error(), "no priced Fargate service") {
		t.Errorf("empty plan: %v", err)
	}
	if _, err := EstimatePlan("dev", &tfjson.Plan{}, p, a, Options{}); err == nil {
		t.Error("plan without planned values accepted")
	}
	over := &Report{Budget: Budget, Total: 200, Environments: []*Estimate{{Env: "dev", Lines: []Line{{Category: CatFargate, Monthly: 200}}}}}
	if err := over.CheckBudget(); err == nil || !strings.Contains(err.Error(), "over the $200.00 budget") {
		t.Errorf("$200.00: %v", err)
	}
	tight := &Report{Budget: Budget, Total: 185.01, Environments: []*Estimate{{Env: "dev", Lines: []Line{{Category: CatFargate, Monthly: 185.01}}}}}
	if err := tight.CheckBudget(); err == nil || !strings.Contains(err.Error(), "$14.99 under the $200.00 budget, less than the $15.00 that must stay unspent") {
		t.Errorf("$185.01: %v", err)
	}
	under := &Report{Budget: Budget, Total: 185, Environments: []*Estimate{{Env: "dev", Lines: []Line{{Category: CatFargate, Monthly: 185}}}}}
	if err := under.CheckBudget(); err != nil {
		t.Errorf("$185.00: %v", err)
	}
}

// An always-free allowance is counted once for both environments: their
// use summed, capped at the allowance.
func TestFreeTiersCountedOnceForBoth(t *testing.T) {
	p, a := defaults(t)
	logs := func(gb float64) FreeTier {
		return FreeTier{Name: "CloudWatch Logs", Used: gb, Allowance: 5, UnitPrice: 0.5}
	}
	dev := &Estimate{Env: "dev", Total: 80, FreeTiers: []FreeTier{logs(4), {Name: "CloudFront requests", Used: 100, Allowance: 1000, UnitPrice: 0.01}}}
	staging := &Estimate{Env: "staging", Total: 110, FreeTiers: []FreeTier{logs(4)}}
	r := NewReport(p, a, dev, staging)
	// 8 GB used, 5 free: $2.50 (not 2 × $2.00); 100 × 10k requests: $1.00.
	near(t, "gross", r.Gross, 190)
	near(t, "total", r.Total, 190-2.5-1)
	if len(r.FreeCredits) != 2 || r.FreeCredits[0].Name != "CloudWatch Logs" || r.FreeCredits[0].Used != 8 {
		t.Errorf("credits %+v", r.FreeCredits)
	}
}

// The second fixture covers what infracost misses or the committed design
// does not use: NAT gateways and their Elastic IP (one address, not two),
// Redis against Valkey nodes and serverless minimums, interface endpoints
// per AZ, Container Insights, alarms, CloudFront's free tier, Cloud Map.
func TestEstimateSecondFixture(t *testing.T) {
	p, a := defaults(t)
	e, err := EstimatePlan("more", loadPlan(t, "plan-more.json"), p, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Region != "us-west-2" {
		t.Fatalf("region %q", e.Region)
	}
	got := map[string]float64{}
	for _, l := range e.Lines {
		got[l.Address+"|"+l.Category] += l.Monthly
	}
	want := map[string]float64{
		"aws_eip.nat|Public IPv4":                                            730 * 0.005,
		"aws_nat_gateway.this|NAT":                                           730*0.045 + 20*0.045, // its address is the EIP line
		"aws_nat_gateway.orphan|NAT":                                         730*0.045 + 20*0.045,
		"aws_nat_gateway.orphan|Public IPv4":                                 730 * 0.005, // allocation not in the plan
		"aws_elasticache_cluster.redis|Cache":                                730 * 0.017,
		"aws_elasticache_serverless_cache.valkey|Cache":                      0.1*730*0.084 + 100*0.0023, // 100 MB minimum
		"aws_elasticache_serverless_cache.redis|Cache":                       1*730*0.125 + 100*0.0034,   // 1 GB minimum
		"aws_vpc_endpoint.ecr_api|VPC endpoint":                              2*730*0.01 + 5*0.01,
		"aws_ecs_cluster.this|Monitoring":                                    (8 + 22) * 0.30,
		"aws_ecs_service.api|Fargate":                                        0.25*0.04048*730 + 0.5*0.004445*730,
		"aws_service_discovery_private_dns_namespace.this|Service discovery": 0.50,
		"aws_cloudwatch_metric_alarm.cpu|Monitoring":                         0.10,
		"aws_cloudwatch_metric_alarm.rate|Monitoring":                        2 * 0.10,
		"aws_kms_key.alarms|Monitoring":                                      1.00,
		"aws_cloudfront_distribution.this|CloudFront":                        10*0.085 + 100*0.01,
		"aws_instance.bastion|EC2":                                           730*0.0104 + 8*0.08,
		"aws_instance.bastion|Public IPv4":                                   730 * 0.005,
		"aws_lb.public|Load balancer":                                        730*0.0225 + 730*0.008,
		"aws_lb.public|Public IPv4":                                          3 * 730 * 0.005,
	}
	for k, w := range want {
		near(t, k, got[k], w)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected line %s = %.4f", k, got[k])
		}
	}
	free := map[string]float64{}
	for _, f := range e.FreeTiers {
		free[f.Name] = f.Worth
	}
	near(t, "CloudFront data free tier", free["CloudFront data out"], 10*0.085)
	near(t, "CloudFront requests free tier", free["CloudFront requests"], 100*0.01)
	near(t, "alarms free tier", free["CloudWatch alarms"], 3*0.10)
	near(t, "metrics free tier", free["CloudWatch metrics"], 10*0.30)
	// An environment's free tiers are shown, never subtracted from its
	// own total (the report subtracts them once for both).
	var sum float64
	for _, w := range want {
		sum += w
	}
	near(t, "total without free tiers", e.Total, sum)
	if len(e.NotPriced) != 0 {
		t.Errorf("not priced: %+v", e.NotPriced)
	}
}

func TestWhatIfs(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	ws, err := WhatIfs("mini", plan, p, a)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, w := range ws {
		got[w.Change] = w.Delta
	}
	h := 65.0 * 730 / 168
	fargate := 18.02005 + 6.3070175 + 7.20875 + 3.15350875
	want := map[string]float64{
		"schedule on (every service 282.44 h: 07:00-20:00 on weekdays; database and cache stay on)": (fargate + 3.65) * (h/730 - 1), // the worker's public IP follows its task
		"NAT gateway instead of the NAT instance nat":                                               730*0.045 + 20*0.045 - (730*0.0042 + 8*0.08),
		"ElastiCache Serverless valkey (minimum 0.1 GB) instead of the cache.t4g.micro node":        0.1*730*0.084 + 100*0.0023 - 730*0.0128,
	}
	for k, w := range want {
		d, ok := got[k]
		if !ok {
			t.Errorf("no what-if %q (have %v)", k, got)
			continue
		}
		near(t, k, d, w)
	}
	// The worker runs on the cluster's default Spot strategy, not its own:
	// no base-1 what-if is offered for it, nor for gateway (base 1 already)
	// or ui (launch type FARGATE).
	if len(ws) != len(want) {
		t.Errorf("what-ifs %v, want exactly %d", got, len(want))
	}
	if h2 := DefaultScheduleHours(730); math.Abs(h2-h) > 1e-9 {
		t.Errorf("default schedule hours %g, want %g", h2, h)
	}
}

func TestWhatIfOnDemandBase(t *testing.T) {
	p, a := defaults(t)
	plan := loadPlan(t, "plan-mini.json")
	svc := plan.PlannedValues.RootModule.ChildModules[0].Resources[1]
	svc.AttributeValues["capacity_provider_strategy"] = []any{map[string]any{"capacity_provider": "FARGATE_SPOT", "base": 0.0, "weight": 1.0}}
	ws, err := WhatIfs("mini", plan, p, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Change == "on-demand base 1 for gateway" {
			near(t, w.Change, w.Delta, 18.02005-6.3070175) // one of two tasks moves from Spot to on-demand
			return
		}
	}
	t.Errorf("no base-1 what-if for gateway in %+v", ws)
}
