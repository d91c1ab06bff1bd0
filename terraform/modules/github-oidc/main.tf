# GitHub Actions roles of ONE environment, assumed through the account's
# GitHub OIDC provider (terraform/bootstrap):
#
#   deploy  sub == repo:<owner>/<repo>:environment:<env>         releases: push images, run tasks, update services
#   apply   sub == repo:<owner>/<repo>:environment:<env>-infra   terraform apply of this environment
#   plan    sub == repo:<owner>/<repo>:pull_request              terraform plan on pull requests, read-only
#
# Every trust is StringEquals on both sub and aud: no wildcards, so a branch,
# a tag or another repository never matches. Which refs may run a job in an
# environment is GitHub's environment protection rules (docs/infrastructure.md).

locals {
  account_id = split(":", var.oidc_provider_arn)[4]
  partition  = split(":", var.oidc_provider_arn)[1]
  region     = data.aws_region.current.region

  apply_environment = coalesce(var.apply_github_environment, "${var.environment}-infra")
  subjects = {
    deploy = "repo:${var.github_repository}:environment:${var.environment}"
    apply  = "repo:${var.github_repository}:environment:${local.apply_environment}"
    plan   = "repo:${var.github_repository}:pull_request"
  }

  cluster_name  = split("/", var.cluster_arn)[1]
  family_prefix = coalesce(var.task_definition_family_prefix, var.name_prefix)
  arn_base      = "arn:${local.partition}"
  ssm_prefix    = "${local.arn_base}:ssm:${local.region}:${local.account_id}:parameter/equiptrack/${var.environment}"
  log_groups = length(var.log_group_arns) > 0 ? var.log_group_arns : [
    "${local.arn_base}:logs:${local.region}:${local.account_id}:log-group:*${var.name_prefix}*",
  ]
  state_object = "${var.state_bucket_arn}/${var.state_key}"
  lock_object  = "${var.state_bucket_arn}/${var.state_key}.tflock"
}

data "aws_region" "current" {}

data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    sid     = "GitHubActions${title(each.key)}"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.subjects

  name                 = "${var.name_prefix}-github-${each.key}"
  description          = "GitHub Actions ${each.key} role of ${var.environment} (sub ${each.value})"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = var.max_session_hours * 3600
  tags                 = var.tags
}

# ---------------------------------------------------------------- deploy

