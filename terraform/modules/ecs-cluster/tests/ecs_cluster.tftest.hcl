mock_provider "aws" {}

variables {
  name_prefix = "equiptrack-test"
}

run "cluster_with_fargate_and_spot" {
  command = plan

  assert {
    condition     = aws_ecs_cluster.this.name == "equiptrack-test"
    error_message = "the cluster is named after the environment prefix"
  }
  assert {
    condition     = aws_ecs_cluster_capacity_providers.this.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "the cluster offers FARGATE and FARGATE_SPOT"
  }
  assert {
    condition     = one(aws_ecs_cluster_capacity_providers.this.default_capacity_provider_strategy).capacity_provider == "FARGATE"
    error_message = "one-off tasks (migrate, seed) default to on-demand FARGATE"
  }
  assert {
    condition     = one(aws_ecs_cluster.this.setting).value == "disabled"
    error_message = "Container Insights is off by default"
  }
}

run "insights_on" {
  command = plan
  variables {
    container_insights = "enabled"
  }
  assert {
    condition     = one(aws_ecs_cluster.this.setting).value == "enabled"
    error_message = "Container Insights can be turned on"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "x"
    # bad insights value
    container_insights = "on"
  }
  expect_failures = [
    var.name_prefix,
    var.container_insights,
  ]
}

