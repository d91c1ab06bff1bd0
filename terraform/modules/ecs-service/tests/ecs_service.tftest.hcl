mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/equiptrack-test-role"
    }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = {
      arn = "arn:aws:servicediscovery:us-west-2:123456789012:service/srv-0123456789abcdef"
    }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:us-west-2:123456789012:task-definition/equiptrack-test-gateway:1"
    }
  }
  mock_data "aws_region" {
    defaults = {
      region = "us-west-2"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name_prefix        = "equiptrack-test"
  name               = "gateway"
  environment        = "test"
  image              = "123456789012.dkr.ecr.us-west-2.amazonaws.com/equiptrack-test/gateway:latest"
  cpu                = 512
  memory             = 1024
  cluster_arn        = "arn:aws:ecs:us-west-2:123456789012:cluster/equiptrack-test"
  cluster_name       = "equiptrack-test"
  desired_count      = 2
  on_demand_base     = 1
  subnet_ids         = ["subnet-aaaa", "subnet-bbbb"]
  security_group_ids = ["sg-tasks"]
  target_group       = { arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/equiptrack-test-gateway/0123456789abcdef" }
  service_discovery  = { namespace_id = "ns-0123456789abcdef" }
  # From the services manifest (the example app probes itself: FROM scratch has no curl).
  command              = ["serve"]
  health_check_command = ["CMD", "/equiptrack", "probe", "/healthz"]
  environment_variables = {
    DB_HOST    = "db.internal"
    DB_SSLMODE = "require"
  }
  secrets = {
    DB_USER     = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-db-AbCdEf:username::"
    DB_PASSWORD = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-db-AbCdEf:password::"
    JWT_SECRET  = "arn:aws:secretsmanager:us-west-2:123456789012:secret:equiptrack-test-jwt-XyZ123"
  }
}

# An image without the example's binary: no command, no health check unless the manifest says so.
run "no_assumptions_about_the_image" {
  command = plan

  variables {
    command              = null
    health_check_command = null
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "command") && !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "healthCheck")
    error_message = "by default the image's own CMD runs and no health check is set"
  }
}

run "task_definition_sizes_env_and_secrets" {
  command = plan

  assert {
    condition     = aws_ecs_task_definition.this.cpu == "512" && aws_ecs_task_definition.this.memory == "1024"
    error_message = "gateway size must be 512 CPU / 1024 MiB"
  }
  assert {
    condition     = aws_ecs_task_definition.this.family == "equiptrack-test-gateway"
    error_message = "family is <name_prefix>-<name>"
  }
  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "X86_64"
    error_message = "FARGATE_SPOT needs X86_64"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment == [{ name = "APP_ENV", value = "test" }, { name = "APP_VERSION", value = "bootstrap" }, { name = "DB_HOST", value = "db.internal" }, { name = "DB_SSLMODE", value = "require" }, { name = "PORT", value = "8080" }, { name = "SERVICE", value = "gateway" }]
    error_message = "the container gets APP_ENV, APP_VERSION, SERVICE, PORT and the caller's variables"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets == [{ name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-db-AbCdEf:password::" }, { name = "DB_USER", valueFrom = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-db-AbCdEf:username::" }, { name = "JWT_SECRET", valueFrom = "arn:aws:secretsmanager:us-west-2:123456789012:secret:equiptrack-test-jwt-XyZ123" }]
    error_message = "secrets are passed by reference"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/equiptrack", "probe", "/healthz"]
    error_message = "the container has a health check on /healthz"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command == ["serve"] && !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "entryPoint")
    error_message = "the image's entry point is kept and the command is serve"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/equiptrack-test/gateway"
    error_message = "logs go to the service's own log group"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.execution_secrets[0].policy).Statement[0].Resource == ["arn:aws:secretsmanager:us-west-2:123456789012:secret:equiptrack-test-jwt-XyZ123", "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-db-AbCdEf"]
    error_message = "the execution role reads exactly the two secrets, by bare ARN"
  }
  assert {
    condition     = aws_iam_role.execution.name == "equiptrack-test-gateway-exec" && aws_iam_role.task.name == "equiptrack-test-gateway-task"
    error_message = "role names carry the environment"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "logs are kept 14 days by default"
  }
}

run "service_rolling_with_circuit_breaker" {
  command = plan

  assert {
    condition     = aws_ecs_service.this[0].desired_count == 2
    error_message = "two tasks"
  }
  assert {
    condition     = aws_ecs_service.this[0].deployment_minimum_healthy_percent == 100 && aws_ecs_service.this[0].deployment_maximum_percent == 200
    error_message = "rolling deploys keep 100% healthy (min 100, max 200)"
  }
  assert {
    condition     = aws_ecs_service.this[0].deployment_circuit_breaker[0].enable == true && aws_ecs_service.this[0].deployment_circuit_breaker[0].rollback == true
    error_message = "circuit breaker with rollback"
  }
  assert {
    condition     = aws_ecs_service.this[0].network_configuration[0].assign_public_ip == false
    error_message = "tasks get no public IPv4"
  }
  assert {
    condition     = one([for s in aws_ecs_service.this[0].capacity_provider_strategy : s if s.capacity_provider == "FARGATE"]).base == 1 && one([for s in aws_ecs_service.this[0].capacity_provider_strategy : s if s.capacity_provider == "FARGATE_SPOT"]).weight == 1
    error_message = "one on-demand task first, the rest on Spot"
  }
  assert {
    condition     = aws_ecs_service.this[0].force_new_deployment == true
    error_message = "a capacity-provider change needs force_new_deployment (UpdateService refuses it otherwise; see main.tf)"
  }
  assert {
    condition     = one(aws_ecs_service.this[0].load_balancer).container_port == 8080 && one(aws_ecs_service.this[0].load_balancer).container_name == "gateway"
    error_message = "tasks register in the target group on 8080"
  }
  assert {
    condition     = aws_service_discovery_service.this[0].name == "gateway" && one(one(aws_service_discovery_service.this[0].dns_config).dns_records).type == "A"
    error_message = "the service registers gateway.<namespace> (A records)"
  }
  assert {
    condition     = length(aws_appautoscaling_target.this) == 0
    error_message = "no schedule by default"
  }
}

