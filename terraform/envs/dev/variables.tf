variable "region" {
  description = "AWS region of the environment (dev us-west-2, staging us-east-1)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-west-2\"."
  }
}

variable "environment" {
  description = "Environment name: \"dev\" or \"staging\"."
  type        = string
  nullable    = false
}

variable "availability_zones" {
  description = "Two availability zones of the region."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for z in var.availability_zones : startswith(z, var.region)])
    error_message = "every availability zone must belong to the region (e.g. us-west-2a for us-west-2)."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC."
  type        = string
  nullable    = false
}

variable "services" {
  description = "The services: name => { cpu, memory, port, health_path, public_path, desired_count, on_demand_base } (see modules/environment)."
  type = map(object({
    cpu            = number
    memory         = number
    port           = optional(number, 8080)
    health_path    = optional(string, "/readyz")
    liveness_path  = optional(string, "/healthz")
    public_path    = optional(string)
    desired_count  = number
    on_demand_base = optional(number, 0)
  }))
  nullable = false
}

variable "migrate_service" {
  description = "Service whose task definition runs the migration."
  type        = string
  default     = "inventory"
  nullable    = false
}

variable "initial_image_tag" {
  description = "Image tag of the first task-definition revisions (releases take over afterwards)."
  type        = string
  default     = "latest"
  nullable    = false
}

variable "ecr_image_tag_mutability" {
  description = "MUTABLE (dev) or IMMUTABLE (staging)."
  type        = string
  nullable    = false
}

variable "ecr_force_delete" {
  description = "Let destroy delete repositories that still hold images."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
  nullable    = false
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
  nullable    = false
}

variable "db_deletion_protection" {
  description = "Database deletion protection (set false, apply, then destroy)."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot on destroy."
  type        = bool
  default     = false
  nullable    = false
}

variable "cache_mode" {
  description = "Cache: \"serverless\" (ElastiCache Serverless, default) or \"node\" (one cache_node_type node)."
  type        = string
  default     = "serverless"
  nullable    = false
}

variable "cache_node_type" {
  description = "ElastiCache node type (cache_mode = \"node\")."
  type        = string
  default     = "cache.t4g.micro"
  nullable    = false
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the environment's secrets (0: delete immediately on destroy)."
  type        = number
  default     = 7
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the environment's log groups, in days."
  type        = number
  default     = 14
  nullable    = false
}

variable "enable_alarms" {
  description = "CloudWatch alarms (staging only)."
  type        = bool
  default     = false
  nullable    = false
}

variable "container_insights" {
  description = "Container Insights: \"disabled\" (default; billed per metric, ~$42/month in staging), \"enabled\" or \"enhanced\" (the alarms then read RunningTaskCount)."
  type        = string
  default     = "disabled"
  nullable    = false
}

variable "alarm_email" {
  description = "Optional e-mail subscribed to the alarm topic."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "GitHub repository (\"owner/repo\") whose workflows deploy this environment."
  type        = string
  nullable    = false
}

variable "oidc_provider_arn" {
  description = "GitHub OIDC provider ARN; null derives it from the account (terraform/bootstrap creates it)."
  type        = string
  default     = null
}

variable "state_bucket_name" {
  description = "State bucket (the same value as `bucket` in <env>.s3.tfbackend; a Go test checks they agree)."
  type        = string
  nullable    = false
}

variable "state_key" {
  description = "State key (the same value as `key` in <env>.s3.tfbackend; a Go test checks they agree)."
  type        = string
  nullable    = false
}

variable "schedule" {
  description = "Optional scheduled scale-to-zero of every service; off by default."
  type = object({
    enabled         = bool
    timezone        = optional(string, "UTC")
    scale_down_cron = optional(string, "cron(0 20 ? * MON-FRI *)")
    scale_up_cron   = optional(string, "cron(0 7 ? * MON-FRI *)")
  })
  default  = { enabled = false }
  nullable = false
}

variable "custom_domain" {
  description = "Optional custom domain { aliases, acm_certificate_arn (us-east-1) }; null: the *.cloudfront.net URL."
  type = object({
    aliases             = list(string)
    acm_certificate_arn = string
  })
  default = null
}

variable "account_id" {
  description = "AWS account of this environment (12 digits, validated by modules/environment): the provider refuses any other (allowed_account_ids) and the release targets check it."
  type        = string
}
