variable "name_prefix" {
  description = "Prefix for every name, carrying the environment (e.g. \"equiptrack-dev\"); ALB and target-group names are limited to 32 characters."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lower-case letters, digits or dashes, starting with a letter (ALB names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and its targets."
  type        = string
  nullable    = false
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC: the load balancer may only send traffic to targets inside it."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the internal load balancer (at least two, in different zones)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (an ALB spans two zones)."
  }
}

variable "ingress_prefix_list_ids" {
  description = "Managed prefix lists allowed to reach the listener (the CloudFront origin-facing list)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "ingress_security_group_ids" {
  description = "Security groups allowed to reach the listener (e.g. a bastion for tests); usually empty."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "targets" {
  description = <<-EOT
    Services behind the load balancer: name => { port, health_path (the readiness path), path_pattern }.
    Exactly one target has path_pattern "/" and becomes the listener's default action; the others
    get a path-pattern rule (e.g. "/api/*").
  EOT
  type = map(object({
    port         = number
    health_path  = string
    path_pattern = string
  }))
  nullable = false

  validation {
    condition     = length([for t in values(var.targets) : t if t.path_pattern == "/"]) == 1
    error_message = "targets must contain exactly one target with path_pattern \"/\" (the default route)."
  }

  validation {
    condition     = alltrue([for t in values(var.targets) : startswith(t.health_path, "/") && startswith(t.path_pattern, "/")])
    error_message = "every health_path and path_pattern must start with \"/\"."
  }

  validation {
    condition     = alltrue([for k, t in var.targets : length("${var.name_prefix}-${k}") <= 32 && t.port > 0 && t.port < 65536])
    error_message = "every target needs a port in 1-65535 and \"<name_prefix>-<name>\" must fit in 32 characters."
  }
}

variable "health_check" {
  description = "Target-group health-check timing (seconds / counts)."
  type = object({
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.health_check.timeout < var.health_check.interval && var.health_check.interval >= 5 && var.health_check.interval <= 300
    error_message = "health_check.interval must be 5-300 s and timeout shorter than interval."
  }
}

variable "deregistration_delay" {
  description = "Seconds a target drains before it is removed (short: rolling deploys stay fast)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
