package envtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// terraformRoot is the kit's Terraform tree, relative to this package; ENVTEST_TERRAFORM_ROOT
// points the tests at another tree (a mutated copy, to see them fail).
var terraformRoot = func() string {
	if r := os.Getenv("ENVTEST_TERRAFORM_ROOT"); r != "" {
		return r
	}
	return filepath.Join("..", "..", "..", "..", "terraform")
}()

var envs = []string{"dev", "staging"}

// Expected facts, written down independently of the configuration they check.
var (
	wantRegion       = map[string]string{"dev": "us-west-2", "staging": "us-east-1"}
	wantZoneIDPrefix = map[string]string{"dev": "usw2-az", "staging": "use1-az"}
	wantCount        = map[string]float64{"dev": 1, "staging": 2}
	wantMutable      = map[string]string{"dev": "MUTABLE", "staging": "IMMUTABLE"}
	wantKey          = map[string]string{"dev": "equiptrack/dev/terraform.tfstate", "staging": "equiptrack/staging/terraform.tfstate"}
	wantServices     = []string{"gateway", "inventory", "location", "reporting", "ui", "user"}
	wantSizes        = map[string][2]string{"gateway": {"512", "1024"}, "inventory": {"256", "512"}, "location": {"256", "512"}, "user": {"256", "512"}, "reporting": {"256", "512"}, "ui": {"256", "512"}, "seeder": {"256", "512"}, "migrate": {"256", "512"}}
	wantOnDemand     = map[string]map[string]float64{"dev": {}, "staging": {}}
	wantTags         = []string{"Environment", "Project", "ManagedBy"}
	contractOuts     = []string{"region", "environment", "url", "cluster_name", "cluster_arn", "services", "seeder", "migrate", "private_subnet_ids", "task_security_group_id", "deploy_role_arn", "plan_role_arn", "apply_role_arn", "ecr_repository_urls", "registry_immutable", "secrets", "db_app_user"}
	minResources     = 100 // a whole environment is well over a hundred resources; fewer means something is missing
	planTimeout      = 8 * time.Minute
	planOnce         sync.Once
	plans            map[string]*tfjson.Plan
	planErr          error
	planDurations    = map[string]time.Duration{}
)

// loadPlans plans both roots offline once per test process, each in a scratch copy of the tree
// with its own plan file.
func loadPlans(t *testing.T) map[string]*tfjson.Plan {
	t.Helper()
	if testing.Short() {
		t.Skip("plans both environments with OpenTofu (about a minute); skipped under -short")
	}
	planOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), planTimeout)
		defer cancel()
		plans, planErr = planAll(ctx)
	})
	if planErr != nil {
		t.Fatalf("offline plans: %v", planErr)
	}
	for _, env := range envs {
		if n := len(changes(plans[env], "")); n < minResources {
			t.Fatalf("%s: the plan creates %d resources, want at least %d", env, n, minResources)
		}
	}
	return plans
}

