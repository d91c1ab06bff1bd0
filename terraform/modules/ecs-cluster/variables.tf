variable "name_prefix" {
  description = "Cluster name, carrying the environment (e.g. \"equiptrack-dev\")."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must be 3-24 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "container_insights" {
  description = "CloudWatch Container Insights: \"disabled\", \"enabled\" or \"enhanced\" (charged per metric, ~$42/month for six services; off in both environments, whose alarms use free signals)."
  type        = string
  default     = "disabled"
  nullable    = false

  validation {
    condition     = contains(["disabled", "enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be disabled, enabled or enhanced."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
