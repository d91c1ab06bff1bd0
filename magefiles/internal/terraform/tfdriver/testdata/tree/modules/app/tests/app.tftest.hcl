# Planned against the schema replica itself (no mock_provider), so the
# policy document is rendered for real.
provider "aws" {
  region = "eu-west-1"
}

variables {
  name = "demo"
}

run "trust_policy_names_ecs_tasks" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Principal.Service == "ecs-tasks.amazonaws.com"
    error_message = "the task role must be assumable by ECS tasks"
  }

  assert {
    condition     = aws_cloudwatch_log_group.app.region == "eu-west-1"
    error_message = "the log group follows the provider's region"
  }
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "Bad_Name"
  }

  expect_failures = [var.name]
}