func planAll(ctx context.Context) (map[string]*tfjson.Plan, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	c, err := tfdriver.NewChecker(ctx, terraformRoot, logf) // offline: the schema replica
	if err != nil {
		return nil, fmt.Errorf("toolchain: %w", err)
	}
	defer c.Close()
	// Our own plan directory: other test processes plan the same roots at the same time.
	if c.PlanDir, err = os.MkdirTemp("", "envtest-plans-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(c.PlanDir)
	out := map[string]*tfjson.Plan{}
	for _, name := range envs {
		start := time.Now()
		res, err := c.Plan(ctx, name, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = res.Plan
		planDurations[name] = time.Since(start)
	}
	return out, nil
}

// changes returns the planned creations of one resource type ("" for all).
func changes(p *tfjson.Plan, typ string) []*tfjson.ResourceChange {
	var out []*tfjson.ResourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Mode != tfjson.ManagedResourceMode || !rc.Change.Actions.Create() {
			continue
		}
		if typ == "" || rc.Type == typ {
			out = append(out, rc)
		}
	}
	return out
}

func after(rc *tfjson.ResourceChange) map[string]any {
	m, _ := rc.Change.After.(map[string]any)
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func first(m map[string]any, k string) map[string]any {
	l, _ := m[k].([]any)
	if len(l) == 0 {
		return nil
	}
	o, _ := l[0].(map[string]any)
	return o
}

// --- files --------------------------------------------------------------------------------------

// readBackend reads the `name = "value"` lines of a partial backend file.
func readBackend(t *testing.T, env string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(terraformRoot, "envs", env, env+".s3.tfbackend"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^\s*([a-z_]+)\s*=\s*"([^"]*)"\s*$`)
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackendKeysDiffer(t *testing.T) {
	be := map[string]map[string]string{}
	for _, env := range envs {
		be[env] = readBackend(t, env)
		if be[env]["key"] != wantKey[env] {
			t.Errorf("%s.s3.tfbackend key = %q, want %q", env, be[env]["key"], wantKey[env])
		}
		if be[env]["region"] == "" {
			t.Errorf("%s.s3.tfbackend must name the bucket's region: %v", env, be[env])
		}
		// The bucket has one name, made by terraform/bootstrap and passed at init; a file that
		// repeats it drifts from it (it did: equiptrack-terraform-state vs equiptrack-tfstate-<account>).
		if b, ok := be[env]["bucket"]; ok {
			t.Errorf("%s.s3.tfbackend names bucket %q: the bucket comes from terraform/bootstrap's output at init", env, b)
		}
	}
	if be["dev"]["key"] == be["staging"]["key"] {
		t.Errorf("dev and staging share the state key %q", be["dev"]["key"])
	}
}

// --- plans --------------------------------------------------------------------------------------

func TestRegions(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		out := ps[env].PlannedValues.Outputs["region"]
		if out == nil || out.Value != wantRegion[env] {
			t.Errorf("%s: output region = %v, want %s", env, out, wantRegion[env])
		}
		subnets := changes(ps[env], "aws_subnet")
		if len(subnets) != 4 {
			t.Errorf("%s: %d subnets, want 4 (public and private in two zones)", env, len(subnets))
		}
		zones := map[string]bool{}
		for _, s := range subnets {
			// Zones by ID (names map to different zones in each account): usw2-az1 is us-west-2's.
			az := str(after(s), "availability_zone_id")
			if !strings.HasPrefix(az, wantZoneIDPrefix[env]) {
				t.Errorf("%s: %s in zone %q, want a zone ID of %s (%s…)", env, s.Address, az, wantRegion[env], wantZoneIDPrefix[env])
			}
			zones[az] = true
		}
		if len(zones) != 2 {
			t.Errorf("%s: subnets span %d zones, want 2", env, len(zones))
		}
	}
	if wantRegion["dev"] == wantRegion["staging"] {
		t.Fatal("the expected regions must differ")
	}
}

func TestTaskCountsSizesAndCapacity(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		svcs := changes(ps[env], "aws_ecs_service")
		var names []string
		for _, s := range svcs {
			a := after(s)
			name := str(a, "name")
			names = append(names, name)
			if a["desired_count"] != wantCount[env] {
				t.Errorf("%s/%s: desired_count = %v, want %v", env, name, a["desired_count"], wantCount[env])
			}
			if a["deployment_minimum_healthy_percent"] != float64(100) || a["deployment_maximum_percent"] != float64(200) {
				t.Errorf("%s/%s: deployments must keep 100%% healthy (min 100, max 200), got %v/%v", env, name, a["deployment_minimum_healthy_percent"], a["deployment_maximum_percent"])
			}
			// Without it a capacity-provider change (the cost lever ui back to on-demand) fails the
			// plan on current 6.x providers; see modules/ecs-service/main.tf.
			if a["force_new_deployment"] != true {
				t.Errorf("%s/%s: force_new_deployment = %v, want true", env, name, a["force_new_deployment"])
			}
			cb := first(a, "deployment_circuit_breaker")
			if cb == nil || cb["enable"] != true || cb["rollback"] != true {
				t.Errorf("%s/%s: circuit breaker with rollback missing: %v", env, name, cb)
			}
			strategy := map[string][2]float64{}
			for _, c := range a["capacity_provider_strategy"].([]any) {
				m := c.(map[string]any)
				strategy[m["capacity_provider"].(string)] = [2]float64{m["base"].(float64), m["weight"].(float64)}
			}
			wantBase := wantOnDemand[env][name]
			want := map[string][2]float64{"FARGATE_SPOT": {0, 1}}
			if wantBase > 0 {
				want["FARGATE"] = [2]float64{wantBase, 0}
			}
			if fmt.Sprint(strategy) != fmt.Sprint(want) {
				t.Errorf("%s/%s: capacity providers = %v, want %v", env, name, strategy, want)
			}
			if nc := first(a, "network_configuration"); nc == nil || nc["assign_public_ip"] != false {
				t.Errorf("%s/%s: tasks must not get a public IP", env, name)
			}
		}
		sort.Strings(names)
		if strings.Join(names, ",") != strings.Join(wantServices, ",") {
			t.Errorf("%s: services = %v, want %v", env, names, wantServices)
		}
		tds := changes(ps[env], "aws_ecs_task_definition")
		if len(tds) != 8 {
			t.Errorf("%s: %d task definitions, want 8 (six services, the seeder, the migration)", env, len(tds))
		}
		for _, td := range tds {
			a := after(td)
			svc := strings.TrimPrefix(str(a, "family"), "equiptrack-"+env+"-")
			size, ok := wantSizes[svc]
			if !ok {
				t.Errorf("%s: unexpected task definition family %q", env, str(a, "family"))
				continue
			}
			if str(a, "cpu") != size[0] || str(a, "memory") != size[1] {
				t.Errorf("%s/%s: size %s/%s, want %s/%s", env, svc, str(a, "cpu"), str(a, "memory"), size[0], size[1])
			}
			if rp := first(a, "runtime_platform"); rp == nil || rp["cpu_architecture"] != "X86_64" {
				t.Errorf("%s/%s: runtime platform must be X86_64 (Fargate Spot): %v", env, svc, rp)
			}
			// The container definitions hold database and cache addresses, unknown until apply:
			// their contents (APP_ENV, secrets by reference, health checks) are asserted in
			// modules/environment/tests with a mocked provider.
		}
	}
}

