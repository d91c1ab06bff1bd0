variable "name_prefix" {
  description = "Prefix of every name, carrying the environment, e.g. \"equiptrack-dev\". Secret names become <name_prefix>/<secret>."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^equiptrack-[a-z0-9-]+$", var.name_prefix))
    error_message = "name_prefix must look like \"equiptrack-<env>\" (lowercase letters, digits, hyphens)."
  }
}

variable "recovery_window_days" {
  description = "Days Secrets Manager keeps a deleted secret recoverable: 0 (delete at once, for throw-away environments) or 7 to 30."
  type        = number
  nullable    = false
  default     = 7

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days must be 0 or between 7 and 30 (Secrets Manager's limits)."
  }
}

variable "db_app_user" {
  description = "Name of the application's own PostgreSQL user (the migration creates it with the password in <name_prefix>/db-app-password; services and the seeder connect as it)."
  type        = string
  nullable    = false
  default     = "equiptrack_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_app_user)) && !contains(["postgres", "rdsadmin", "public"], var.db_app_user)
    error_message = "db_app_user must be a plain lowercase PostgreSQL identifier (letters, digits, _; at most 63) and not postgres, rdsadmin or public."
  }
}

variable "jwt_key_length" {
  description = "Length of the JWT signing key `mage <env>:secrets` generates (HMAC-SHA256 wants at least 32 bytes)."
  type        = number
  nullable    = false
  default     = 64

  validation {
    condition     = var.jwt_key_length >= 32 && var.jwt_key_length <= 4096
    error_message = "jwt_key_length must be between 32 and 4096."
  }
}

variable "kms_key_id" {
  description = "KMS key for the secrets; null uses the account's AWS-managed key aws/secretsmanager (no monthly key fee)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  nullable    = false
  default     = {}
}
