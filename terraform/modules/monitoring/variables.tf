variable "name_prefix" {
  description = "Prefix of every name, carrying the environment, e.g. \"equiptrack-staging\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^equiptrack-[a-z0-9-]+$", var.name_prefix))
    error_message = "name_prefix must look like \"equiptrack-<env>\" (lowercase letters, digits, hyphens)."
  }
}

variable "enable_alarms" {
  description = "Create the SNS topic and the alarms (staging: true, dev: false)."
  type        = bool
  nullable    = false
  default     = false
}

variable "alb_arn_suffix" {
  description = "arn_suffix of the load balancer (CloudWatch dimension LoadBalancer, app/<name>/<id>)."
  type        = string
  nullable    = false
}

variable "target_group_arn_suffixes" {
  description = "arn_suffix of each target group by service name (CloudWatch dimension TargetGroup, targetgroup/<name>/<id>)."
  type        = map(string)
  nullable    = false
  default     = {}
}

variable "cluster_name" {
  description = "ECS cluster name (Container Insights must be enabled on it for the running-task alarms)."
  type        = string
  nullable    = false
}

variable "service_names" {
  description = "ECS service names to watch for running tasks below desired."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "desired_counts" {
  description = "Desired task count by ECS service name; an alarm fires when fewer run."
  type        = map(number)
  nullable    = false
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.desired_counts) : n >= 0 && floor(n) == n])
    error_message = "desired_counts values must be whole numbers >= 0."
  }
}

variable "db_instance_id" {
  description = "RDS instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  type        = string
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the environment's log groups, validated here against CloudWatch Logs' allowed values and passed on through the output of the same name."
  type        = number
  nullable    = false
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "alarm_email" {
  description = "Optional e-mail address subscribed to the alarm topic (the subscription must be confirmed from the mail)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "thresholds" {
  description = "Alarm thresholds: 5xx percent of requests, DB CPU percent, DB free storage in GiB."
  type = object({
    http_5xx_percent    = optional(number, 5)
    db_cpu_percent      = optional(number, 80)
    db_free_storage_gib = optional(number, 2)
  })
  nullable = false
  default  = {}

  validation {
    condition     = var.thresholds.http_5xx_percent > 0 && var.thresholds.http_5xx_percent <= 100 && var.thresholds.db_cpu_percent > 0 && var.thresholds.db_cpu_percent <= 100 && var.thresholds.db_free_storage_gib > 0
    error_message = "thresholds: percentages must be in (0, 100] and db_free_storage_gib above 0."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  nullable    = false
  default     = {}
}