func TestLoadBalancerChecksReadiness(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		tgs := changes(ps[env], "aws_lb_target_group")
		got := map[string]string{}
		for _, tg := range tgs {
			a := after(tg)
			hc := first(a, "health_check")
			got[str(a, "name")] = fmt.Sprint(hc["path"])
		}
		want := map[string]string{"equiptrack-" + env + "-gateway": "/readyz", "equiptrack-" + env + "-ui": "/readyz"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: target-group health checks = %v, want %v", env, got, want)
		}
		lbs := changes(ps[env], "aws_lb")
		if len(lbs) != 1 || after(lbs[0])["internal"] != true {
			t.Errorf("%s: want exactly one internal load balancer", env)
		}
	}
}

func TestRegistryMutability(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		repos := changes(ps[env], "aws_ecr_repository")
		if len(repos) != 7 {
			t.Errorf("%s: %d repositories, want 7", env, len(repos))
		}
		for _, r := range repos {
			if got := str(after(r), "image_tag_mutability"); got != wantMutable[env] {
				t.Errorf("%s: %s image_tag_mutability = %q, want %q", env, str(after(r), "name"), got, wantMutable[env])
			}
		}
	}
}

func TestAlarmsOnlyInStaging(t *testing.T) {
	ps := loadPlans(t)
	for _, typ := range []string{"aws_cloudwatch_metric_alarm", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_sns_topic", "aws_sns_topic_subscription"} {
		if n := len(changes(ps["dev"], typ)); n != 0 {
			t.Errorf("dev: %d %s, want none", n, typ)
		}
	}
	// The NAT instance recovers itself in both (EC2's automatic recovery); staging also has its
	// recover/reboot alarms, which act on EC2 and notify the topic.
	for _, env := range envs {
		insts := changes(ps[env], "aws_instance")
		if len(insts) != 1 || str(first(after(insts[0]), "maintenance_options"), "auto_recovery") != "default" {
			t.Errorf("%s: the NAT instance must keep EC2's automatic recovery (maintenance_options.auto_recovery = default)", env)
		}
	}
	nat := map[string]string{}
	for _, a := range changes(ps["staging"], "aws_cloudwatch_metric_alarm") {
		at := after(a)
		if name := str(at, "alarm_name"); strings.HasPrefix(name, "equiptrack-staging-nat-") {
			nat[name] = str(at, "metric_name")
		}
	}
	// Their actions (EC2 recover/reboot plus the topic) hold the topic's ARN, unknown until
	// apply: modules/network/tests asserts them.
	wantNAT := map[string]string{
		"equiptrack-staging-nat-recover": "StatusCheckFailed_System",
		"equiptrack-staging-nat-reboot":  "StatusCheckFailed_Instance",
	}
	if fmt.Sprint(nat) != fmt.Sprint(wantNAT) {
		t.Errorf("staging: NAT alarms %v, want %v", nat, wantNAT)
	}
	subs := changes(ps["staging"], "aws_sns_topic_subscription")
	if len(subs) != 1 || str(after(subs[0]), "protocol") != "email" || !strings.Contains(str(after(subs[0]), "endpoint"), "@") {
		t.Errorf("staging: want one e-mail subscription to the alarm topic (alarms must notify someone), got %d", len(subs))
	}
	metrics := map[string]bool{}
	for _, a := range changes(ps["staging"], "aws_cloudwatch_metric_alarm") {
		at := after(a)
		metrics[str(at, "metric_name")] = true
		for _, q := range asList(at["metric_query"]) {
			if m := first(q, "metric"); m != nil {
				metrics[str(m, "metric_name")] = true
			}
		}
	}
	// Running tasks below desired: HealthyHostCount (services behind the ALB) and ECS events (all
	// services) with Container Insights off; RunningTaskCount would need the billed metrics.
	for _, m := range []string{"HTTPCode_ELB_5XX_Count", "UnHealthyHostCount", "HealthyHostCount", "CPUUtilization", "FreeStorageSpace"} {
		if !metrics[m] {
			t.Errorf("staging: no alarm on %s (alarmed metrics: %v)", m, keys(metrics))
		}
	}
	if metrics["RunningTaskCount"] {
		t.Errorf("staging: an alarm reads ECS/ContainerInsights RunningTaskCount, but Container Insights is off")
	}
	healthy := map[string]float64{}
	for _, a := range changes(ps["staging"], "aws_cloudwatch_metric_alarm") {
		at := after(a)
		if str(at, "metric_name") == "HealthyHostCount" {
			th, _ := at["threshold"].(float64)
			healthy[str(at, "alarm_name")] = th
		}
	}
	wantHealthy := map[string]float64{"equiptrack-staging-gateway-healthy-below-desired": 2, "equiptrack-staging-ui-healthy-below-desired": 2}
	if fmt.Sprint(healthy) != fmt.Sprint(wantHealthy) {
		t.Errorf("staging: healthy-host alarms %v, want %v (threshold = desired count)", healthy, wantHealthy)
	}
	rules := map[string]bool{}
	for _, r := range changes(ps["staging"], "aws_cloudwatch_event_rule") {
		rules[str(after(r), "name")] = true
	}
	wantRules := []string{"equiptrack-staging-ecs-deployment-failed", "equiptrack-staging-ecs-service-action", "equiptrack-staging-ecs-task-stopped", "equiptrack-staging-ecs-task-unhealthy"}
	if got := strings.Join(keys(rules), ","); got != strings.Join(wantRules, ",") {
		t.Errorf("staging: event rules %s, want %s", got, strings.Join(wantRules, ","))
	}
	targets := changes(ps["staging"], "aws_cloudwatch_event_target")
	if len(targets) != len(wantRules) {
		t.Errorf("staging: %d event targets, want one per rule (%d)", len(targets), len(wantRules))
	}
	for _, tg := range targets {
		if id := str(after(tg), "target_id"); id != "alarm-topic" {
			t.Errorf("staging: %s target_id = %q, want alarm-topic", tg.Address, id)
		}
	}
	if n := len(changes(ps["staging"], "aws_sns_topic_policy")); n != 1 {
		t.Errorf("staging: %d topic policies, want 1 (EventBridge must be allowed to publish)", n)
	}
}

