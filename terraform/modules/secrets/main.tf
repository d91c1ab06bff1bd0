# Per-environment application secrets: the JWT signing key, the seed admin password and the
# password of the application's own database user. The RDS master credentials are not here: RDS
# keeps them in its own managed secret (postgres module, manage_master_user_password), given only
# to the migration task.
#
# Terraform creates the secrets WITHOUT a value: a value Terraform wrote (secret_string, or a
# generated password data source) would sit in the state, which the plan role of pull requests can
# read. The kit sets and rotates the values through the AWS SDK (`mage <env>:secrets`), following
# the generation policy in the output `values` — one description, read by that target.
#
# Write-only arguments (secret_string_wo) would also keep the value out of state, but need
# Terraform >= 1.11 and OpenTofu >= 1.11 and still a value source on every apply; the kit supports
# Terraform and OpenTofu >= 1.10, so the values stay out of Terraform altogether.

locals {
  secrets = {
    jwt = {
      name        = "${var.name_prefix}/jwt-signing-key"
      description = "HMAC key the gateway signs and verifies JWTs with (value set by mage <env>:secrets)"
      # What `<env>:secrets` generates (Secrets Manager GetRandomPassword parameters).
      value = { length = var.jwt_key_length, exclude_punctuation = true, exclude_characters = "", require_each_included_type = false }
    }
    admin_password = {
      name        = "${var.name_prefix}/seed-admin-password"
      description = "Password of the admin user the seeder creates (value set by mage <env>:secrets)"
      value       = { length = 24, exclude_punctuation = false, exclude_characters = "\"'`\\/@ ", require_each_included_type = true }
    }
    db_app_password = {
      name        = "${var.name_prefix}/db-app-password"
      description = "Password of the application's database user ${var.db_app_user}; the migration creates the user with it (value set by mage <env>:secrets)"
      # Alphanumeric: it ends up in a PostgreSQL URL and a SQL literal.
      value = { length = 32, exclude_punctuation = true, exclude_characters = "", require_each_included_type = false }
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
