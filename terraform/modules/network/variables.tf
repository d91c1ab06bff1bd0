variable "name_prefix" {
  description = "Prefix for every name, carrying the environment (e.g. \"equiptrack-dev\")."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must be 3-24 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC (a /16 to /20; each subnet is a /24 carved from it)."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR with a prefix length between /16 and /20."
  }
}

variable "availability_zone_ids" {
  description = "Availability zone IDs (e.g. [\"usw2-az1\", \"usw2-az2\"]) to spread the subnets over; null (default) picks the first zone_count usable IDs of the region (see main.tf). IDs, not names: names map to different physical zones in each account."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zone_ids == null || (try(length(var.availability_zone_ids), 0) >= 2 && length(distinct(coalesce(var.availability_zone_ids, []))) == length(coalesce(var.availability_zone_ids, [])) && alltrue([for id in coalesce(var.availability_zone_ids, []) : can(regex("^[a-z]+[0-9]+-az[0-9]+$", id))]))
    error_message = "availability_zone_ids must list at least two distinct zone IDs such as \"usw2-az1\" (not names such as \"us-west-2a\")."
  }
}

variable "zone_count" {
  description = "How many zones to pick when availability_zone_ids is null."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.zone_count >= 2 && var.zone_count <= 6
    error_message = "zone_count must be between 2 and 6."
  }
}

variable "nat_instance_type" {
  description = "Instance type of the NAT instance (arm64 Graviton: the AMI is the arm64 Amazon Linux 2023 image)."
  type        = string
  default     = "t4g.nano"
  nullable    = false

  validation {
    condition     = can(regex("^(t4g|c6g|c7g|m6g|m7g)[a-z]*\\.", var.nat_instance_type))
    error_message = "nat_instance_type must be a Graviton (arm64) type such as t4g.nano, because the NAT AMI is arm64."
  }
}

variable "nat_ami_ssm_parameter" {
  description = "Public SSM parameter holding the NAT instance's AMI id (arm64 Amazon Linux 2023)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
  nullable    = false
}

variable "enable_alarms" {
  description = "The NAT instance's recover/reboot alarms ($0.10 each a month), notifying alarm_actions; without them EC2's automatic recovery (free) still moves the instance off failed hardware."
  type        = bool
  default     = false
  nullable    = false
}

variable "alarm_actions" {
  description = "ARNs notified when the NAT instance's alarms fire (e.g. the staging alarm topic)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource (the environment roots also set provider default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
