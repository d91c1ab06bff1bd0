# The offline toolchain serves a replica of hashicorp/aws; the dummy
# credentials and skips also let a real provider plan without AWS.
provider "aws" {
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "east"
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variables {
  name_prefix         = "equiptrack-dev"
  environment         = "dev"
  github_repository   = "acme/equiptrack"
  oidc_provider_arn   = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  ecr_repository_arns = ["arn:aws:ecr:us-west-2:123456789012:repository/equiptrack-dev/gateway", "arn:aws:ecr:us-west-2:123456789012:repository/equiptrack-dev/ui"]
  cluster_arn         = "arn:aws:ecs:us-west-2:123456789012:cluster/equiptrack-dev"
  task_role_arns      = ["arn:aws:iam::123456789012:role/equiptrack-dev-gateway-task"]
  execution_role_arns = ["arn:aws:iam::123456789012:role/equiptrack-dev-execution"]
  state_bucket_arn    = "arn:aws:s3:::equiptrack-tfstate-123456789012"
  state_key           = "equiptrack/dev/terraform.tfstate"
}

run "dev_trust_is_exact" {
  command = plan

  assert {
    condition     = aws_iam_role.this["deploy"].name == "equiptrack-dev-github-deploy" && aws_iam_role.this["apply"].name == "equiptrack-dev-github-apply" && aws_iam_role.this["plan"].name == "equiptrack-dev-github-plan"
    error_message = "role names carry the environment"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this["deploy"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:environment:dev"
    error_message = "deploy role trusts exactly the dev environment claim"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this["apply"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:environment:dev-infra"
    error_message = "apply role trusts exactly the dev-infra environment claim"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this["plan"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:pull_request"
    error_message = "plan role trusts exactly pull requests"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"])
    error_message = "every role requires aud sts.amazonaws.com"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : keys(jsondecode(r.assume_role_policy).Statement[0].Condition) == ["StringEquals"]])
    error_message = "trust uses StringEquals only (no StringLike)"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : length(jsondecode(r.assume_role_policy).Statement) == 1])
    error_message = "one trust statement per role"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : jsondecode(r.assume_role_policy).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"])
    error_message = "trust only the GitHub OIDC provider"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : jsondecode(r.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"])
    error_message = "web identity only"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.this : r.max_session_duration == 3600])
    error_message = "one-hour sessions"
  }
  assert {
    condition     = output.trusted_subjects == { deploy = "repo:acme/equiptrack:environment:dev", apply = "repo:acme/equiptrack:environment:dev-infra", plan = "repo:acme/equiptrack:pull_request" }
    error_message = "trusted subjects output"
  }
}

run "dev_deploy_policy_is_scoped" {
  command = plan

  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "PassOnlyThisEnvironmentsTaskRoles"])])) == toset(["arn:aws:iam::123456789012:role/equiptrack-dev-gateway-task", "arn:aws:iam::123456789012:role/equiptrack-dev-execution"])
    error_message = "PassRole only on the environment's task and execution roles"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassOnlyThisEnvironmentsTaskRoles"]) == "ecs-tasks.amazonaws.com"
    error_message = "roles pass only to ECS tasks"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "EcrPushToThisEnvironment"])])) == toset(["arn:aws:ecr:us-west-2:123456789012:repository/equiptrack-dev/gateway", "arn:aws:ecr:us-west-2:123456789012:repository/equiptrack-dev/ui"])
    error_message = "ECR push only to the environment's repositories"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "EcsServicesOfThisCluster"]) == "arn:aws:ecs:us-west-2:123456789012:service/equiptrack-dev/*"
    error_message = "UpdateService only in the environment's cluster"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "EcsRunTasksOfThisEnvironment"]) == "arn:aws:ecs:us-west-2:123456789012:task-definition/equiptrack-dev-*"
    error_message = "RunTask only of the environment's task definitions"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Condition.ArnEquals["ecs:cluster"] if s.Sid == "EcsRunTasksOfThisEnvironment"]) == "arn:aws:ecs:us-west-2:123456789012:cluster/equiptrack-dev"
    error_message = "RunTask only on the environment's cluster"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "EcsTasksOfThisCluster"]) == "arn:aws:ecs:us-west-2:123456789012:task/equiptrack-dev/*"
    error_message = "DescribeTasks only in the environment's cluster"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "ReleaseParametersOfThisEnvironment"])])) == toset(["arn:aws:ssm:us-west-2:123456789012:parameter/equiptrack/dev", "arn:aws:ssm:us-west-2:123456789012:parameter/equiptrack/dev/*"])
    error_message = "SSM parameters only under /equiptrack/dev"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.deploy.policy, "s3:")
    error_message = "deploy never touches Terraform state (it holds secrets): the facts come from SSM"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.deploy.policy, "staging")
    error_message = "nothing of staging in the dev deploy policy"
  }
}

