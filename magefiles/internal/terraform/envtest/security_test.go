package envtest

// Security facts of both environments' plans: what the CI roles the environments actually create
// may do (not a configuration they never use), decided by a small evaluator of IAM's rules over
// the planned policy documents. Where AWS alone could prove a fact (a real AccessDenied), these
// tests pin the configuration that produces it; the AWS documentation is cited next to it in
// terraform/modules/github-oidc/main.tf.

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// The replica's account (tfreplica: AccountID), written down, not read from the code under test.
const account = "123456789012"

// --- a small IAM evaluator --------------------------------------------------------------------

type statement struct {
	Sid       string
	Effect    string
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

// stringList decodes IAM's "string or list of strings".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

func parsePolicy(t *testing.T, doc string) []statement {
	t.Helper()
	var raw struct {
		Statement []struct {
			Sid       string
			Effect    string
			Action    stringList
			NotAction stringList
			Resource  stringList
			Condition map[string]map[string]stringList
		}
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, doc)
	}
	var out []statement
	for _, s := range raw.Statement {
		if len(s.NotAction) > 0 {
			t.Fatalf("statement %q uses NotAction, which this evaluator does not model", s.Sid)
		}
		st := statement{Sid: s.Sid, Effect: s.Effect, Action: s.Action, Resource: s.Resource, Condition: map[string]map[string][]string{}}
		for op, kv := range s.Condition {
			st.Condition[op] = map[string][]string{}
			for k, v := range kv {
				st.Condition[op][k] = v
			}
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		t.Fatalf("policy without statements: %s", doc)
	}
	return out
}

// request is one API call: the action, the resource ARN and the request context (condition keys).
type request struct {
	action   string
	resource string
	context  map[string][]string
}

// glob matches IAM wildcards (* any run, ? one character) across the whole string.
func glob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// path.Match treats "/" specially; IAM does not: replace it in both by a character IAM
	// patterns here never contain.
	pattern = strings.ReplaceAll(pattern, "/", "\x00")
	s = strings.ReplaceAll(s, "/", "\x00")
	pattern = strings.NewReplacer("[", "\\[", "]", "\\]").Replace(pattern)
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// condition evaluates one operator block; every key must hold.
func condition(op string, kv map[string][]string, ctx map[string][]string) (bool, error) {
	for key, want := range kv {
		got, present := ctx[key]
		switch op {
		case "Null":
			if (want[0] == "true") != !present {
				return false, nil
			}
		case "StringEquals", "ArnEquals":
			if !present || !anyEqual(got, want) {
				return false, nil
			}
		case "StringNotEquals":
			if present && anyEqual(got, want) {
				return false, nil
			}
		case "StringLike", "ArnLike":
			if !present || !anyMatch(got, want) {
				return false, nil
			}
		case "ForAnyValue:StringEquals":
			if !present || !anyEqual(got, want) {
				return false, nil
			}
		default:
			return false, fmt.Errorf("condition operator %s is not modelled", op)
		}
	}
	return true, nil
}

func anyEqual(got, want []string) bool {
	for _, g := range got {
		for _, w := range want {
			if g == w {
				return true
			}
		}
	}
	return false
}

func anyMatch(got, want []string) bool {
	for _, g := range got {
		if anyGlob(want, g, false) {
			return true
		}
	}
	return false
}

// decide applies IAM's order for one identity policy: an explicit Deny wins, then an Allow,
// else the implicit deny. It returns "deny", "allow" or "implicit".
func decide(t *testing.T, stmts []statement, r request) string {
	t.Helper()
	allowed := false
	for _, s := range stmts {
		if !anyGlob(s.Action, r.action, true) || !anyGlob(s.Resource, r.resource, false) {
			continue
		}
		match := true
		for op, kv := range s.Condition {
			ok, err := condition(op, kv, r.context)
			if err != nil {
				t.Fatalf("statement %q: %v", s.Sid, err)
			}
			if !ok {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if s.Effect == "Deny" {
			return "deny"
		}
		allowed = true
	}
	if allowed {
		return "allow"
	}
	return "implicit"
}

func TestEvaluatorItself(t *testing.T) {
	p := parsePolicy(t, `{"Statement":[
	  {"Sid":"A","Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::1:role/x-*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"b"}}},
	  {"Sid":"D","Effect":"Deny","Action":["iam:Put*"],"Resource":["arn:aws:iam::1:role/x-github-*"]}]}`)
	cases := []struct {
		r    request
		want string
	}{
		{request{"iam:PutRolePolicy", "arn:aws:iam::1:role/x-app", map[string][]string{"iam:PermissionsBoundary": {"b"}}}, "allow"},
		{request{"iam:putrolepolicy", "arn:aws:iam::1:role/x-app", map[string][]string{"iam:PermissionsBoundary": {"b"}}}, "allow"},
		{request{"iam:PutRolePolicy", "arn:aws:iam::1:role/x-app", nil}, "implicit"},
		{request{"iam:PutRolePolicy", "arn:aws:iam::1:role/x-app", map[string][]string{"iam:PermissionsBoundary": {"c"}}}, "implicit"},
		{request{"iam:PutRolePolicy", "arn:aws:iam::1:role/x-github-apply", map[string][]string{"iam:PermissionsBoundary": {"b"}}}, "deny"},
		{request{"iam:PutRolePolicy", "arn:aws:iam::1:role/y-app", map[string][]string{"iam:PermissionsBoundary": {"b"}}}, "implicit"},
		{request{"s3:GetObject", "arn:aws:iam::1:role/x-app", map[string][]string{"iam:PermissionsBoundary": {"b"}}}, "implicit"},
	}
	for _, c := range cases {
		if got := decide(t, p, c.r); got != c.want {
			t.Errorf("%s on %s %v: %s, want %s", c.r.action, c.r.resource, c.r.context, got, c.want)
		}
	}
}

// --- the policies the environments create ------------------------------------------------------

// rolePolicy returns the planned inline policy document named name (plan-read-only, apply,
// deploy) of the environment's CI roles.
func rolePolicy(t *testing.T, p *tfjson.Plan, name string) []statement {
	t.Helper()
	var found []string
	for _, rc := range changes(p, "aws_iam_role_policy") {
		a := after(rc)
		if str(a, "name") == name && strings.Contains(rc.Address, "github_oidc") {
			doc := str(a, "policy")
			if doc == "" {
				t.Fatalf("%s: policy unknown at plan time", rc.Address)
			}
			found = append(found, doc)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d CI role policies named %q in the plan, want 1", len(found), name)
	}
	return parsePolicy(t, found[0])
}

func boundaryARN(env string) string {
	return "arn:aws:iam::" + account + ":policy/equiptrack-" + env + "-workload-boundary"
}

var otherEnv = map[string]string{"dev": "staging", "staging": "dev"}

// Issue: any pull request could read staging's secrets (GetSecretValue on the plan role, values in
// the state). The plan role reads no secret value, and nothing in either plan puts one in state.
func TestPlanRoleReadsNoSecretValue(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		plan := rolePolicy(t, ps[env], "plan-read-only")
		region := wantRegion[env]
		ctx := map[string][]string{"aws:RequestedRegion": {region}}
		for _, secret := range []string{
			"arn:aws:secretsmanager:" + region + ":" + account + ":secret:equiptrack-" + env + "/jwt-signing-key-AbCdEf",
			"arn:aws:secretsmanager:" + region + ":" + account + ":secret:equiptrack-" + env + "/db-app-password-AbCdEf",
			"arn:aws:secretsmanager:" + region + ":" + account + ":secret:rds!db-0123-AbCdEf",
		} {
			if got := decide(t, plan, request{"secretsmanager:GetSecretValue", secret, ctx}); got == "allow" {
				t.Errorf("%s: the plan role may read %s", env, secret)
			}
		}
		// It still reads what a plan refreshes (guards the check above against an empty policy).
		if got := decide(t, plan, request{"secretsmanager:DescribeSecret", "arn:aws:secretsmanager:" + region + ":" + account + ":secret:equiptrack-" + env + "/jwt-signing-key-AbCdEf", ctx}); got != "allow" {
			t.Errorf("%s: the plan role cannot describe the secrets it must refresh (%s)", env, got)
		}
		if n := len(changes(ps[env], "aws_secretsmanager_secret_version")); n != 0 {
			t.Errorf("%s: %d secret versions planned: their values would be in the state", env, n)
		}
		if n := len(changes(ps[env], "aws_secretsmanager_secret")); n != 3 {
			t.Errorf("%s: %d secrets planned, want 3 (jwt, admin password, app database password)", env, n)
		}
		// A data source that generates a value (GetRandomPassword) would put it in the state
		// and need a permission the plan role lacks: none may be declared at all.
		for typ := range configTypes(ps[env]) {
			if typ == "data.aws_secretsmanager_random_password" || typ == "data.aws_secretsmanager_secret_version" {
				t.Errorf("%s: the configuration declares %s", env, typ)
			}
		}
	}
}

// configTypes lists every resource and data source type the configuration declares
// ("aws_x" or "data.aws_x"), whether planned with count 0 or not.
func configTypes(p *tfjson.Plan) map[string]bool {
	out := map[string]bool{}
	var walk func(m *tfjson.ConfigModule)
	walk = func(m *tfjson.ConfigModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode == tfjson.DataResourceMode {
				out["data."+r.Type] = true
			} else {
				out[r.Type] = true
			}
		}
		for _, c := range m.ModuleCalls {
			walk(c.Module)
		}
	}
	if p.Config != nil {
		walk(p.Config.RootModule)
	}
	return out
}

// Issue: the apply role could make itself an administrator (iam:* on role/equiptrack-<env>-*,
// its own role included) and change the other environment's CloudFront distribution.
func TestApplyRoleCannotEscalateOrCrossEnvironments(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		apply := rolePolicy(t, ps[env], "apply")
		o := otherEnv[env]
		iam := "arn:aws:iam::" + account + ":"
		own := iam + "role/equiptrack-" + env + "-github-apply"
		task := iam + "role/equiptrack-" + env + "-gateway-task"
		good := map[string][]string{"iam:PermissionsBoundary": {boundaryARN(env)}}
		admin := map[string][]string{"iam:PermissionsBoundary": {"arn:aws:iam::aws:policy/AdministratorAccess"}}
		cases := []struct {
			what string
			r    request
			want string
		}{
			// Its own role and the other CI roles: an explicit deny, whatever the boundary.
			{"put a policy on its own role", request{"iam:PutRolePolicy", own, good}, "deny"},
			{"attach a policy to its own role", request{"iam:AttachRolePolicy", own, good}, "deny"},
			{"change its own trust policy", request{"iam:UpdateAssumeRolePolicy", own, nil}, "deny"},
			{"remove its own boundary", request{"iam:DeleteRolePermissionsBoundary", own, nil}, "deny"},
			{"widen the deploy role", request{"iam:PutRolePolicy", iam + "role/equiptrack-" + env + "-github-deploy", good}, "deny"},
			{"widen the plan role", request{"iam:AttachRolePolicy", iam + "role/equiptrack-" + env + "-github-plan", good}, "deny"},
			{"rewrite the boundary", request{"iam:CreatePolicyVersion", boundaryARN(env), nil}, "deny"},
			{"delete the boundary", request{"iam:DeletePolicy", boundaryARN(env), nil}, "deny"},
			// Workload roles: only with the boundary.
			{"attach a policy to a role without the boundary", request{"iam:AttachRolePolicy", task, nil}, "implicit"},
			{"attach a policy to a role with another boundary", request{"iam:AttachRolePolicy", task, admin}, "implicit"},
			{"put a policy on a role without the boundary", request{"iam:PutRolePolicy", task, nil}, "implicit"},
			{"create a role without the boundary", request{"iam:CreateRole", iam + "role/equiptrack-" + env + "-x", nil}, "implicit"},
			{"remove a workload role's boundary", request{"iam:DeleteRolePermissionsBoundary", task, nil}, "deny"},
			{"attach a policy to a role with the boundary", request{"iam:AttachRolePolicy", task, good}, "allow"},
			{"create a role with the boundary", request{"iam:CreateRole", iam + "role/equiptrack-" + env + "-x", good}, "allow"},
			{"pass a task role to ECS", request{"iam:PassRole", task, map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}, "allow"},
			{"pass a task role to EC2", request{"iam:PassRole", task, map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}}, "implicit"},
			// The other environment.
			{"change the other environment's role", request{"iam:PutRolePolicy", iam + "role/equiptrack-" + o + "-gateway-task", map[string][]string{"iam:PermissionsBoundary": {boundaryARN(o)}}}, "implicit"},
			{"change the other environment's distribution", request{"cloudfront:UpdateDistribution", "arn:aws:cloudfront::" + account + ":distribution/E2OTHER", map[string][]string{"aws:ResourceTag/Environment": {o}}}, "implicit"},
			{"delete the other environment's distribution", request{"cloudfront:DeleteDistribution", "arn:aws:cloudfront::" + account + ":distribution/E2OTHER", map[string][]string{"aws:ResourceTag/Environment": {o}}}, "implicit"},
			{"change the other environment's VPC origin", request{"cloudfront:UpdateVpcOrigin", "arn:aws:cloudfront::" + account + ":vpcorigin/vo_OTHER", map[string][]string{"aws:ResourceTag/Environment": {o}}}, "implicit"},
			{"re-tag the other environment's distribution as its own", request{"cloudfront:TagResource", "arn:aws:cloudfront::" + account + ":distribution/E2OTHER", map[string][]string{"aws:ResourceTag/Environment": {o}, "aws:RequestTag/Environment": {env}, "aws:TagKeys": {"Environment"}}}, "implicit"},
			{"create a distribution tagged for the other environment", request{"cloudfront:CreateDistribution", "*", map[string][]string{"aws:RequestTag/Environment": {o}}}, "implicit"},
			{"create an untagged distribution", request{"cloudfront:CreateDistribution", "*", nil}, "implicit"},
			{"hand its distribution to the other environment", request{"cloudfront:TagResource", "arn:aws:cloudfront::" + account + ":distribution/E1OWN", map[string][]string{"aws:ResourceTag/Environment": {env}, "aws:RequestTag/Environment": {o}, "aws:TagKeys": {"Environment"}}}, "deny"},
			{"untag Environment from its distribution", request{"cloudfront:UntagResource", "arn:aws:cloudfront::" + account + ":distribution/E1OWN", map[string][]string{"aws:ResourceTag/Environment": {env}, "aws:TagKeys": {"Environment"}}}, "deny"},
			{"manage EC2 in the other environment's region", request{"ec2:RunInstances", "*", map[string][]string{"aws:RequestedRegion": {wantRegion[o]}}}, "implicit"},
			// Its own environment (the checks above would pass on an empty policy).
			{"change its own distribution", request{"cloudfront:UpdateDistribution", "arn:aws:cloudfront::" + account + ":distribution/E1OWN", map[string][]string{"aws:ResourceTag/Environment": {env}}}, "allow"},
			{"create its distribution tagged for itself", request{"cloudfront:CreateDistribution", "*", map[string][]string{"aws:RequestTag/Environment": {env}}}, "allow"},
			{"tag its new distribution", request{"cloudfront:TagResource", "arn:aws:cloudfront::" + account + ":distribution/E1NEW", map[string][]string{"aws:RequestTag/Environment": {env}, "aws:TagKeys": {"Environment", "Project"}}}, "allow"},
		}
		for _, c := range cases {
			if got := decide(t, apply, c.r); got != c.want {
				t.Errorf("%s apply role: %s (%s on %s): %s, want %s", env, c.what, c.r.action, c.r.resource, got, c.want)
			}
		}
	}
}

