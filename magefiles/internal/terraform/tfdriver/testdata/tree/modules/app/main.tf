variable "name" {
  description = "Name prefix of everything the module creates."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]+$", var.name))
    error_message = "The name must be lower-case letters, digits and dashes."
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7

  tags = {
    Name = var.name
  }
}

output "role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "log_group" {
  description = "Name and region of the log group."
  value = {
    name   = aws_cloudwatch_log_group.app.name
    region = data.aws_region.current.region
  }
}