run "dev_plan_policy_is_read_only" {
  command = plan

  assert {
    condition     = alltrue([for a in flatten([for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s.Action if startswith(s.Sid, "Read")]) : can(regex(":(Describe|Get|List)", a))])
    error_message = "the plan role's resource statements only read"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s.Condition.StringEquals["aws:RequestedRegion"] if s.Sid == "ReadEnvironmentResources"]) == "us-west-2"
    error_message = "regional reads only in the environment's region"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s.Action if s.Sid == "LockThisEnvironmentsState"])])) == toset(["s3:PutObject", "s3:DeleteObject"])
    error_message = "plan may only take the lock"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s.Resource if s.Sid == "LockThisEnvironmentsState"]) == "arn:aws:s3:::equiptrack-tfstate-123456789012/equiptrack/dev/terraform.tfstate.tflock"
    error_message = "the only object a plan writes is the dev lock file"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.plan.policy, "secretsmanager:GetSecretValue")
    error_message = "pull requests read no secret value"
  }
  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s.Action if s.Sid == "ReadEnvironmentResources"])) == toset(["application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource", "cloudwatch:Describe*", "cloudwatch:ListTagsForResource", "ec2:Describe*", "ec2:GetManagedPrefixListEntries", "ecr:Describe*", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource", "ecs:Describe*", "ecs:List*", "elasticache:Describe*", "elasticache:ListTagsForResource", "elasticloadbalancing:Describe*", "events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags", "logs:Describe*", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "rds:Describe*", "rds:ListTagsForResource", "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "servicediscovery:Get*", "servicediscovery:List*", "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "ssm:GetParameter"])
    error_message = "the regional reads of the plan role, exactly (events included: staging's EventBridge rules)"
  }
}

run "dev_apply_policy_is_scoped" {
  command = plan

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["aws:RequestedRegion"] if s.Sid == "ManageEnvironmentServices"]) == "us-west-2"
    error_message = "apply manages regional services only in us-west-2"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Resource if s.Sid == "CreateAndChangeRolesOnlyWithTheBoundary"]) == "arn:aws:iam::123456789012:role/equiptrack-dev-*"
    error_message = "IAM roles only on names carrying dev"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["iam:PermissionsBoundary"] if s.Sid == "CreateAndChangeRolesOnlyWithTheBoundary"]) == "arn:aws:iam::123456789012:policy/equiptrack-dev-workload-boundary"
    error_message = "roles are created and given policies only with the dev workload boundary"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Action if s.Sid == "CreateAndChangeRolesOnlyWithTheBoundary"])])) == toset(["iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"])
    error_message = "every action that gives a role permissions requires the boundary"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Effect if s.Sid == "NeverChangeCiRolesOrTheBoundary"]) == "Deny" && toset(flatten([one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Resource if s.Sid == "NeverChangeCiRolesOrTheBoundary"])])) == toset(["arn:aws:iam::123456789012:role/equiptrack-dev-github-*", "arn:aws:iam::123456789012:policy/equiptrack-dev-workload-boundary"])
    error_message = "an explicit deny keeps the apply role off its own role, the other CI roles and the boundary"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Effect if s.Sid == "NeverRemoveABoundary"]) == "Deny"
    error_message = "no boundary can be removed"
  }
  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Action if s.Effect == "Allow"]), "iam:*") && !contains(flatten([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Action if s.Effect == "Allow"]), "acm:*") && !contains(flatten([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Action if s.Effect == "Allow"]), "route53:*")
    error_message = "no iam:*, acm:* or route53:* any more"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["aws:ResourceTag/Environment"] if s.Sid == "CloudFrontOnlyThisEnvironmentsResources"]) == "dev" && one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["aws:RequestTag/Environment"] if s.Sid == "CloudFrontCreateOnlyTaggedForThisEnvironment"]) == "dev"
    error_message = "CloudFront only on resources tagged Environment = dev, and creation only with that tag"
  }
  assert {
    condition     = contains(flatten([one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Action if s.Sid == "ManageEnvironmentServices"])]), "events:*")
    error_message = "apply manages EventBridge rules (staging's ECS event rules)"
  }
  assert {
    condition     = aws_iam_policy.workload_boundary.name == "equiptrack-dev-workload-boundary"
    error_message = "the boundary's name is the one the apply policy requires"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_policy.workload_boundary.policy).Statement : s.Resource if s.Sid == "ReadSecretsOfThisEnvironment"])])) == toset(["arn:aws:secretsmanager:us-west-2:123456789012:secret:equiptrack-dev/*", "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-*"])
    error_message = "workload roles read at most dev's secrets, in us-west-2"
  }
  assert {
    condition     = output.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/equiptrack-dev-workload-boundary"
    error_message = "the boundary ARN output"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Resource if s.Sid == "ReadWriteThisEnvironmentsState"])])) == toset(["arn:aws:s3:::equiptrack-tfstate-123456789012/equiptrack/dev/terraform.tfstate"])
    error_message = "apply writes only the dev state object"
  }
}