// Container Insights is billed per metric (~$42/month for staging's six services): off in both.
func TestContainerInsightsOffInBoth(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		cs := changes(ps[env], "aws_ecs_cluster")
		if len(cs) != 1 {
			t.Fatalf("%s: %d clusters, want 1", env, len(cs))
		}
		var got []string
		for _, st := range asList(after(cs[0])["setting"]) {
			if str(st, "name") == "containerInsights" {
				got = append(got, str(st, "value"))
			}
		}
		if strings.Join(got, ",") != "disabled" {
			t.Errorf("%s: containerInsights = %v, want [disabled]", env, got)
		}
	}
}

// The cache is one ElastiCache Valkey node in both (the seed's "Redis: single node per environment"):
// a serverless cache is a cluster (CROSSSLOT on multi-key commands), unlike the local stores.
func TestCacheIsOneNode(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		if n := len(changes(ps[env], "aws_elasticache_serverless_cache")); n != 0 {
			t.Errorf("%s: %d serverless caches, want none (one node)", env, n)
		}
		rgs := changes(ps[env], "aws_elasticache_replication_group")
		if len(rgs) != 1 {
			t.Fatalf("%s: %d replication groups, want 1", env, len(rgs))
		}
		a := after(rgs[0])
		if got, want := str(a, "replication_group_id"), "equiptrack-"+env+"-cache"; got != want {
			t.Errorf("%s: cache id %q, want %q", env, got, want)
		}
		if str(a, "engine") != "valkey" || str(a, "node_type") != "cache.t4g.micro" || a["num_cache_clusters"] != float64(1) {
			t.Errorf("%s: cache %s %s × %v, want valkey cache.t4g.micro × 1", env, str(a, "engine"), str(a, "node_type"), a["num_cache_clusters"])
		}
		// fmt.Sprint: at_rest_encryption_enabled is a string in the 6.x schema, the others booleans.
		if fmt.Sprint(a["automatic_failover_enabled"]) != "false" || fmt.Sprint(a["transit_encryption_enabled"]) != "true" || fmt.Sprint(a["at_rest_encryption_enabled"]) != "true" {
			t.Errorf("%s: cache must be a single node without failover, encrypted in transit and at rest: %v/%v/%v", env, a["automatic_failover_enabled"], a["transit_encryption_enabled"], a["at_rest_encryption_enabled"])
		}
	}
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestNoIngressFromTheWorld(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		rules := changes(ps[env], "aws_vpc_security_group_ingress_rule")
		if len(rules) < 4 {
			t.Fatalf("%s: only %d ingress rules planned", env, len(rules))
		}
		prefixLists := 0
		for _, r := range rules {
			a := after(r)
			if str(a, "cidr_ipv4") == "0.0.0.0/0" || str(a, "cidr_ipv6") == "::/0" {
				t.Errorf("%s: %s admits the whole internet", env, r.Address)
			}
			if str(a, "prefix_list_id") != "" {
				prefixLists++
			}
		}
		if prefixLists != 1 {
			t.Errorf("%s: %d ingress rules from a prefix list, want 1 (the ALB from CloudFront)", env, prefixLists)
		}
		for _, sg := range changes(ps[env], "aws_security_group") {
			for _, in := range asList(after(sg)["ingress"]) {
				if strings.Contains(fmt.Sprint(in["cidr_blocks"]), "0.0.0.0/0") {
					t.Errorf("%s: %s has an inline rule open to the world", env, sg.Address)
				}
			}
		}
	}
}

