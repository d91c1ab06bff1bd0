# Per-environment application secrets: the JWT signing key and the seed
# admin password. The database credentials are not here: RDS keeps them in
# its own managed secret (postgres module, manage_master_user_password).

locals {
  secrets = {
    jwt = {
      name        = "${var.name_prefix}/jwt-signing-key"
      description = "HMAC key the gateway signs and verifies JWTs with"
    }
    admin_password = {
      name        = "${var.name_prefix}/seed-admin-password"
      description = "Password of the admin user the seeder creates"
    }
  }
}

# Encrypted with the AWS-managed key aws/secretsmanager unless kms_key_id
# names a customer key ($1/month each).
resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets

  name                    = each.value.name
  description             = each.value.description
  kms_key_id              = var.kms_key_id
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

# The aws provider generates the values with Secrets Manager's own
# GetRandomPassword API (no random provider: only aws is available offline).
# A data source is read on every plan and returns a new value each time, so
# the version ignores changes to secret_string: the first value stays until
# someone rotates it deliberately.
data "aws_secretsmanager_random_password" "jwt" {
  count = var.generate_values ? 1 : 0

  password_length     = var.jwt_key_length
  exclude_punctuation = true
}

data "aws_secretsmanager_random_password" "admin_password" {
  count = var.generate_values ? 1 : 0

  password_length            = 24
  exclude_characters         = "\"'`\\/@ "
  require_each_included_type = true
}

resource "aws_secretsmanager_secret_version" "jwt" {
  count = var.generate_values ? 1 : 0

  secret_id     = aws_secretsmanager_secret.this["jwt"].id
  secret_string = data.aws_secretsmanager_random_password.jwt[0].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_version" "admin_password" {
  count = var.generate_values ? 1 : 0

  secret_id     = aws_secretsmanager_secret.this["admin_password"].id
  secret_string = data.aws_secretsmanager_random_password.admin_password[0].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}
