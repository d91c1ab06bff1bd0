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

variable "cluster_arn" {
  description = "ECS cluster ARN; the ECS event rules (alarms on, Container Insights off) match events of this cluster only."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_arn == null || can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)."
  }
}

variable "container_insights" {
  description = "Whether the cluster has Container Insights on. true: one RunningTaskCount alarm per service (billed metrics). false (default): HealthyHostCount alarms per target group and ECS event rules to the topic (free signals)."
  type        = bool
  nullable    = false
  default     = false
}

variable "service_action_events" {
  description = "ECS Service Action event names sent to the alarm topic (Container Insights off)."
  type        = list(string)
  nullable    = false
  default     = ["SERVICE_TASK_START_IMPAIRED", "SERVICE_TASK_PLACEMENT_FAILURE", "SERVICE_TASK_CONFIGURATION_FAILURE", "SERVICE_DISCOVERY_INSTANCE_UNHEALTHY"]

  validation {
    condition     = length(var.service_action_events) > 0 && alltrue([for e in var.service_action_events : can(regex("^[A-Z][A-Z_]+$", e)) && !contains(["SERVICE_STEADY_STATE", "TASKSET_STEADY_STATE", "CAPACITY_PROVIDER_STEADY_STATE", "SERVICE_DESIRED_COUNT_UPDATED", "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED", "TASKS_STOPPED"], e)])
    error_message = "service_action_events must be non-empty upper-case ECS event names and no INFO event (steady state, deployment progress, TASKS_STOPPED): those arrive on every deploy."
  }
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