data "aws_iam_policy_document" "deploy" {
  # Exactly the calls of the release targets (magefiles/internal/release/awsenv),
  # held both ways by TestDeployRoleGrantsExactlyWhatTheBackendCalls. The role
  # reads no Terraform state (it holds secrets): the environment's facts come
  # from the SSM parameter Terraform publishes.

  # GetAuthorizationToken has no resource-level permissions.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  # BatchGetImage resolves a version's digests; the rest is docker push.
  statement {
    sid = "EcrPushToThisEnvironment"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }

  # Task definition registration and reads have no resource-level
  # permissions; what a task definition may do is bounded by PassRole below.
  statement {
    sid = "EcsTaskDefinitions"
    actions = [
      "ecs:DescribeTaskDefinition",
      "ecs:RegisterTaskDefinition",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "EcsServicesOfThisCluster"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = ["${replace(var.cluster_arn, ":cluster/", ":service/")}/*"]
  }

  statement {
    sid       = "EcsRunTasksOfThisEnvironment"
    actions   = ["ecs:RunTask"]
    resources = ["${local.arn_base}:ecs:${local.region}:${local.account_id}:task-definition/${local.family_prefix}-*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "EcsTasksOfThisCluster"
    actions   = ["ecs:DescribeTasks"]
    resources = ["${local.arn_base}:ecs:${local.region}:${local.account_id}:task/${local.cluster_name}/*"]
  }

  statement {
    sid       = "PassOnlyThisEnvironmentsTaskRoles"
    actions   = ["iam:PassRole"]
    resources = distinct(concat(var.task_role_arns, var.execution_role_arns))
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  # The facts (read), the release lease (create-only put, delete) and the
  # release record (put, history).
  statement {
    sid = "ReleaseParametersOfThisEnvironment"
    actions = [
      "ssm:DeleteParameter",
      "ssm:GetParameter",
      "ssm:GetParameterHistory",
      "ssm:PutParameter",
    ]
    resources = [local.ssm_prefix, "${local.ssm_prefix}/*"]
  }

  statement {
    sid       = "ReadLogsOfThisEnvironment"
    actions   = ["logs:FilterLogEvents", "logs:GetLogEvents"]
    resources = concat(local.log_groups, [for g in local.log_groups : "${g}:log-stream:*"])
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.this["deploy"].id
  policy = data.aws_iam_policy_document.deploy.json
}

# ---------------------------------------------------------------- plan

data "aws_iam_policy_document" "plan" {
  # Refreshing the environment's resources: reads only, in this
  # environment's region. Reads of these services have no resource-level
  # permissions, hence "*".
  statement {
    sid = "ReadEnvironmentResources"
    actions = [
      "application-autoscaling:Describe*",
      "application-autoscaling:ListTagsForResource",
      "cloudwatch:Describe*",
      "cloudwatch:ListTagsForResource",
      "ec2:Describe*",
      "ec2:GetManagedPrefixListEntries",
      "ecr:Describe*",
      "ecr:GetLifecyclePolicy",
      "ecr:GetRepositoryPolicy",
      "ecr:ListTagsForResource",
      "ecs:Describe*",
      "ecs:List*",
      "elasticache:Describe*",
      "elasticache:ListTagsForResource",
      "elasticloadbalancing:Describe*",
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListResourceTags",
      "logs:Describe*",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "rds:Describe*",
      "rds:ListTagsForResource",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy",
      "servicediscovery:Get*",
      "servicediscovery:List*",
      "sns:GetSubscriptionAttributes",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
      "ssm:GetParameter",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # Global services (their API lives in us-east-1 whatever the environment).
  statement {
    sid = "ReadGlobalResources"
    actions = [
      "acm:DescribeCertificate",
      "acm:ListTagsForCertificate",
      "cloudfront:Get*",
      "cloudfront:List*",
      "iam:GetOpenIDConnectProvider",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListRolePolicies",
      "route53:GetHostedZone",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
    ]
    resources = ["*"]
  }

  # A plan takes the state lock (use_lockfile) and reads the state.
  statement {
    sid       = "ReadThisEnvironmentsState"
    actions   = ["s3:GetObject"]
    resources = [local.state_object, local.lock_object]
  }

  statement {
    sid       = "LockThisEnvironmentsState"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.lock_object]
  }

  statement {
    sid       = "ListThisEnvironmentsState"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
    condition {
      test     = "StringEquals"
      variable = "s3:prefix"
      values   = [var.state_key, "${var.state_key}.tflock"]
    }
  }

  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []
    content {
      sid       = "RefreshTerraformWrittenSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "plan-read-only"
  role   = aws_iam_role.this["plan"].id
  policy = data.aws_iam_policy_document.plan.json
}

# ---------------------------------------------------------------- apply

data "aws_iam_policy_document" "apply" {
  # terraform apply builds the whole environment: full control of the
  # regional services it uses, but only in this environment's region.
  statement {
    sid = "ManageEnvironmentServices"
    actions = [
      "application-autoscaling:*",
      "cloudwatch:*",
      "ec2:*",
      "ecr:*",
      "ecs:*",
      "elasticache:*",
      "elasticloadbalancing:*",
      "kms:*",
      "logs:*",
      "rds:*",
      "secretsmanager:*",
      "servicediscovery:*",
      "sns:*",
      "ssm:*",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # CloudFront, Route 53 (service discovery's private zone) and ACM
  # certificates for CloudFront are global or us-east-1 only.
  statement {
    sid       = "ManageGlobalEntry"
    actions   = ["acm:*", "cloudfront:*", "route53:*"]
    resources = ["*"]
  }

  # IAM only on names carrying this environment.
  statement {
    sid     = "ManageThisEnvironmentsIam"
    actions = ["iam:*"]
    resources = [
      "${local.arn_base}:iam::${local.account_id}:role/${var.name_prefix}-*",
      "${local.arn_base}:iam::${local.account_id}:policy/${var.name_prefix}-*",
      "${local.arn_base}:iam::${local.account_id}:instance-profile/${var.name_prefix}-*",
    ]
  }

  statement {
    sid       = "ReadIam"
    actions   = ["iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicies"]
    resources = ["*"]
  }

  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "elasticache.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "rds.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "cloudfront.amazonaws.com",
      ]
    }
  }

  statement {
    sid       = "ReadWriteThisEnvironmentsState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.state_object]
  }

  statement {
    sid       = "LockThisEnvironmentsState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.lock_object]
  }

  statement {
    sid       = "ListThisEnvironmentsState"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
    condition {
      test     = "StringEquals"
      variable = "s3:prefix"
      values   = [var.state_key, "${var.state_key}.tflock"]
    }
  }
}

resource "aws_iam_role_policy" "apply" {
  name   = "apply"
  role   = aws_iam_role.this["apply"].id
  policy = data.aws_iam_policy_document.apply.json
}