run "staging_in_us_east_1" {
  command   = plan
  providers = { aws = aws.east }

  variables {
    name_prefix              = "equiptrack-staging"
    environment              = "staging"
    apply_github_environment = "staging-approval"
    ecr_repository_arns      = ["arn:aws:ecr:us-east-1:123456789012:repository/equiptrack-staging/gateway"]
    cluster_arn              = "arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"
    task_role_arns           = []
    execution_role_arns      = ["arn:aws:iam::123456789012:role/equiptrack-staging-execution"]
    state_key                = "equiptrack/staging/terraform.tfstate"
  }

  assert {
    condition     = jsondecode(aws_iam_role.this["deploy"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:environment:staging"
    error_message = "staging deploy role trusts exactly the staging environment claim"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this["apply"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:environment:staging-approval"
    error_message = "apply environment override"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this["plan"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/equiptrack:pull_request"
    error_message = "staging plan role trusts exactly pull requests"
  }
  assert {
    condition     = aws_iam_role.this["deploy"].name == "equiptrack-staging-github-deploy"
    error_message = "staging role names"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "PassOnlyThisEnvironmentsTaskRoles"]) == "arn:aws:iam::123456789012:role/equiptrack-staging-execution"
    error_message = "PassRole only on the staging execution role"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "ReleaseParametersOfThisEnvironment"])])) == toset(["arn:aws:ssm:us-east-1:123456789012:parameter/equiptrack/staging", "arn:aws:ssm:us-east-1:123456789012:parameter/equiptrack/staging/*"])
    error_message = "SSM parameters only under /equiptrack/staging in us-east-1"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.plan.policy, "secretsmanager:GetSecretValue")
    error_message = "the staging plan role reads no secret value"
  }
  assert {
    condition     = toset(flatten([one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Resource if s.Sid == "NeverChangeCiRolesOrTheBoundary"])])) == toset(["arn:aws:iam::123456789012:role/equiptrack-staging-github-*", "arn:aws:iam::123456789012:policy/equiptrack-staging-workload-boundary"])
    error_message = "staging's apply role cannot change staging's CI roles or boundary"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["aws:ResourceTag/Environment"] if s.Sid == "CloudFrontOnlyThisEnvironmentsResources"]) == "staging"
    error_message = "staging's apply role touches only CloudFront resources tagged staging"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.apply.policy).Statement : s.Condition.StringEquals["aws:RequestedRegion"] if s.Sid == "ManageEnvironmentServices"]) == "us-east-1"
    error_message = "staging apply only in us-east-1"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.deploy.policy, "equiptrack-dev") && !strcontains(aws_iam_role_policy.apply.policy, "equiptrack-dev")
    error_message = "nothing of dev in staging policies"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "dev"
    # unknown environment
    environment = "prod"
    # wildcard repository
    github_repository = "acme/*"
    # bad apply environment
    apply_github_environment = "dev:*"
    # other oidc provider
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
    # no ecr repositories
    ecr_repository_arns = []
    # bad cluster arn
    cluster_arn = "equiptrack-dev"
    # no execution roles
    execution_role_arns = []
    # bad state bucket arn
    state_bucket_arn = "equiptrack-tfstate"
    # wildcard state key
    state_key = "equiptrack/*"
    # long sessions
    max_session_hours = 13
  }
  expect_failures = [
    var.name_prefix,
    var.environment,
    var.github_repository,
    var.apply_github_environment,
    var.oidc_provider_arn,
    var.ecr_repository_arns,
    var.cluster_arn,
    var.execution_role_arns,
    var.state_bucket_arn,
    var.state_key,
    var.max_session_hours,
  ]
}