func TestTagsOnEveryTaggableResource(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		tagged := 0
		for _, rc := range changes(ps[env], "") {
			a := after(rc)
			tags, ok := a["tags_all"].(map[string]any)
			if !ok {
				if u, _ := rc.Change.AfterUnknown.(map[string]any); u != nil && u["tags_all"] == true {
					t.Errorf("%s: %s: tags_all unknown at plan time", env, rc.Address)
				}
				continue // not taggable
			}
			tagged++
			want := map[string]string{"Environment": env, "Project": "equiptrack", "ManagedBy": "terraform"}
			for _, k := range wantTags {
				if tags[k] != want[k] {
					t.Errorf("%s: %s: tag %s = %v, want %q", env, rc.Address, k, tags[k], want[k])
				}
			}
		}
		if tagged < 80 {
			t.Errorf("%s: only %d resources carry tags_all; the check would be vacuous", env, tagged)
		}
	}
}

// nameAttrs lists, per resource type, the attributes holding a name that must be unique in an
// account (or globally); required types must appear in both plans.
var nameAttrs = map[string]string{
	"aws_iam_role":                                "name",
	"aws_ecr_repository":                          "name",
	"aws_cloudwatch_log_group":                    "name",
	"aws_ecs_cluster":                             "name",
	"aws_secretsmanager_secret":                   "name",
	"aws_ecs_task_definition":                     "family",
	"aws_lb":                                      "name",
	"aws_lb_target_group":                         "name",
	"aws_security_group":                          "name",
	"aws_db_instance":                             "identifier",
	"aws_elasticache_replication_group":           "replication_group_id",
	"aws_elasticache_serverless_cache":            "name",
	"aws_cloudwatch_event_rule":                   "name",
	"aws_service_discovery_private_dns_namespace": "name",
	"aws_cloudwatch_metric_alarm":                 "alarm_name",
	"aws_sns_topic":                               "name",
	"aws_kms_alias":                               "name",
	"aws_s3_bucket":                               "bucket",
	"aws_db_subnet_group":                         "name",
	"aws_elasticache_subnet_group":                "name",
	"aws_db_parameter_group":                      "name",
}

