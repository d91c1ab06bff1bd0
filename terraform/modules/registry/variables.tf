variable "name_prefix" {
  description = "Prefix of every repository name, carrying the environment (e.g. \"equiptrack-dev\")."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must be 3-24 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "repositories" {
  description = "Short names of the repositories to create (one per service, plus the seeder); each becomes \"<name_prefix>/<name>\"."
  type        = set(string)
  nullable    = false

  validation {
    condition     = length(var.repositories) > 0 && alltrue([for r in var.repositories : can(regex("^[a-z][a-z0-9-]{0,30}$", r))])
    error_message = "repositories must hold at least one name of lower-case letters, digits or dashes (at most 31 characters)."
  }
}

variable "image_tag_mutability" {
  description = "MUTABLE (dev: the `latest` tag moves) or IMMUTABLE (staging: a version tag is written once)."
  type        = string
  default     = "IMMUTABLE"
  nullable    = false

  validation {
    condition     = contains(["MUTABLE", "IMMUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be MUTABLE or IMMUTABLE."
  }
}

variable "max_tagged_images" {
  description = "How many tagged images each repository keeps; older ones expire (rollbacks reach back this far)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.max_tagged_images >= 5 && var.max_tagged_images <= 1000 && floor(var.max_tagged_images) == var.max_tagged_images
    error_message = "max_tagged_images must be a whole number between 5 and 1000."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (left over when `latest` moves) expire."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_expiry_days >= 1 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number of at least 1."
  }
}

variable "force_delete" {
  description = "Allow `destroy` to delete repositories that still hold images."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
