# GitHub Actions roles of ONE environment, assumed through the account's
# GitHub OIDC provider (terraform/bootstrap):
#
#   deploy  sub == repo:<owner>/<repo>:environment:<env>         releases: push images, run tasks, update services
#   apply   sub == repo:<owner>/<repo>:environment:<env>-infra   terraform apply of this environment
#   plan    sub == repo:<owner>/<repo>:pull_request              terraform plan on pull requests, read-only
#
# and the environment's workload permissions boundary: every role the apply role creates or
# changes must carry it, and the apply role can change neither these three roles nor the boundary.
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
  iam_base     = "${local.arn_base}:iam::${local.account_id}"
  boundary_arn = "${local.iam_base}:policy/${var.name_prefix}-workload-boundary"
  # The roles CI assumes (this module's) and the boundary: an administrator changes them, never
  # the apply role (it would otherwise widen its own policy or the boundary).
  protected_iam = [
    "${local.iam_base}:role/${var.name_prefix}-github-*",
    local.boundary_arn,
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

# ---------------------------------------------------------------- workload boundary

# The most any role of this environment's workloads (task and execution roles) may do, whatever
# policy is attached to it: pull this environment's images, write its logs, read its secrets and
# parameters, in its region. A permissions boundary never grants anything by itself (IAM User
# Guide, "Permissions boundaries for IAM entities"); the apply role may only create or change roles
# that carry it (statement CreateAndChangeRolesOnlyWithTheBoundary below), so a role it makes can
# never exceed this.
data "aws_iam_policy_document" "workload_boundary" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImagesOfThisEnvironment"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["${local.arn_base}:ecr:${local.region}:${local.account_id}:repository/${var.name_prefix}/*"]
  }

  statement {
    sid       = "WriteLogsOfThisEnvironment"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.arn_base}:logs:${local.region}:${local.account_id}:log-group:/ecs/${var.name_prefix}/*"]
  }

  # The environment's own secrets, and the RDS-managed master secret (named rds!db-<id>, in this
  # environment's region: the other environment lives in another region).
  statement {
    sid     = "ReadSecretsOfThisEnvironment"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      "${local.arn_base}:secretsmanager:${local.region}:${local.account_id}:secret:${var.name_prefix}/*",
      "${local.arn_base}:secretsmanager:${local.region}:${local.account_id}:secret:rds!db-*",
    ]
  }

  statement {
    sid       = "DecryptThroughSecretsManagerOnly"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadParametersOfThisEnvironment"
    actions   = ["ssm:GetParameters"]
    resources = ["${local.ssm_prefix}/*"]
  }
}

resource "aws_iam_policy" "workload_boundary" {
  name        = "${var.name_prefix}-workload-boundary"
  description = "Permissions boundary of every workload role of ${var.environment}: its images, logs, secrets and parameters only"
  policy      = data.aws_iam_policy_document.workload_boundary.json
  tags        = var.tags
}

# ---------------------------------------------------------------- plan

data "aws_iam_policy_document" "plan" {
  # Refreshing the environment's resources: reads only, in this
  # environment's region. Reads of these services have no resource-level
  # permissions, hence "*". No secretsmanager:GetSecretValue: Terraform
  # writes no secret value (secrets module), so a plan never reads one, and
  # pull requests must not.
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
      "events:DescribeRule",
      "events:ListTagsForResource",
      "events:ListTargetsByRule",
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
      "iam:ListPolicyTags",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
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
      "events:*",
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

  # CloudFront is global: every environment's distribution lives in the same place, so the
  # environment is told apart by its Environment tag (the provider's default_tags). CloudFront
  # authorizes distributions and VPC origins by aws:ResourceTag, and creation and tagging by
  # aws:RequestTag (CloudFront Developer Guide, "How Amazon CloudFront works with IAM": ABAC
  # "Partial"; Service Authorization Reference, "Actions, resources, and condition keys for Amazon
  # CloudFront"). Dev's apply role therefore cannot change staging's distribution.
  statement {
    sid       = "CloudFrontOnlyThisEnvironmentsResources"
    actions   = ["cloudfront:*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "CloudFrontCreateOnlyTaggedForThisEnvironment"
    actions   = ["cloudfront:CreateDistribution", "cloudfront:CreateVpcOrigin"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment]
    }
  }

  # Tagging at creation (CreateDistributionWithTags also authorizes TagResource): only a resource
  # without an Environment tag yet, so staging's distribution cannot be re-tagged "dev" and taken
  # over. The environment's own resources are tagged under the statement above.
  statement {
    sid       = "CloudFrontTagOnlyNewResourcesForThisEnvironment"
    actions   = ["cloudfront:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/Environment"
      values   = ["true"]
    }
  }

  # Reads, and the response headers policy (HSTS): CloudFront policies carry no tags, so they cannot
  # be told apart by environment (known limit, docs/infrastructure.md "Security model").
  statement {
    sid = "CloudFrontReadsAndUntaggablePolicies"
    actions = [
      "cloudfront:Get*",
      "cloudfront:List*",
      "cloudfront:CreateResponseHeadersPolicy",
      "cloudfront:UpdateResponseHeadersPolicy",
      "cloudfront:DeleteResponseHeadersPolicy",
    ]
    resources = ["*"]
  }

  # Custom-domain certificates are created outside Terraform; the distribution only reads them.
  statement {
    sid       = "ReadCertificates"
    actions   = ["acm:DescribeCertificate", "acm:ListCertificates", "acm:ListTagsForCertificate"]
    resources = ["*"]
  }

  # Route 53: only what Cloud Map's private DNS namespace needs (the caller's permissions create
  # its hosted zone: AWS Cloud Map Developer Guide, "AWS Cloud Map API permissions reference").
  # Hosted zone ARNs carry no environment and Route 53 does not authorize by resource tag.
  statement {
    sid = "CloudMapHostedZones"
    actions = [
      "route53:CreateHostedZone",
      "route53:DeleteHostedZone",
      "route53:GetHostedZone",
      "route53:ListHostedZonesByName",
      "route53:ChangeResourceRecordSets",
      "route53:ListResourceRecordSets",
      "route53:GetChange",
      "route53:ChangeTagsForResource",
      "route53:ListTagsForResource",
      "route53:AssociateVPCWithHostedZone",
      "route53:DisassociateVPCFromHostedZone",
      "route53:GetHealthCheck",
      "route53:DeleteHealthCheck",
      "route53:UpdateHealthCheck",
    ]
    resources = ["*"]
  }

  # IAM: roles named after this environment, and only with the workload boundary. The condition
  # key iam:PermissionsBoundary is the boundary the request sets (CreateRole,
  # PutRolePermissionsBoundary) or the one the role already has (AttachRolePolicy,
  # DetachRolePolicy, PutRolePolicy, DeleteRolePolicy) (IAM User Guide, "Permissions boundaries
  # for IAM entities", delegating responsibility; "IAM condition context keys",
  # iam:PermissionsBoundary). A role without it, or with another boundary, gets no policy.
  statement {
    sid = "CreateAndChangeRolesOnlyWithTheBoundary"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
    ]
    resources = ["${local.iam_base}:role/${var.name_prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid = "ManageRolesOfThisEnvironment"
    actions = [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["${local.iam_base}:role/${var.name_prefix}-*"]
  }

  statement {
    sid       = "PassTaskRolesToEcsOnly"
    actions   = ["iam:PassRole"]
    resources = ["${local.iam_base}:role/${var.name_prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadIam"
    actions   = ["iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicies", "iam:ListPolicyTags", "iam:ListPolicyVersions"]
    resources = ["*"]
  }

  # An explicit deny wins over every allow (IAM User Guide, "Policy evaluation logic"): the roles
  # CI assumes and the boundary are changed by an administrator only — otherwise the apply role
  # could widen its own policy, or the boundary, and become an administrator.
  statement {
    sid    = "NeverChangeCiRolesOrTheBoundary"
    effect = "Deny"
    actions = [
      "iam:Attach*",
      "iam:Create*",
      "iam:Delete*",
      "iam:Detach*",
      "iam:PassRole",
      "iam:Put*",
      "iam:SetDefaultPolicyVersion",
      "iam:Tag*",
      "iam:Untag*",
      "iam:Update*",
    ]
    resources = local.protected_iam
  }

  statement {
    sid       = "NeverRemoveABoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  # Re-tagging a resource with another environment's name would hand it over.
  statement {
    sid       = "NeverTagForAnotherEnvironment"
    effect    = "Deny"
    actions   = ["cloudfront:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment]
    }
    condition {
      test     = "Null"
      variable = "aws:RequestTag/Environment"
      values   = ["false"]
    }
  }

  # Untagging Environment would take a distribution out of the tag scope above.
  statement {
    sid       = "NeverUntagEnvironment"
    effect    = "Deny"
    actions   = ["cloudfront:UntagResource"]
    resources = ["*"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:TagKeys"
      values   = ["Environment"]
    }
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