var requiredNames = []string{"aws_iam_role", "aws_ecr_repository", "aws_cloudwatch_log_group", "aws_ecs_cluster", "aws_secretsmanager_secret", "aws_ecs_task_definition", "aws_lb", "aws_db_instance", "aws_elasticache_replication_group"}

func names(p *tfjson.Plan) map[string]map[string]string {
	out := map[string]map[string]string{}
	for typ, attr := range nameAttrs {
		for _, rc := range changes(p, typ) {
			a := after(rc)
			n := str(a, attr)
			if n == "" && typ == "aws_secretsmanager_secret" {
				n = str(a, "name_prefix")
			}
			if n == "" {
				continue
			}
			if out[typ] == nil {
				out[typ] = map[string]string{}
			}
			out[typ][n] = rc.Address
		}
	}
	// CloudFront VPC origins are global: their names must differ too.
	for _, rc := range changes(p, "aws_cloudfront_vpc_origin") {
		if c := first(after(rc), "vpc_origin_endpoint_config"); c != nil {
			if out["aws_cloudfront_vpc_origin"] == nil {
				out["aws_cloudfront_vpc_origin"] = map[string]string{}
			}
			out["aws_cloudfront_vpc_origin"][str(c, "name")] = rc.Address
		}
	}
	return out
}

