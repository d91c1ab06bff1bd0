variable "environment" {
  description = "Environment name (\"dev\", \"staging\"): part of every name (\"<project>-<environment>\"), APP_ENV of every task, the GitHub environment the deploy role trusts."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "staging"], var.environment)
    error_message = "environment must be \"dev\" or \"staging\"."
  }
}

variable "project" {
  description = "Project name, the first part of every name."
  type        = string
  default     = "equiptrack"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.project))
    error_message = "project must be 2-12 lower-case letters or digits, starting with a letter."
  }
}

variable "availability_zone_ids" {
  description = "Availability zone IDs (e.g. [\"use1-az1\", \"use1-az2\"]) for the subnets; null (default) picks the region's first two zone IDs usable without opt-in that offer the Graviton types used (see modules/network)."
  type        = list(string)
  default     = null
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false
}

variable "services" {
  description = <<-EOT
    The application's services, as the services manifest describes them (a Go test holds the roots
    to magefiles/internal/exampleapp/manifest.json): name => { cpu, memory, port (8080),
    health_path (readiness path the load balancer checks, "/readyz"), command (arguments to the
    image's entry point; empty keeps the image's CMD), health_check (the container's ECS health
    check, ["CMD", ...] or ["CMD-SHELL", "..."]; null: none — nothing is assumed about the image),
    public_path ("/api/*", "/" for the default route, null for services reached only through the
    gateway), desired_count, on_demand_base (tasks on on-demand FARGATE; the rest on FARGATE_SPOT) }.
  EOT
  type = map(object({
    cpu            = number
    memory         = number
    port           = optional(number, 8080)
    health_path    = optional(string, "/readyz")
    command        = optional(list(string), [])
    health_check   = optional(list(string))
    public_path    = optional(string)
    desired_count  = number
    on_demand_base = optional(number, 0)
  }))
  nullable = false

  validation {
    condition     = length(var.services) > 0 && alltrue([for k in keys(var.services) : can(regex("^[a-z][a-z0-9-]{0,19}$", k)) && k != "seeder"])
    error_message = "services must name at least one service; names are 1-20 lower-case letters, digits or dashes, and \"seeder\" is reserved."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.health_check == null || try(contains(["CMD", "CMD-SHELL"], s.health_check[0]), false)])
    error_message = "a service's health_check must start with \"CMD\" or \"CMD-SHELL\" (or be null for none)."
  }

  validation {
    condition     = length([for s in values(var.services) : s if s.public_path == "/"]) == 1
    error_message = "exactly one service must have public_path \"/\" (the load balancer's default route)."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.on_demand_base >= 0 && s.on_demand_base <= s.desired_count && s.desired_count >= 0])
    error_message = "every service needs desired_count >= 0 and 0 <= on_demand_base <= desired_count."
  }
}

variable "migrate_service" {
  description = "Service whose image runs the schema migration, in the migration's own task definition (<prefix>-migrate, the only one with the master credentials) with migrate_command."
  type        = string
  default     = "inventory"
  nullable    = false

  validation {
    condition     = contains(keys(var.services), var.migrate_service)
    error_message = "migrate_service must be one of the services."
  }
}

variable "migrate_command" {
  description = "Command of the migration task (arguments to the image's entry point)."
  type        = list(string)
  default     = ["migrate"]
  nullable    = false

  validation {
    condition     = length(var.migrate_command) > 0
    error_message = "migrate_command must not be empty."
  }
}

variable "jwt_services" {
  description = "Services that get the JWT signing key (JWT_SECRET); every other service does not see it."
  type        = list(string)
  default     = ["gateway"]
  nullable    = false

  validation {
    condition     = alltrue([for s in var.jwt_services : contains(keys(var.services), s)])
    error_message = "jwt_services must name services of the environment."
  }
}

variable "seeder" {
  description = "The seeder's one-off task: size and command (empty: the image's own)."
  type = object({
    cpu     = optional(number, 256)
    memory  = optional(number, 512)
    command = optional(list(string), [])
  })
  default  = {}
  nullable = false
}

variable "initial_image_tag" {
  description = "Image tag of the first task-definition revisions. Releases register their own revisions afterwards and Terraform ignores them; until the first release pushes images, tasks cannot start."
  type        = string
  default     = "latest"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.initial_image_tag))
    error_message = "initial_image_tag must be a valid image tag."
  }
}

