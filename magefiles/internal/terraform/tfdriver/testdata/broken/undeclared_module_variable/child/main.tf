terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

variable "name" {
  description = "Log group name."
  type        = string
}

resource "aws_cloudwatch_log_group" "this" {
  name = var.name
}
