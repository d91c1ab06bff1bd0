variable "name_prefix" {
  description = "Prefix of every name, carrying the environment, e.g. \"equiptrack-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^equiptrack-[a-z0-9-]+$", var.name_prefix)) && length(var.name_prefix) <= 34
    error_message = "name_prefix must look like \"equiptrack-<env>\" (lowercase letters, digits, hyphens, at most 34 characters: ElastiCache ids are limited to 40)."
  }
}

variable "vpc_id" {
  description = "VPC the cache and its security group live in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-…)."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the cache subnet group."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids needs at least one private subnet."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 6379 (the services and the seeder); nothing else can."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.client_security_group_ids) >= 1
    error_message = "client_security_group_ids needs at least one security group, or nothing could reach the cache."
  }
}

variable "engine" {
  description = "Cache engine: \"valkey\" (about 20% cheaper per node, Redis-protocol compatible) or \"redis\"."
  type        = string
  nullable    = false
  default     = "valkey"

  validation {
    condition     = contains(["valkey", "redis"], var.engine)
    error_message = "engine must be \"valkey\" or \"redis\"."
  }
}

variable "engine_version" {
  description = "Engine version (major.minor); null picks 8.1 for valkey and 7.1 for redis."
  type        = string
  default     = null

  validation {
    condition     = var.engine_version == null || can(regex("^[0-9]+\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be major.minor, e.g. \"8.1\"."
  }
}

variable "mode" {
  description = "\"serverless\" (default: ElastiCache Serverless, billed per GB stored and ECPU, TLS-only) or \"node\" (one node of node_type, billed per hour)."
  type        = string
  nullable    = false
  default     = "serverless"

  validation {
    condition     = contains(["serverless", "node"], var.mode)
    error_message = "mode must be \"serverless\" or \"node\"."
  }
}

variable "serverless_limits" {
  description = "Serverless mode: ceilings that cap the bill — data stored in GB (1–5000) and ECPUs per second (1000–15000000). Beyond them writes are refused and requests throttled."
  type = object({
    data_storage_max_gb = optional(number, 1)
    ecpu_per_second_max = optional(number, 5000)
  })
  nullable = false
  default  = {}

  validation {
    condition     = var.serverless_limits.data_storage_max_gb >= 1 && var.serverless_limits.data_storage_max_gb <= 5000 && floor(var.serverless_limits.data_storage_max_gb) == var.serverless_limits.data_storage_max_gb
    error_message = "serverless_limits.data_storage_max_gb must be a whole number of GB between 1 and 5000."
  }

  validation {
    condition     = var.serverless_limits.ecpu_per_second_max >= 1000 && var.serverless_limits.ecpu_per_second_max <= 15000000 && floor(var.serverless_limits.ecpu_per_second_max) == var.serverless_limits.ecpu_per_second_max
    error_message = "serverless_limits.ecpu_per_second_max must be a whole number between 1000 and 15000000."
  }
}

variable "node_type" {
  description = "ElastiCache node type (node mode only)."
  type        = string
  nullable    = false
  default     = "cache.t4g.micro"

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must be an ElastiCache node type such as \"cache.t4g.micro\"."
  }
}

variable "transit_encryption_enabled" {
  description = "Require TLS between clients and the cache (clients then connect with rediss://)."
  type        = bool
  nullable    = false
  default     = true
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots to keep (0 turns snapshots off; the cache holds derived data only)."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 0 and 35."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  nullable    = false
  default     = {}
}