variable "ecr_image_tag_mutability" {
  description = "MUTABLE (dev: `latest` moves) or IMMUTABLE (staging)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["MUTABLE", "IMMUTABLE"], var.ecr_image_tag_mutability)
    error_message = "ecr_image_tag_mutability must be MUTABLE or IMMUTABLE."
  }
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

variable "db_allocated_storage_gb" {
  description = "RDS storage (gp3), GB."
  type        = number
  default     = 20
  nullable    = false
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (longer in staging)."
  type        = number
  nullable    = false
}

variable "db_deletion_protection" {
  description = "RDS deletion protection (turn off before destroy)."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when the database is destroyed."
  type        = bool
  default     = false
  nullable    = false
}

variable "cache_engine" {
  description = "ElastiCache engine: \"valkey\" (cheaper) or \"redis\"."
  type        = string
  default     = "valkey"
  nullable    = false
}

variable "cache_mode" {
  description = "Cache mode: \"node\" (the default: one cache_node_type node, single-node Redis semantics — multi-key commands work, as locally) or \"serverless\" (ElastiCache Serverless: cheaper at demo load, but a cluster — CROSSSLOT on multi-key commands across slots — and TLS-only)."
  type        = string
  default     = "node"
  nullable    = false

  validation {
    condition     = contains(["node", "serverless"], var.cache_mode)
    error_message = "cache_mode must be \"node\" or \"serverless\"."
  }
}

variable "cache_node_type" {
  description = "ElastiCache node type (one node, cache_mode = \"node\")."
  type        = string
  default     = "cache.t4g.micro"
  nullable    = false
}

variable "secret_recovery_window_days" {
  description = "Secrets Manager recovery window of the environment's secrets (0 deletes immediately)."
  type        = number
  default     = 7
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of every log group of the environment, in days."
  type        = number
  default     = 14
  nullable    = false
}

variable "enable_alarms" {
  description = "CloudWatch alarms and their SNS topic (staging only); also turns on Container Insights for the running-task alarms."
  type        = bool
  default     = false
  nullable    = false
}

variable "container_insights" {
  description = "Container Insights of the cluster: \"disabled\" (default, both environments), \"enabled\" or \"enhanced\". Billed per metric (~$42/month for six services); when on, the alarms watch ECS/ContainerInsights RunningTaskCount instead of ALB HealthyHostCount and ECS events."
  type        = string
  default     = "disabled"
  nullable    = false

  validation {
    condition     = contains(["disabled", "enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be \"disabled\", \"enabled\" or \"enhanced\"."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic; required when enable_alarms is true (alarms that notify nobody are no alarms). The subscription must be confirmed from the mail AWS sends."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null ? !var.enable_alarms : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email is required when enable_alarms is true and must be an e-mail address."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"owner/repo\") whose workflows may assume the deploy, plan and apply roles."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"owner/repo\"."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC identity provider (created once by terraform/bootstrap); null derives it from the account: arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket holding the Terraform state; null (default) is the name terraform/bootstrap gives it, \"<project>-tfstate-<account id>\" — one name, made in one way, never written in a file. Set it only for a bucket bootstrap did not create."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.state_bucket_name, "x")))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "Key of this environment's state object in the bucket (the same value as in <env>.s3.tfbackend)."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.state_key, ".tfstate") && !startswith(var.state_key, "/")
    error_message = "state_key must be a relative key ending in .tfstate."
  }
}

variable "schedule" {
  description = "Optional scheduled scale-to-zero of every service (e.g. staging outside demo hours); off by default."
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
  description = "Optional custom domain for CloudFront: { aliases, acm_certificate_arn (us-east-1) }; null uses the *.cloudfront.net name."
  type = object({
    aliases             = list(string)
    acm_certificate_arn = string
  })
  default = null
}

variable "tags" {
  description = "Extra tags for every resource (the roots set Environment/Project/ManagedBy as provider default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "account_id" {
  description = "AWS account the environment lives in (committed in the environment's tfvars; the root also passes it to the provider's allowed_account_ids). Published in the release facts, so the release targets refuse credentials of another account."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}
