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

variables {
  name_prefix = "equiptrack-dev"
}

# Issue: the generated values sat in the state, which the pull-request plan role reads. The module
# now creates the secrets only; `mage <env>:secrets` writes the values.
run "three_secrets_without_values" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.this["jwt"].name == "equiptrack-dev/jwt-signing-key"
    error_message = "JWT secret name carries the environment"
  }
  assert {
    condition     = aws_secretsmanager_secret.this["admin_password"].name == "equiptrack-dev/seed-admin-password"
    error_message = "admin password secret name carries the environment"
  }
  assert {
    condition     = aws_secretsmanager_secret.this["db_app_password"].name == "equiptrack-dev/db-app-password"
    error_message = "the application database user's password secret name carries the environment"
  }
  assert {
    condition     = length(aws_secretsmanager_secret.this) == 3
    error_message = "exactly three secrets (the master credentials live in the RDS-managed secret)"
  }
  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.recovery_window_in_days == 7])
    error_message = "default recovery window is 7 days"
  }
  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.kms_key_id == null])
    error_message = "default encryption key is the AWS-managed aws/secretsmanager"
  }
  assert {
    condition     = output.db_app_user == "equiptrack_app"
    error_message = "the application's database user is equiptrack_app by default"
  }
  assert {
    condition = output.values == {
      jwt             = { name = "equiptrack-dev/jwt-signing-key", length = 64, exclude_punctuation = true, exclude_characters = "", require_each_included_type = false }
      admin_password  = { name = "equiptrack-dev/seed-admin-password", length = 24, exclude_punctuation = false, exclude_characters = "\"'`\\/@ ", require_each_included_type = true }
      db_app_password = { name = "equiptrack-dev/db-app-password", length = 32, exclude_punctuation = true, exclude_characters = "", require_each_included_type = false }
    }
    error_message = "the generation policy `mage <env>:secrets` reads"
  }
}

run "staging_names_and_recovery_window" {
  command = plan

  variables {
    name_prefix          = "equiptrack-staging"
    recovery_window_days = 30
    db_app_user          = "inventory_app"
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.recovery_window_in_days == 30])
    error_message = "recovery window follows the variable"
  }
  assert {
    condition     = aws_secretsmanager_secret.this["jwt"].name == "equiptrack-staging/jwt-signing-key"
    error_message = "staging names"
  }
  assert {
    condition     = strcontains(aws_secretsmanager_secret.this["db_app_password"].description, "inventory_app")
    error_message = "the description names the database user"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "dev"
    # bad recovery window
    recovery_window_days = 3
    # short jwt key
    jwt_key_length = 16
    # master user name
    db_app_user = "postgres"
  }
  expect_failures = [
    var.name_prefix,
    var.recovery_window_days,
    var.jwt_key_length,
    var.db_app_user,
  ]
}

