variable "name_prefix" {
  description = "Prefix carrying the environment (e.g. \"equiptrack-dev\"); family, roles and log group are named \"<name_prefix>-<name>\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must be 3-24 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "name" {
  description = "Service name (also the container name and the service-discovery host name)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name))
    error_message = "name must be 1-20 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, passed to the container as APP_ENV."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lower-case letters, digits or dashes."
  }
}

variable "app_version" {
  description = "Initial APP_VERSION of the task definition. Releases register new revisions with their own version; Terraform ignores those changes."
  type        = string
  default     = "bootstrap"
  nullable    = false
}

variable "image" {
  description = "Initial container image (repository URL and tag). Releases replace it; Terraform ignores the change."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^\\s:]+(:[0-9]+)?/[^\\s]+:[A-Za-z0-9_.-]+$", var.image))
    error_message = "image must be <registry>/<repository>:<tag>."
  }
}

variable "cpu" {
  description = "Fargate CPU units of the task (256, 512, 1024, 2048 or 4096)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "memory" {
  description = "Memory of the task in MiB; must be a Fargate combination for the CPU (256: 512-2048, 512: 1024-4096, 1024: 2048-8192, ...)."
  type        = number
  nullable    = false

  validation {
    condition = (
      (var.cpu == 256 && contains([512, 1024, 2048], var.memory)) ||
      (var.cpu == 512 && var.memory >= 1024 && var.memory <= 4096 && var.memory % 1024 == 0) ||
      (var.cpu == 1024 && var.memory >= 2048 && var.memory <= 8192 && var.memory % 1024 == 0) ||
      (var.cpu == 2048 && var.memory >= 4096 && var.memory <= 16384 && var.memory % 1024 == 0) ||
      (var.cpu == 4096 && var.memory >= 8192 && var.memory <= 30720 && var.memory % 1024 == 0)
    )
    error_message = "memory is not a valid Fargate size for this cpu (e.g. 256 => 512/1024/2048, 512 => 1024-4096 in 1024 steps)."
  }
}

variable "port" {
  description = "Container port the service listens on."
  type        = number
  default     = 8080
  nullable    = false

  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port must be between 1 and 65535."
  }
}

variable "entry_point" {
  description = "Container entry point; null keeps the image's ENTRYPOINT (the example images: /equiptrack, the seeder: /seed)."
  type        = list(string)
  default     = null
}

variable "command" {
  description = "Container command (arguments to the entry point); empty (default) keeps the image's CMD. One-off runs override it (the migration: [\"migrate\"])."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "health_check_command" {
  description = "Container health check (ECS healthCheck.command), from the services manifest; null (default) sets none, so nothing is assumed about what the image contains."
  type        = list(string)
  default     = null

  validation {
    condition     = var.health_check_command == null || try(contains(["CMD", "CMD-SHELL"], var.health_check_command[0]), false)
    error_message = "health_check_command must start with \"CMD\" or \"CMD-SHELL\" (or be null)."
  }
}

variable "environment_variables" {
  description = "Plain environment variables of the container (APP_ENV, APP_VERSION and SERVICE are added by the module)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "secrets" {
  description = "Secrets injected by reference: variable name => Secrets Manager ARN, optionally with a JSON key (\"<arn>:password::\"). The execution role may read exactly these secrets."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for v in values(var.secrets) : can(regex("^arn:[a-z-]+:secretsmanager:", v))])
    error_message = "every secret must be a Secrets Manager ARN (optionally with :<json-key>::)."
  }
}

variable "log_retention_days" {
  description = "Retention of the service's CloudWatch log group, in days."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "create_service" {
  description = "false: only the task definition, roles and log group (one-off tasks such as the seeder)."
  type        = bool
  default     = true
  nullable    = false
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster (required when create_service)."
  type        = string
  default     = null

  validation {
    condition     = !var.create_service || var.cluster_arn != null
    error_message = "cluster_arn is required when create_service is true."
  }
}

variable "cluster_name" {
  description = "Name of the ECS cluster (used by the optional schedule)."
  type        = string
  default     = null
}

variable "desired_count" {
  description = "Number of tasks (dev 1, staging 2)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.desired_count >= 0 && var.desired_count <= 20 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number between 0 and 20."
  }
}

variable "on_demand_base" {
  description = "How many of the tasks run on on-demand FARGATE; the rest run on FARGATE_SPOT."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.on_demand_base >= 0 && floor(var.on_demand_base) == var.on_demand_base && var.on_demand_base <= var.desired_count
    error_message = "on_demand_base must be a whole number between 0 and desired_count."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the tasks (spread over two zones for staging)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "target_group" {
  description = "Target group to register the tasks in: { arn } (null for internal services). An object, so the decision is known at plan time even while the ARN is not."
  type = object({
    arn = string
  })
  default = null
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the load balancer's health checks are ignored after a task starts (only with a target group)."
  type        = number
  default     = 60
  nullable    = false
}

variable "service_discovery" {
  description = "Cloud Map private DNS namespace to register in as <name>.<namespace>: { namespace_id } (null: no registration). An object, so the decision is known at plan time."
  type = object({
    namespace_id = string
  })
  default = null
}

variable "schedule" {
  description = "Optional scheduled scale-to-zero (e.g. staging outside demo hours): cron expressions in the given time zone."
  type = object({
    enabled         = bool
    timezone        = optional(string, "UTC")
    scale_down_cron = optional(string, "cron(0 20 ? * MON-FRI *)")
    scale_up_cron   = optional(string, "cron(0 7 ? * MON-FRI *)")
  })
  default  = { enabled = false }
  nullable = false

  validation {
    condition     = !var.schedule.enabled || (startswith(var.schedule.scale_down_cron, "cron(") && startswith(var.schedule.scale_up_cron, "cron("))
    error_message = "schedule.scale_down_cron and scale_up_cron must be cron(...) expressions."
  }
}

variable "permissions_boundary_arn" {
  description = "Managed policy set as permissions boundary of the task and execution roles (the environment's workload boundary); null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be the ARN of an IAM managed policy."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