// Every role the environment creates for its workloads carries the boundary the apply role
// requires; only the CI roles (changed by an administrator) do not.
func TestEveryWorkloadRoleHasTheBoundary(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		withBoundary := 0
		for _, rc := range changes(ps[env], "aws_iam_role") {
			a := after(rc)
			name := str(a, "name")
			if strings.HasPrefix(name, "equiptrack-"+env+"-github-") {
				continue
			}
			if got := str(a, "permissions_boundary"); got != boundaryARN(env) {
				t.Errorf("%s: role %s (%s) has permissions boundary %q, want %q", env, name, rc.Address, got, boundaryARN(env))
				continue
			}
			withBoundary++
		}
		// 6 services + seeder + migrate, a task and an execution role each.
		if withBoundary != 16 {
			t.Errorf("%s: %d workload roles carry the boundary, want 16", env, withBoundary)
		}
		found := false
		for _, rc := range changes(ps[env], "aws_iam_policy") {
			if str(after(rc), "name") == "equiptrack-"+env+"-workload-boundary" {
				found = true
				b := parsePolicy(t, str(after(rc), "policy"))
				region := wantRegion[env]
				if got := decide(t, b, request{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:" + wantRegion[otherEnv[env]] + ":" + account + ":secret:equiptrack-" + otherEnv[env] + "/jwt-signing-key-AbCdEf", nil}); got == "allow" {
					t.Errorf("%s: the workload boundary allows reading the other environment's secrets", env)
				}
				if got := decide(t, b, request{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:" + region + ":" + account + ":secret:equiptrack-" + env + "/db-app-password-AbCdEf", nil}); got != "allow" {
					t.Errorf("%s: the workload boundary forbids the environment's own secrets (%s)", env, got)
				}
				if got := decide(t, b, request{"iam:CreateRole", "arn:aws:iam::" + account + ":role/x", nil}); got == "allow" {
					t.Errorf("%s: the workload boundary allows IAM changes", env)
				}
			}
		}
		if !found {
			t.Errorf("%s: no workload boundary policy planned", env)
		}
	}
}

// Resource type → the IAM service prefix, an action that creates it (the apply role) and one
// that reads it (the plan role's refresh). Written down from the Service Authorization Reference;
// a type not listed here fails the test, so a new type is a conscious addition.
var typeActions = map[string][3]string{
	"aws_appautoscaling_scheduled_action":         {"application-autoscaling", "application-autoscaling:PutScheduledAction", "application-autoscaling:DescribeScheduledActions"},
	"aws_appautoscaling_target":                   {"application-autoscaling", "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DescribeScalableTargets"},
	"aws_cloudfront_distribution":                 {"cloudfront", "cloudfront:CreateDistribution", "cloudfront:GetDistribution"},
	"aws_cloudfront_response_headers_policy":      {"cloudfront", "cloudfront:CreateResponseHeadersPolicy", "cloudfront:GetResponseHeadersPolicy"},
	"aws_cloudfront_vpc_origin":                   {"cloudfront", "cloudfront:CreateVpcOrigin", "cloudfront:GetVpcOrigin"},
	"aws_cloudwatch_event_rule":                   {"events", "events:PutRule", "events:DescribeRule"},
	"aws_cloudwatch_event_target":                 {"events", "events:PutTargets", "events:ListTargetsByRule"},
	"aws_cloudwatch_log_group":                    {"logs", "logs:CreateLogGroup", "logs:DescribeLogGroups"},
	"aws_cloudwatch_metric_alarm":                 {"cloudwatch", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"},
	"aws_db_instance":                             {"rds", "rds:CreateDBInstance", "rds:DescribeDBInstances"},
	"aws_db_parameter_group":                      {"rds", "rds:CreateDBParameterGroup", "rds:DescribeDBParameters"},
	"aws_db_subnet_group":                         {"rds", "rds:CreateDBSubnetGroup", "rds:DescribeDBSubnetGroups"},
	"aws_default_security_group":                  {"ec2", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroups"},
	"aws_ecr_lifecycle_policy":                    {"ecr", "ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy"},
	"aws_ecr_repository":                          {"ecr", "ecr:CreateRepository", "ecr:DescribeRepositories"},
	"aws_ecs_cluster":                             {"ecs", "ecs:CreateCluster", "ecs:DescribeClusters"},
	"aws_ecs_cluster_capacity_providers":          {"ecs", "ecs:PutClusterCapacityProviders", "ecs:DescribeClusters"},
	"aws_ecs_service":                             {"ecs", "ecs:CreateService", "ecs:DescribeServices"},
	"aws_ecs_task_definition":                     {"ecs", "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"},
	"aws_elasticache_replication_group":           {"elasticache", "elasticache:CreateReplicationGroup", "elasticache:DescribeReplicationGroups"},
	"aws_elasticache_serverless_cache":            {"elasticache", "elasticache:CreateServerlessCache", "elasticache:DescribeServerlessCaches"},
	"aws_elasticache_subnet_group":                {"elasticache", "elasticache:CreateCacheSubnetGroup", "elasticache:DescribeCacheSubnetGroups"},
	"aws_iam_policy":                              {"iam", "", "iam:GetPolicy"}, // the boundary: an administrator creates it
	"aws_iam_role":                                {"iam", "iam:CreateRole", "iam:GetRole"},
	"aws_iam_role_policy":                         {"iam", "iam:PutRolePolicy", "iam:GetRolePolicy"},
	"aws_iam_role_policy_attachment":              {"iam", "iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"},
	"aws_instance":                                {"ec2", "ec2:RunInstances", "ec2:DescribeInstances"},
	"aws_internet_gateway":                        {"ec2", "ec2:CreateInternetGateway", "ec2:DescribeInternetGateways"},
	"aws_kms_alias":                               {"kms", "kms:CreateAlias", "kms:ListAliases"},
	"aws_kms_key":                                 {"kms", "kms:CreateKey", "kms:DescribeKey"},
	"aws_lb":                                      {"elasticloadbalancing", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DescribeLoadBalancers"},
	"aws_lb_listener":                             {"elasticloadbalancing", "elasticloadbalancing:CreateListener", "elasticloadbalancing:DescribeListeners"},
	"aws_lb_listener_rule":                        {"elasticloadbalancing", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DescribeRules"},
	"aws_lb_target_group":                         {"elasticloadbalancing", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DescribeTargetGroups"},
	"aws_route":                                   {"ec2", "ec2:CreateRoute", "ec2:DescribeRouteTables"},
	"aws_route_table":                             {"ec2", "ec2:CreateRouteTable", "ec2:DescribeRouteTables"},
	"aws_route_table_association":                 {"ec2", "ec2:AssociateRouteTable", "ec2:DescribeRouteTables"},
	"aws_secretsmanager_secret":                   {"secretsmanager", "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret"},
	"aws_secretsmanager_secret_rotation":          {"secretsmanager", "secretsmanager:RotateSecret", "secretsmanager:DescribeSecret"},
	"aws_ssm_parameter":                           {"ssm", "ssm:PutParameter", "ssm:GetParameter"},
	"aws_security_group":                          {"ec2", "ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups"},
	"aws_service_discovery_private_dns_namespace": {"servicediscovery", "servicediscovery:CreatePrivateDnsNamespace", "servicediscovery:GetNamespace"},
	"aws_service_discovery_service":               {"servicediscovery", "servicediscovery:CreateService", "servicediscovery:GetService"},
	"aws_sns_topic":                               {"sns", "sns:CreateTopic", "sns:GetTopicAttributes"},
	"aws_sns_topic_policy":                        {"sns", "sns:SetTopicAttributes", "sns:GetTopicAttributes"},
	"aws_sns_topic_subscription":                  {"sns", "sns:Subscribe", "sns:GetSubscriptionAttributes"},
	"aws_subnet":                                  {"ec2", "ec2:CreateSubnet", "ec2:DescribeSubnets"},
	"aws_vpc":                                     {"ec2", "ec2:CreateVpc", "ec2:DescribeVpcs"},
	"aws_vpc_endpoint":                            {"ec2", "ec2:CreateVpcEndpoint", "ec2:DescribeVpcEndpoints"},
	"aws_vpc_security_group_egress_rule":          {"ec2", "ec2:AuthorizeSecurityGroupEgress", "ec2:DescribeSecurityGroupRules"},
	"aws_vpc_security_group_ingress_rule":         {"ec2", "ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules"},
	// Data sources: read by both plan and apply.
	"data.aws_caller_identity":             {"sts", "", ""}, // sts:GetCallerIdentity needs no permission
	"data.aws_ec2_managed_prefix_list":     {"ec2", "", "ec2:DescribeManagedPrefixLists"},
	"data.aws_availability_zones":          {"ec2", "", "ec2:DescribeAvailabilityZones"},
	"data.aws_ec2_instance_type_offerings": {"ec2", "", "ec2:DescribeInstanceTypeOfferings"},
	"data.aws_iam_policy_document":         {"", "", ""}, // computed locally
	"data.aws_partition":                   {"", "", ""},
	"data.aws_region":                      {"", "", ""},
	"data.aws_ssm_parameter":               {"ssm", "", "ssm:GetParameter"},
}

// globalPrefixes are the services whose API lives outside the environment's region.
var globalPrefixes = map[string]bool{"cloudfront": true, "iam": true, "route53": true}

// Issue: neither CI role had events:* though staging creates EventBridge rules: a real plan or
// apply would have failed with AccessDenied. Every type either plan declares is covered.
func TestCiRolesCoverEveryResourceType(t *testing.T) {
	ps := loadPlans(t)
	for _, env := range envs {
		apply := rolePolicy(t, ps[env], "apply")
		plan := rolePolicy(t, ps[env], "plan-read-only")
		types := configTypes(ps[env])
		if len(types) < 40 {
			t.Fatalf("%s: only %d resource types in the configuration; the check would be vacuous", env, len(types))
		}
		names := make([]string, 0, len(types))
		for typ := range types {
			names = append(names, typ)
		}
		sort.Strings(names)
		for _, typ := range names {
			acts, ok := typeActions[typ]
			if !ok {
				t.Errorf("%s: resource type %s is not in typeActions: add its IAM prefix and actions (and the permissions to the CI roles)", env, typ)
				continue
			}
			ctx := map[string][]string{
				"aws:RequestedRegion":         {wantRegion[env]},
				"aws:RequestTag/Environment":  {env},
				"aws:ResourceTag/Environment": {env},
				"iam:PermissionsBoundary":     {boundaryARN(env)},
			}
			if globalPrefixes[acts[0]] {
				ctx["aws:RequestedRegion"] = []string{"us-east-1"}
			}
			resource := "*"
			if acts[0] == "iam" {
				resource = "arn:aws:iam::" + account + ":role/equiptrack-" + env + "-gateway-task"
			}
			if acts[1] != "" {
				if got := decide(t, apply, request{acts[1], resource, ctx}); got != "allow" {
					t.Errorf("%s: the apply role cannot %s (%s): %s", env, acts[1], typ, got)
				}
			}
			if acts[2] != "" {
				for _, role := range []struct {
					name string
					p    []statement
				}{{"plan", plan}, {"apply", apply}} {
					if got := decide(t, role.p, request{acts[2], resource, ctx}); got != "allow" {
						t.Errorf("%s: the %s role cannot %s (%s): %s", env, role.name, acts[2], typ, got)
					}
				}
			}
		}
		if !types["aws_cloudwatch_event_rule"] {
			t.Errorf("%s: no EventBridge rule declared: the events check would be vacuous", env)
		}
	}
}
