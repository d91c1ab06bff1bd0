variable "name_prefix" {
  description = "Prefix of every name, carrying the environment, e.g. \"equiptrack-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^equiptrack-[a-z0-9-]+$", var.name_prefix))
    error_message = "name_prefix must look like \"equiptrack-<env>\" (lowercase letters, digits, hyphens)."
  }
}

variable "vpc_id" {
  description = "VPC the database and its security group live in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-…)."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group; RDS requires subnets in at least two availability zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 private subnets (in 2 availability zones)."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432 (the services and the seeder/migrate tasks); nothing else can."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.client_security_group_ids) >= 1
    error_message = "client_security_group_ids needs at least one security group, or nothing could reach the database."
  }
}

variable "instance_class" {
  description = "RDS instance class; db.t4g.micro is the cheapest current one (Graviton)."
  type        = string
  nullable    = false
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as \"db.t4g.micro\"."
  }
}

variable "allocated_storage_gb" {
  description = "gp3 storage in GiB (20 is RDS PostgreSQL's minimum)."
  type        = number
  nullable    = false
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 1000
    error_message = "allocated_storage_gb must be between 20 and 1000."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major (\"16\", RDS picks the newest minor and auto minor upgrades keep it current) or major.minor."
  type        = string
  nullable    = false
  default     = "16"

  validation {
    condition     = can(regex("^1[3-9](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL version 13 to 19, e.g. \"16\" or \"16.4\"."
  }
}

variable "backup_retention_days" {
  description = "Days RDS keeps automated backups (1 to 35)."
  type        = number
  nullable    = false

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance; set false before a planned destroy."
  type        = bool
  nullable    = false
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (throw-away environments); false keeps a snapshot named <name_prefix>-postgres-final-<timestamp> (unique per instance)."
  type        = bool
  nullable    = false
  default     = false
}

variable "db_name" {
  description = "Name of the database created in the instance."
  type        = string
  nullable    = false
  default     = "equiptrack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and hold only lowercase letters, digits and underscores (max 63)."
  }
}

variable "username" {
  description = "Master user name; RDS generates its password and keeps both in a managed Secrets Manager secret."
  type        = string
  nullable    = false
  default     = "equiptrack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.username)) && !contains(["postgres", "admin", "rdsadmin"], var.username)
    error_message = "username must start with a letter, hold only lowercase letters, digits and underscores (max 16) and not be a reserved name."
  }
}

variable "master_password_rotation" {
  description = "Rotation of the RDS-managed master secret: a Secrets Manager schedule (rate(...) or cron(...), UTC) and the window's duration. Default: the first Sunday of each month, 06:00-07:00 UTC (after the maintenance window). Only one-off tasks may use the master user (see main.tf)."
  type = object({
    schedule = optional(string, "cron(0 6 ? * SUN#1 *)")
    duration = optional(string, "1h")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.master_password_rotation.schedule)) && can(regex("^[0-9]+h$", var.master_password_rotation.duration))
    error_message = "master_password_rotation needs schedule = \"rate(...)\" or \"cron(...)\" and duration in hours such as \"1h\"."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  nullable    = false
  default     = {}
}
