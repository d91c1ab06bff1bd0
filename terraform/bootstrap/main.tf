# One-time bootstrap of the AWS account (local state, see README.md): the S3
# bucket holding both environments' Terraform state, and the account-wide
# GitHub OIDC identity provider the environments' roles trust. Neither may
# live in an environment: both are shared by dev and staging.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = "shared"
      Project     = "equiptrack"
      ManagedBy   = "terraform"
      Component   = "bootstrap"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  bucket_name = coalesce(var.state_bucket_name, "equiptrack-tfstate-${data.aws_caller_identity.current.account_id}")
  # Built from the name (known at plan time) rather than the bucket's
  # computed arn, so the policy is reviewable in the plan.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_name}"
}

# Accepted scanner finding (docs/security-scan.md):
#trivy:ignore:AWS-0089 -- no access logging: it needs a second bucket (with its own logging question); CloudTrail records who reads and writes state.
resource "aws_s3_bucket" "state" {
  bucket = local.bucket_name

  # The state of every environment: never deleted by a destroy of this root.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-KMS with the AWS-managed key aws/s3; bucket keys cut the KMS request
# charges. Accepted scanner finding (docs/security-scan.md):
#trivy:ignore:AWS-0132 -- the AWS-managed key aws/s3 encrypts at rest without a $1/month customer key; access is governed by IAM and the bucket policy, not by a key policy.
resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      local.bucket_arn,
      "${local.bucket_arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state.json

  # S3 rejects a bucket policy while the public access block is being set.
  depends_on = [aws_s3_bucket_public_access_block.state]
}

# GitHub's OIDC issuer. AWS validates GitHub's certificate chain itself, so
# no thumbprint is pinned.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