func TestNoNameSharedBetweenEnvironments(t *testing.T) {
	ps := loadPlans(t)
	dev, staging := names(ps["dev"]), names(ps["staging"])
	for _, typ := range requiredNames {
		if len(dev[typ]) == 0 || len(staging[typ]) == 0 {
			t.Errorf("%s: no names planned (dev %d, staging %d): the check would be vacuous", typ, len(dev[typ]), len(staging[typ]))
		}
	}
	for typ, dn := range dev {
		for n, addr := range dn {
			if other, ok := staging[typ][n]; ok {
				t.Errorf("%s name %q is used by dev (%s) and staging (%s)", typ, n, addr, other)
			}
		}
	}
}

// strings walks every string in a planned value.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

func TestNothingReferencedAcross(t *testing.T) {
	ps := loadPlans(t)
	other := map[string]string{"dev": "staging", "staging": "dev"}
	for _, env := range envs {
		o := other[env]
		forbidden := []string{"equiptrack-" + o, "equiptrack/" + o + "/", wantRegion[o]}
		seen := 0
		for _, rc := range changes(ps[env], "") {
			walkStrings(rc.Change.After, func(s string) {
				seen++
				if strings.HasPrefix(s, "arn:aws:acm:us-east-1:") {
					return // CloudFront reads custom-domain certificates from us-east-1 only
				}
				for _, f := range forbidden {
					if strings.Contains(s, f) {
						t.Errorf("%s: %s refers to %s: %q", env, rc.Address, o, s)
					}
				}
			})
		}
		if seen < 500 {
			t.Errorf("%s: only %d strings in the plan; the check would be vacuous", env, seen)
		}
		// And it does name itself: the same walk finds its own prefix.
		own := 0
		for _, rc := range changes(ps[env], "") {
			walkStrings(rc.Change.After, func(s string) {
				if strings.Contains(s, "equiptrack-"+env) {
					own++
				}
			})
		}
		if own < 50 {
			t.Errorf("%s: only %d values carry equiptrack-%s", env, own, env)
		}
	}
}

// The environments' roles may use the state bucket bootstrap creates: the name both derive from the
// account (the replica's is 123456789012), and no other.
func TestStateBucketIsBootstrapsName(t *testing.T) {
	ps := loadPlans(t)
	boot, err := os.ReadFile(filepath.Join(terraformRoot, "bootstrap", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(boot), `"equiptrack-tfstate-${data.aws_caller_identity.current.account_id}"`) {
		t.Fatal("terraform/bootstrap no longer names the bucket equiptrack-tfstate-<account id>; update modules/environment's default with it")
	}
	for _, env := range envs {
		found := 0
		for _, rc := range ps[env].ResourceChanges {
			walkStrings(rc.Change.After, func(s string) {
				if strings.Contains(s, "arn:aws:s3:::equiptrack-tfstate-123456789012") {
					found++
				}
				if strings.Contains(s, "equiptrack-terraform-state") {
					t.Errorf("%s: %s names the old fixed bucket: %q", env, rc.Address, s)
				}
			})
		}
		if found == 0 {
			t.Errorf("%s: no policy grants the state bucket arn:aws:s3:::equiptrack-tfstate-123456789012", env)
		}
	}
}

func TestContractOutputs(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		for _, name := range contractOuts {
			if _, ok := ps[env].OutputChanges[name]; !ok {
				t.Errorf("%s: output %q missing (the release targets read it)", env, name)
			}
		}
		if imm := ps[env].PlannedValues.Outputs["registry_immutable"]; imm == nil || imm.Value != (env == "staging") {
			t.Errorf("%s: registry_immutable = %v, want %v", env, imm, env == "staging")
		}
		mig := ps[env].PlannedValues.Outputs["migrate"]
		if mig == nil {
			t.Errorf("%s: migrate output unknown at plan time", env)
			continue
		}
		m, _ := mig.Value.(map[string]any)
		// Its own task definition: the only one given the master credentials; inventory's image.
		if m["task_definition_family"] != "equiptrack-"+env+"-migrate" || m["container_name"] != "migrate" || m["service"] != "inventory" {
			t.Errorf("%s: migrate = %v, want the migrate task definition with inventory's image", env, m)
		}
	}
}
