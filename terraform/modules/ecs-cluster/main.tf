# The ECS cluster with both Fargate capacity providers. Services choose their own strategy
# (on-demand base + Spot); the cluster default (plain FARGATE) applies to one-off tasks such as the
# migration and the seeder, which must not be interrupted by a Spot reclaim.

# Why: Container Insights is billed per metric (~$42/month for six services); it is an input, off by
# default in both environments (staging's alarms use free signals: ALB HealthyHostCount and ECS
# events on EventBridge).
#trivy:ignore:AVD-AWS-0034
resource "aws_ecs_cluster" "this" {
  name = var.name_prefix

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 0
    weight            = 1
  }
}
