# The offline toolchain serves a replica of hashicorp/aws; the dummy
# credentials and skips also let a real provider plan without AWS.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

run "state_bucket_is_private_versioned_encrypted_tls_only" {
  command = plan

  assert {
    condition     = toset(jsondecode(data.aws_iam_policy_document.state.json).Statement[0].Resource) == toset(["arn:aws:s3:::equiptrack-tfstate-123456789012", "arn:aws:s3:::equiptrack-tfstate-123456789012/*"])
    error_message = "the TLS deny covers the bucket and every object"
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "equiptrack-tfstate-123456789012"
    error_message = "default bucket name carries the account id"
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "versioning on"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "SSE-KMS by default"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).bucket_key_enabled == true
    error_message = "bucket keys on"
  }
  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls == true &&
      aws_s3_bucket_public_access_block.state.block_public_policy == true &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls == true &&
      aws_s3_bucket_public_access_block.state.restrict_public_buckets == true
    )
    error_message = "all public access blocked"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs disabled"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.state.json).Statement[0].Effect == "Deny" && jsondecode(data.aws_iam_policy_document.state.json).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "bucket policy denies non-TLS access"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.state.json).Statement[0].Principal == "*" && jsondecode(data.aws_iam_policy_document.state.json).Statement[0].Action == "s3:*"
    error_message = "the TLS deny applies to everyone and every action"
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "old state versions kept 90 days"
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "GitHub's OIDC issuer"
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "audience sts.amazonaws.com only"
  }
  assert {
    condition     = output.state_bucket_name == "equiptrack-tfstate-123456789012" && output.state_bucket_region == "us-east-1"
    error_message = "outputs for the backend files"
  }
}

run "existing_oidc_provider_and_own_bucket_name" {
  command = plan

  variables {
    state_bucket_name           = "acme-equiptrack-state"
    create_github_oidc_provider = false
    region                      = "eu-west-1"
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "acme-equiptrack-state"
    error_message = "bucket name override"
  }
  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.oidc_provider_arn == null
    error_message = "no identity provider when the account has one"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad region
    region = "mars"
    # bad bucket name
    state_bucket_name = "Equiptrack_State"
    # zero version days
    noncurrent_version_days = 0
  }
  expect_failures = [
    var.region,
    var.state_bucket_name,
    var.noncurrent_version_days,
  ]
}

