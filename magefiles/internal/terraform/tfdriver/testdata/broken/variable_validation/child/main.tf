terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

variable "name" {
  description = "Log group name, starting with a slash."
  type        = string

  validation {
    condition     = startswith(var.name, "/")
    error_message = "The log group name must start with a slash."
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name = var.name
}
