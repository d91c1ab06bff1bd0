variable "name_prefix" {
  description = "Prefix of every name, carrying the environment, e.g. \"equiptrack-dev\"; role names become <name_prefix>-github-<deploy|apply|plan>."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^equiptrack-[a-z0-9-]+$", var.name_prefix))
    error_message = "name_prefix must look like \"equiptrack-<env>\" (lowercase letters, digits, hyphens)."
  }
}

variable "environment" {
  description = "Environment these roles deploy: \"dev\" or \"staging\" (also the GitHub environment name the deploy role trusts)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "staging"], var.environment)
    error_message = "environment must be \"dev\" or \"staging\"."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the roles, as \"owner/repo\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/repo\" (no wildcards, no extra slashes)."
  }
}

variable "apply_github_environment" {
  description = "GitHub environment whose jobs may assume the apply role; null means \"<environment>-infra\", a separate environment so infrastructure applies get their own protection rules (reviewers)."
  type        = string
  default     = null

  validation {
    condition     = var.apply_github_environment == null || can(regex("^[A-Za-z0-9._-]{1,255}$", var.apply_github_environment))
    error_message = "apply_github_environment must be a plain GitHub environment name (letters, digits, . _ -)."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC identity provider (output oidc_provider_arn of terraform/bootstrap)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com identity provider."
  }
}

variable "ecr_repository_arns" {
  description = "ECR repositories of this environment the deploy role may push to."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.ecr_repository_arns) > 0 && alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", a))])
    error_message = "ecr_repository_arns must be a non-empty list of ECR repository ARNs."
  }
}

variable "cluster_arn" {
  description = "ARN of this environment's ECS cluster."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN."
  }
}

variable "task_role_arns" {
  description = "Task roles of this environment's task definitions (iam:PassRole for RegisterTaskDefinition/RunTask)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "execution_role_arns" {
  description = "Task execution roles of this environment's task definitions (iam:PassRole)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.execution_role_arns) > 0
    error_message = "execution_role_arns needs at least one role: every Fargate task definition has an execution role."
  }
}

variable "task_definition_family_prefix" {
  description = "Prefix of this environment's task definition families (ecs:RunTask is limited to them); null means name_prefix."
  type        = string
  default     = null
}

variable "log_group_arns" {
  description = "Log groups the deploy role may read; empty means every log group whose name contains name_prefix."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "state_bucket_arn" {
  description = "ARN of the Terraform state bucket (output of terraform/bootstrap)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.state_bucket_arn))
    error_message = "state_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "state_key" {
  description = "Key of this environment's state object in the bucket, e.g. \"equiptrack/dev/terraform.tfstate\"; the lock file is <state_key>.tflock."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.()/-]+\\.tfstate$", var.state_key)) && !can(regex("\\*", var.state_key))
    error_message = "state_key must be an object key ending in .tfstate, without wildcards."
  }
}

variable "max_session_hours" {
  description = "Longest session a role grants (1 to 12 hours)."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.max_session_hours >= 1 && var.max_session_hours <= 12 && floor(var.max_session_hours) == var.max_session_hours
    error_message = "max_session_hours must be a whole number from 1 to 12."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  nullable    = false
  default     = {}
}
