# One ECS service (or, with create_service = false, a one-off task such as the seeder): its task
# definition, task and execution roles, log group, Cloud Map registration, target-group attachment
# and optional scale-to-zero schedule.
#
# Releases own the image: they register a new task-definition revision (only image and APP_VERSION
# changed) and point the service at it. Terraform creates the first revision and then ignores the
# service's task_definition, so a plan after a release shows no change and the two never fight.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  full_name = "${var.name_prefix}-${var.name}"
  log_group = "/ecs/${var.name_prefix}/${var.name}"

  # Plain environment: the module's own variables win over nothing — callers cannot override them.
  environment = merge(var.environment_variables, {
    APP_ENV     = var.environment
    APP_VERSION = var.app_version
    SERVICE     = var.name
    PORT        = tostring(var.port)
  })

  # IAM needs the bare secret ARN; ECS accepts "<arn>:<json-key>::" to pick one key.
  secret_arns = sort(distinct([for v in values(var.secrets) : join(":", slice(split(":", v), 0, 7))]))

  container = merge(
    {
      name                   = var.name
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      portMappings = var.create_service ? [{
        name          = "http"
        containerPort = var.port
        hostPort      = var.port
        protocol      = "tcp"
      }] : []
      environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
      secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = local.log_group
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = var.name
        }
      }
    },
    var.entry_point == null ? {} : { entryPoint = var.entry_point },
    length(var.command) == 0 ? {} : { command = var.command },
    var.health_check_command == null ? {} : {
      healthCheck = {
        command     = var.health_check_command
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
    },
  )
}

# Why: CloudWatch Logs are encrypted at rest by default; a customer-managed KMS key per environment adds cost without a requirement for it.
#trivy:ignore:AVD-AWS-0017
resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days

  tags = var.tags
}

# --- IAM -----------------------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name        = "${local.full_name}-exec"
  description = "ECS pulls the image, writes logs and reads the secrets of ${local.full_name}"
  # The environment's permissions boundary caps the role whatever policy is attached later
  # (the CI apply role may only create or change roles that carry it).
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  name = "read-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = local.secret_arns
    }]
  })
}

# The task role: what the application itself may call. The example services call no AWS API, so it
# holds no policy; it exists so one can be attached without replacing the task definition's shape.
resource "aws_iam_role" "task" {
  name                 = "${local.full_name}-task"
  description          = "Application role of ${local.full_name}"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

# --- Task definition -----------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  # FARGATE_SPOT runs x86_64 only: ARM64 would be cheaper on-demand but could not use Spot at all.
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([local.container])

  tags = var.tags
}

# --- Service discovery ---------------------------------------------------------------------------

resource "aws_service_discovery_service" "this" {
  count = var.create_service && var.service_discovery != null ? 1 : 0

  name = var.name

  dns_config {
    namespace_id   = var.service_discovery.namespace_id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  tags = var.tags
}

# --- Service -------------------------------------------------------------------------------------

resource "aws_ecs_service" "this" {
  count = var.create_service ? 1 : 0

  name            = var.name
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  # The first on_demand_base tasks run on FARGATE; every further task on FARGATE_SPOT.
  dynamic "capacity_provider_strategy" {
    for_each = var.on_demand_base > 0 ? [1] : []
    content {
      capacity_provider = "FARGATE"
      base              = var.on_demand_base
      weight            = 0
    }
  }

  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    base              = 0
    weight            = 1
  }

  # ECS changes a service's capacity-provider strategy only together with a new deployment
  # ("When switching from launch type to capacity provider strategy on an existing service, or
  # making a change to a capacity provider strategy on a service that is already using one, you
  # must force a new deployment", UpdateService: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html),
  # and current 6.x providers refuse such a plan without it ("force_new_deployment should be true
  # when capacity_provider_strategy is being updated"; earlier 6.x replaced the service). The
  # replica has no provider-side diff logic, so a test asserts this setting instead. The forced
  # deployment rolls the revision the service runs (task_definition is ignored below), with the
  # same 100%-healthy rolling deployment and circuit breaker as a release.
  force_new_deployment = true

  # Rolling deploys that never drop below the desired count; a deployment that cannot become
  # healthy is stopped and rolled back by ECS (the release reads that as a failed release).
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false # outbound through the NAT instance: no public IPv4 per task
  }

  dynamic "load_balancer" {
    for_each = var.target_group == null ? [] : [var.target_group.arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = var.name
      container_port   = var.port
    }
  }

  health_check_grace_period_seconds = var.target_group == null ? null : var.health_check_grace_period_seconds

  dynamic "service_registries" {
    for_each = aws_service_discovery_service.this
    content {
      registry_arn = service_registries.value.arn
    }
  }

  availability_zone_rebalancing = "ENABLED"
  enable_ecs_managed_tags       = true
  propagate_tags                = "SERVICE"
  wait_for_steady_state         = false

  tags = var.tags

  lifecycle {
    # Releases own the task definition (image, APP_VERSION); see the note at the top.
    ignore_changes = [task_definition]
  }
}

# --- Optional schedule ---------------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  count = var.create_service && var.schedule.enabled ? 1 : 0

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this[0].name}"
  min_capacity       = 0
  max_capacity       = var.desired_count

  tags = var.tags
}

resource "aws_appautoscaling_scheduled_action" "down" {
  count = var.create_service && var.schedule.enabled ? 1 : 0

  name               = "${local.full_name}-scale-down"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  schedule           = var.schedule.scale_down_cron
  timezone           = var.schedule.timezone

  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }
}

resource "aws_appautoscaling_scheduled_action" "up" {
  count = var.create_service && var.schedule.enabled ? 1 : 0

  name               = "${local.full_name}-scale-up"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  schedule           = var.schedule.scale_up_cron
  timezone           = var.schedule.timezone

  scalable_target_action {
    min_capacity = var.desired_count
    max_capacity = var.desired_count
  }
}