run "all_spot_internal_service" {
  command = plan

  variables {
    name           = "inventory"
    cpu            = 256
    memory         = 512
    desired_count  = 1
    on_demand_base = 0
    target_group   = null
  }

  assert {
    condition     = length(aws_ecs_service.this[0].capacity_provider_strategy) == 1 && one(aws_ecs_service.this[0].capacity_provider_strategy).capacity_provider == "FARGATE_SPOT"
    error_message = "base 0 => only FARGATE_SPOT"
  }
  assert {
    condition     = length(aws_ecs_service.this[0].load_balancer) == 0 && aws_ecs_service.this[0].health_check_grace_period_seconds == null
    error_message = "an internal service has no target group"
  }
  assert {
    condition     = aws_ecs_task_definition.this.cpu == "256" && aws_ecs_task_definition.this.memory == "512"
    error_message = "256/512"
  }
}

run "one_off_task_without_service" {
  command = plan

  variables {
    name                 = "seeder"
    create_service       = false
    cpu                  = 256
    memory               = 512
    health_check_command = null
    cluster_arn          = null
    command              = []
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "command") && length(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings) == 0
    error_message = "a one-off task keeps the image's command and exposes no port"
  }

  assert {
    condition     = length(aws_ecs_service.this) == 0 && length(aws_service_discovery_service.this) == 0
    error_message = "no service and no discovery for a one-off task"
  }
  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "healthCheck")
    error_message = "a one-off task has no health check"
  }
  assert {
    condition     = output.service_name == null && output.task_definition_family == "equiptrack-test-seeder"
    error_message = "outputs of a one-off task"
  }
}

run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/equiptrack-test-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.execution.permissions_boundary == "arn:aws:iam::123456789012:policy/equiptrack-test-workload-boundary" && aws_iam_role.task.permissions_boundary == "arn:aws:iam::123456789012:policy/equiptrack-test-workload-boundary"
    error_message = "both roles carry the environment's permissions boundary (the CI apply role may only manage roles that do)"
  }
}

run "schedule_scales_to_zero" {
  command = plan

  variables {
    schedule = { enabled = true, timezone = "America/New_York" }
  }

  assert {
    condition     = aws_appautoscaling_target.this[0].resource_id == "service/equiptrack-test/gateway" && aws_appautoscaling_target.this[0].max_capacity == 2
    error_message = "the scalable target is the service"
  }
  assert {
    condition     = aws_appautoscaling_scheduled_action.down[0].scalable_target_action[0].max_capacity == "0" && aws_appautoscaling_scheduled_action.up[0].scalable_target_action[0].min_capacity == "2"
    error_message = "down to 0, back up to 2"
  }
  assert {
    condition     = aws_appautoscaling_scheduled_action.down[0].schedule == "cron(0 20 ? * MON-FRI *)" && aws_appautoscaling_scheduled_action.down[0].timezone == "America/New_York"
    error_message = "default scale-down time in the given zone"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "Bad"
    # bad name
    name = "Gateway_1"
    # bad environment
    environment = "X"
    # image without tag
    image = "gateway"
    # bad cpu
    cpu = 300
    # bad port
    port = 70000
    # bad health check command
    health_check_command = ["/equiptrack", "probe"]
    # plain text secret
    secrets = { JWT_SECRET = "hunter2" }
    # boundary that is not a policy
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/equiptrack-test-admin"
    # bad retention
    log_retention_days = 10
    # service without cluster
    cluster_arn = null
    # negative desired count
    desired_count  = -1
    on_demand_base = 0
    # bad schedule
    schedule = { enabled = true, scale_down_cron = "0 20 * * *" }
  }
  expect_failures = [
    var.name_prefix,
    var.name,
    var.environment,
    var.image,
    var.cpu,
    var.port,
    var.health_check_command,
    var.secrets,
    var.permissions_boundary_arn,
    var.log_retention_days,
    var.cluster_arn,
    var.desired_count,
    var.schedule,
  ]
}

run "rejects_bad_memory_for_cpu_and_base_above_desired" {
  command = plan
  variables {
    # bad memory for cpu
    cpu    = 256
    memory = 4096
    # base above desired
    desired_count  = 1
    on_demand_base = 2
  }
  expect_failures = [
    var.memory,
    var.on_demand_base,
  ]
}

