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

variable "availability_zones" {
  description = "Availability zones to spread the subnets over (at least two, in the provider's region), e.g. [\"us-west-2a\", \"us-west-2b\"]."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must name at least two distinct zones."
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

variable "tags" {
  description = "Tags added to every resource (the environment roots also set provider default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
