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

# The generated values come from Secrets Manager's GetRandomPassword API;
# fixed here so the plan is offline and the assertions exact.
override_data {
  target = data.aws_secretsmanager_random_password.jwt
  values = { random_password = "jwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkey1234" }
}

override_data {
  target = data.aws_secretsmanager_random_password.admin_password
  values = { random_password = "Adm1n-Passw0rd!x" }
}

variables {
  name_prefix = "equiptrack-dev"
}

run "two_secrets_with_generated_values" {
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
    condition     = length(aws_secretsmanager_secret.this) == 2
    error_message = "exactly two secrets (the DB credentials live in the RDS-managed secret)"
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
    condition     = aws_secretsmanager_secret_version.jwt[0].secret_string == "jwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkeyjwtkey1234"
    error_message = "the JWT secret gets the generated value"
  }
  assert {
    condition     = aws_secretsmanager_secret_version.admin_password[0].secret_string == "Adm1n-Passw0rd!x"
    error_message = "the admin password secret gets the generated value"
  }
  assert {
    condition     = data.aws_secretsmanager_random_password.jwt[0].password_length == 64 && data.aws_secretsmanager_random_password.jwt[0].exclude_punctuation == true
    error_message = "JWT key: 64 characters without punctuation"
  }
  assert {
    condition     = data.aws_secretsmanager_random_password.admin_password[0].password_length == 24 && data.aws_secretsmanager_random_password.admin_password[0].require_each_included_type == true
    error_message = "admin password: 24 characters of every type"
  }
}

run "values_out_of_band" {
  command = plan

  variables {
    name_prefix          = "equiptrack-staging"
    generate_values      = false
    recovery_window_days = 30
  }

  assert {
    condition     = length(aws_secretsmanager_secret_version.jwt) == 0 && length(aws_secretsmanager_secret_version.admin_password) == 0
    error_message = "no versions when values are set out of band"
  }
  assert {
    condition     = length(data.aws_secretsmanager_random_password.jwt) == 0
    error_message = "nothing generated when values are set out of band"
  }
  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.recovery_window_in_days == 30])
    error_message = "recovery window follows the variable"
  }
  assert {
    condition     = aws_secretsmanager_secret.this["jwt"].name == "equiptrack-staging/jwt-signing-key"
    error_message = "staging names"
  }
}

run "rejects_bad_name_prefix" {
  command = plan
  variables { name_prefix = "dev" }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_recovery_window" {
  command = plan
  variables { recovery_window_days = 3 }
  expect_failures = [var.recovery_window_days]
}

run "rejects_short_jwt_key" {
  command = plan
  variables { jwt_key_length = 16 }
  expect_failures = [var.jwt_key_length]
}
