variable "region" {
  description = "Region of the state bucket (one bucket serves both environments; each has its own key)."
  type        = string
  nullable    = false
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\"."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket; null means \"equiptrack-tfstate-<account id>\" (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be 3-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "noncurrent_version_days" {
  description = "Days old state versions are kept (they are how a broken state is rolled back)."
  type        = number
  nullable    = false
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider; false when the account already has one (pass its ARN to the environments instead)."
  type        = bool
  nullable    = false
  default     = true
}
