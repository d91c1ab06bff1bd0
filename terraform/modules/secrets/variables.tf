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

variable "generate_values" {
  description = "Store a generated initial value in each secret (Secrets Manager's GetRandomPassword). The value then also sits in the Terraform state; set false to put the values out of band (see README)."
  type        = bool
  nullable    = false
  default     = true
}

variable "jwt_key_length" {
  description = "Length of the generated JWT signing key (HMAC-SHA256 wants at least 32 bytes)."
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
