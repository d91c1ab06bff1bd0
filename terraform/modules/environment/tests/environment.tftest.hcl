# Plans a whole environment with a mocked provider and checks what the composition promises. The
# per-module details are tested in each module; cross-environment facts (dev vs staging) are Go
# tests over both roots' plans (terraform/envtest).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = {
      id = "pl-3b927c52"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      zone_ids = ["use1-az1", "use1-az2", "use1-az3", "use1-az4"]
    }
  }
  mock_data "aws_ec2_instance_type_offerings" {
    defaults = {
      locations = ["use1-az1", "use1-az2", "use1-az4"]
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_resource "aws_vpc" {
    defaults = {
      id = "vpc-0123456789abcdef0"
    }
  }
  mock_resource "aws_subnet" {
    defaults = {
      id = "subnet-0123456789abcdef0"
    }
  }
  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/equiptrack-staging-alb/0123456789abcdef"
      arn_suffix = "app/equiptrack-staging-alb/0123456789abcdef"
      dns_name   = "internal-equiptrack-staging-alb-1.us-east-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/equiptrack-staging-tg/0123456789abcdef"
      arn_suffix = "targetgroup/equiptrack-staging-tg/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/equiptrack-staging-alb/0123456789abcdef/0123456789abcdef"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/equiptrack-staging-role"
    }
  }
  mock_resource "aws_elasticache_serverless_cache" {
    defaults = {
      endpoint = [{ address = "equiptrack-staging-cache-abc123.serverless.use1.cache.amazonaws.com", port = 6379 }]
    }
  }
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      primary_endpoint_address = "master.equiptrack-staging-cache.abc123.use1.cache.amazonaws.com"
    }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"
    }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/equiptrack-staging-gateway:1"
    }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = {
      arn = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef"
    }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:us-east-1:123456789012:repository/equiptrack-staging/x"
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/equiptrack-staging/x"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/equiptrack-staging/x"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:equiptrack-staging-x-AbCdEf"
    }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address            = "equiptrack-staging.abcdefghij.us-east-1.rds.amazonaws.com"
      port               = 5432
      master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf", kms_key_id = "", secret_status = "active" }]
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:equiptrack-staging-alarms"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0000-1111-2222-333344445555"
    }
  }
}

variables {
  environment = "staging"
  account_id  = "123456789012"
  services = {
    gateway   = { cpu = 512, memory = 1024, public_path = "/api/*", desired_count = 2, on_demand_base = 1 }
    inventory = { cpu = 256, memory = 512, desired_count = 2 }
    location  = { cpu = 256, memory = 512, desired_count = 2 }
    user      = { cpu = 256, memory = 512, desired_count = 2 }
    reporting = { cpu = 256, memory = 512, desired_count = 2 }
    ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 2, on_demand_base = 1, command = ["serve"], health_check = ["CMD", "/equiptrack", "probe", "/healthz"] }
  }
  ecr_image_tag_mutability = "IMMUTABLE"
  db_backup_retention_days = 7
  enable_alarms            = true
  alarm_email              = "oncall@equiptrack.test"
  github_repository        = "equiptrack/release-kit"
  oidc_provider_arn        = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  state_bucket_name        = "equiptrack-terraform-state"
  state_key                = "equiptrack/staging/terraform.tfstate"
}

# One plan, many facts: every full plan of an environment costs seconds of CPU.
# apply, not plan: the container definitions carry the database and cache
# addresses, which Terraform's mock_provider leaves unknown until apply
# (OpenTofu fills them at plan) — an apply under mocks creates nothing.
run "staging_shape" {
  command = apply

  assert {
    condition     = length(module.service) == 6
    error_message = "six services"
  }
  assert {
    condition     = alltrue([for k, s in module.service : s.desired_count == 2])
    error_message = "staging runs 2 tasks of every service"
  }
  assert {
    condition     = module.service["gateway"].cpu == 512 && module.service["gateway"].memory == 1024
    error_message = "gateway 512/1024"
  }
  assert {
    condition     = alltrue([for k in ["inventory", "location", "user", "reporting", "ui"] : module.service[k].cpu == 256 && module.service[k].memory == 512])
    error_message = "the other services 256/512"
  }
  assert {
    condition     = jsonencode({ for s in module.service["gateway"].capacity_provider_strategy : s.capacity_provider => [s.base, s.weight] }) == jsonencode({ FARGATE = [1, 0], FARGATE_SPOT = [0, 1] })
    error_message = "gateway: one on-demand task, the rest on Spot"
  }
  assert {
    condition     = jsonencode({ for s in module.service["inventory"].capacity_provider_strategy : s.capacity_provider => [s.base, s.weight] }) == jsonencode({ FARGATE_SPOT = [0, 1] })
    error_message = "inventory: all Spot"
  }
  assert {
    condition     = module.cluster.container_insights == "disabled"
    error_message = "Container Insights is off by default, alarms or not"
  }
  assert {
    condition = toset(module.monitoring.alarm_names) == toset([
      "equiptrack-staging-alb-5xx-rate",
      "equiptrack-staging-gateway-unhealthy-targets",
      "equiptrack-staging-ui-unhealthy-targets",
      "equiptrack-staging-gateway-healthy-below-desired",
      "equiptrack-staging-ui-healthy-below-desired",
      "equiptrack-staging-db-cpu-high",
      "equiptrack-staging-db-free-storage-low",
    ])
    error_message = "staging alarms from free signals: healthy hosts for gateway and ui, no RunningTaskCount"
  }
  assert {
    condition     = length(module.monitoring.event_rule_names) == 4
    error_message = "ECS event rules watch every service"
  }
  assert {
    condition     = module.redis.mode == "node" && module.redis.engine == "valkey"
    error_message = "the cache is one node by default (single-node Redis semantics, as the seed and the local stores)"
  }
  assert {
    condition     = length(module.network.private_subnet_ids) == 2 && jsonencode(module.network.availability_zone_ids) == jsonencode(["use1-az1", "use1-az2"])
    error_message = "tasks spread over two zones, chosen by ID"
  }

  assert {
    condition     = { for e in module.service["inventory"].container_definition.environment : e.name => e.value }["APP_ENV"] == "staging"
    error_message = "APP_ENV is the environment"
  }
  assert {
    condition     = { for e in module.service["inventory"].container_definition.environment : e.name => e.value }["DB_SSLMODE"] == "verify-full"
    error_message = "the database connection verifies the server"
  }
  assert {
    condition     = { for e in module.service["inventory"].container_definition.environment : e.name => e.value }["DB_SSLROOTCERT"] == "rds"
    error_message = "the database's certificate is verified against the RDS CA bundle in the image"
  }
  assert {
    condition     = { for e in module.service["gateway"].container_definition.environment : e.name => e.value }["SERVICE_DOMAIN"] == "equiptrack-staging.internal"
    error_message = "the gateway finds the backends in the private DNS namespace"
  }
  # Least privilege: the application's own database user everywhere but in the migration, the JWT
  # key only where it is used (issue: every service connected as the RDS master user and got the
  # JWT key).
  assert {
    condition     = jsonencode(sort([for s in module.service["user"].container_definition.secrets : s.name])) == jsonencode(["DB_PASSWORD"])
    error_message = "a backend gets only its database password by reference (no JWT key)"
  }
  assert {
    condition     = jsonencode(sort([for s in module.service["gateway"].container_definition.secrets : s.name])) == jsonencode(["DB_PASSWORD", "JWT_SECRET"])
    error_message = "the gateway alone gets the JWT key"
  }
  assert {
    condition     = alltrue([for k, m in module.service : alltrue([for s in m.container_definition.secrets : !strcontains(s.valueFrom, "rds!db")])])
    error_message = "no service gets the RDS master secret"
  }
  assert {
    condition     = alltrue([for k, m in module.service : { for e in m.container_definition.environment : e.name => e.value }["DB_USER"] == "equiptrack_app"])
    error_message = "every service connects as the application's user equiptrack_app"
  }
  assert {
    condition     = jsonencode(sort([for s in module.seeder.container_definition.secrets : s.name])) == jsonencode(["DB_PASSWORD", "SEED_ADMIN_PASSWORD"])
    error_message = "the seeder gets the application user's password and the admin password (not the JWT key, not the master secret)"
  }
  assert {
    condition     = { for e in module.seeder.container_definition.environment : e.name => e.value }["DB_USER"] == "equiptrack_app" && alltrue([for s in module.seeder.container_definition.secrets : !strcontains(s.valueFrom, "rds!db")])
    error_message = "the seeder connects as the application's user"
  }
  assert {
    condition     = { for s in module.migrate.container_definition.secrets : s.name => s.valueFrom } == { APP_DB_PASSWORD = "arn:aws:secretsmanager:us-east-1:123456789012:secret:equiptrack-staging-x-AbCdEf", DB_PASSWORD = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:password::", DB_USER = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:username::" }
    error_message = "the migration alone gets the master credentials, and the application user's password to create it"
  }
  assert {
    condition     = { for e in module.migrate.container_definition.environment : e.name => e.value }["APP_DB_USER"] == "equiptrack_app" && jsonencode(module.migrate.container_definition.command) == jsonencode(["migrate"])
    error_message = "the migration creates equiptrack_app, running migrate"
  }
  assert {
    condition     = module.migrate.container_definition.image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/equiptrack-staging/x:latest"
    error_message = "the migration runs the migrate service's image"
  }
  assert {
    condition     = output.migrate.task_definition_family == "equiptrack-staging-migrate" && output.migrate.container_name == "migrate" && output.migrate.service == "inventory"
    error_message = "releases run the migration's own task definition with inventory's image"
  }
  assert {
    condition     = jsonencode(module.service["ui"].container_definition.healthCheck.command) == jsonencode(["CMD", "/equiptrack", "probe", "/healthz"]) && jsonencode(module.service["ui"].container_definition.command) == jsonencode(["serve"])
    error_message = "a service's health check and command are the ones given (the manifest's)"
  }
  assert {
    condition     = !can(module.service["user"].container_definition.healthCheck) && !can(module.service["user"].container_definition.command)
    error_message = "a service given no health check or command gets none: nothing is assumed about its image"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.tasks_from_alb) == 1 && aws_vpc_security_group_ingress_rule.tasks_from_alb["8080"].from_port == 8080 && aws_vpc_security_group_ingress_rule.tasks_from_alb["8080"].cidr_ipv4 == null
    error_message = "tasks accept 8080 from the ALB's group only"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_from_tasks["8080"].to_port == 8080
    error_message = "tasks accept 8080 from each other"
  }
  assert {
    condition     = aws_service_discovery_private_dns_namespace.this.name == "equiptrack-staging.internal"
    error_message = "one private DNS namespace per environment"
  }
}

run "outputs_for_the_release_targets" {
  command = apply

  assert {
    condition     = output.registry_immutable == true
    error_message = "staging tags are immutable"
  }
  assert {
    condition     = output.migrate.task_definition_family == "equiptrack-staging-migrate" && jsonencode(output.migrate.command) == jsonencode(["migrate"]) && output.migrate.container_name == "migrate" && output.migrate.log_group == "/ecs/equiptrack-staging/migrate"
    error_message = "the migration runs its own task definition (the only one with the master secret) with command migrate"
  }
  assert {
    condition     = output.seeder.task_definition_family == "equiptrack-staging-seeder"
    error_message = "seeder task definition"
  }
  assert {
    condition     = output.secrets.db_app_password.name == "equiptrack-staging/db-app-password" && output.secrets.jwt.name == "equiptrack-staging/jwt-signing-key" && output.secrets.admin_password.name == "equiptrack-staging/seed-admin-password"
    error_message = "the secrets `<env>:secrets` sets"
  }
  assert {
    condition     = output.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/equiptrack-staging-workload-boundary"
    error_message = "the environment's workload boundary"
  }
  assert {
    condition     = output.services["gateway"].service_name == "gateway" && output.services["gateway"].log_group == "/ecs/equiptrack-staging/gateway"
    error_message = "service facts"
  }
  assert {
    condition     = output.cluster_name == "equiptrack-staging" && output.region == "us-east-1"
    error_message = "cluster and region"
  }
  assert {
    condition     = length(output.ecr_repository_urls) == 7
    error_message = "seven repositories (six services and the seeder)"
  }
  assert {
    condition     = length(output.alarm_names) > 0
    error_message = "staging has alarms"
  }
  assert {
    condition     = startswith(output.url, "https://")
    error_message = "the URL is HTTPS"
  }
  # The release facts parameter says what the outputs say (the deploy role reads only it).
  assert {
    condition     = aws_ssm_parameter.release_facts.name == "/equiptrack/staging/release/facts" && output.release_facts_parameter == aws_ssm_parameter.release_facts.name
    error_message = "facts parameter name"
  }
  assert {
    condition = alltrue([
      jsondecode(aws_ssm_parameter.release_facts.value).account_id == output.account_id,
      jsondecode(aws_ssm_parameter.release_facts.value).region == output.region,
      jsondecode(aws_ssm_parameter.release_facts.value).cluster_name == output.cluster_name,
      jsondecode(aws_ssm_parameter.release_facts.value).url == output.url,
      jsondecode(aws_ssm_parameter.release_facts.value).registry_immutable == output.registry_immutable,
      jsondecode(aws_ssm_parameter.release_facts.value).task_security_group_id == output.task_security_group_id,
      jsonencode(jsondecode(aws_ssm_parameter.release_facts.value).private_subnet_ids) == jsonencode(output.private_subnet_ids),
      jsondecode(aws_ssm_parameter.release_facts.value).lock_parameter == "/equiptrack/staging/release/lock",
      jsondecode(aws_ssm_parameter.release_facts.value).record_parameter == "/equiptrack/staging/release/record",
    ])
    error_message = "the facts parameter differs from the outputs"
  }
  assert {
    condition = alltrue([for k, s in output.services : alltrue([
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].service_name == s.service_name,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].task_definition_family == s.task_definition_family,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].container_name == s.container_name,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].repository_url == s.repository_url,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].log_group == s.log_group,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].desired_count == s.desired_count,
      jsondecode(aws_ssm_parameter.release_facts.value).services[k].task_definition_arn == module.service[k].task_definition_arn,
    ])]) && length(jsondecode(aws_ssm_parameter.release_facts.value).services) == 6
    error_message = "the facts' services differ from the outputs"
  }
  assert {
    condition     = jsondecode(aws_ssm_parameter.release_facts.value).seeder.task_definition_family == output.seeder.task_definition_family && jsondecode(aws_ssm_parameter.release_facts.value).seeder.repository_url == output.seeder.repository_url
    error_message = "the facts' seeder differs from the outputs"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad account id
    account_id = "12345"
    # unknown environment
    environment = "prod"
    # bad project
    project = "Equip Track"
    # reserved service name
    services = {
      seeder = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
    }
    migrate_service = "seeder"
    # empty migrate command
    migrate_command = []
    # bad image tag
    initial_image_tag = "no spaces"
    # bad mutability
    ecr_image_tag_mutability = "mutable"
    # bad container insights
    container_insights = "on"
    # bad repository
    github_repository = "release-kit"
    # bad oidc provider
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/example.com"
    # bad bucket
    state_bucket_name = "Equiptrack_State"
    # bad state key
    state_key = "/equiptrack/staging/state.json"
    # bad cache mode
    cache_mode = "cluster"
    # alarms without subscriber
    alarm_email = null
  }
  expect_failures = [
    var.account_id,
    var.environment,
    var.project,
    var.services,
    var.migrate_command,
    var.initial_image_tag,
    var.ecr_image_tag_mutability,
    var.container_insights,
    var.github_repository,
    var.oidc_provider_arn,
    var.state_bucket_name,
    var.state_key,
    var.cache_mode,
    var.alarm_email,
  ]
}

run "rejects_two_default_routes_and_bad_alarm_email" {
  command = plan
  variables {
    # two default routes
    services = {
      inventory = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
      ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
    }
    # bad alarm email
    alarm_email = "oncall-at-equiptrack"
  }
  expect_failures = [
    var.services,
    var.alarm_email,
  ]
}

run "rejects_base_above_count" {
  command = plan
  variables {
    services = {
      inventory = { cpu = 256, memory = 512, desired_count = 1, on_demand_base = 2 }
      ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
    }
  }
  expect_failures = [var.services]
}

run "rejects_unknown_migrate_service_and_unknown_jwt_service" {
  command = plan
  variables {
    # unknown migrate service
    migrate_service = "billing"
    # unknown jwt service
    jwt_services = ["billing"]
  }
  expect_failures = [
    var.migrate_service,
    var.jwt_services,
  ]
}

run "rejects_health_check_without_cmd" {
  command = plan
  variables {
    services = {
      gateway = { cpu = 512, memory = 1024, public_path = "/api/*", desired_count = 1, health_check = ["/equiptrack", "probe", "/healthz"] }
      ui      = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
    }
  }
  expect_failures = [var.services]
}

# The two cost levers switched back: Container Insights on (RunningTaskCount alarms per service, no
# event rules) and the cache as ElastiCache Serverless.
run "levers_switched_back" {
  command = plan

  variables {
    container_insights = "enabled"
    cache_mode         = "serverless"
  }

  assert {
    condition     = module.cluster.container_insights == "enabled"
    error_message = "Container Insights on when asked"
  }
  assert {
    condition     = length([for n in module.monitoring.alarm_names : n if endswith(n, "-running-below-desired")]) == 6 && length([for n in module.monitoring.alarm_names : n if endswith(n, "-healthy-below-desired")]) == 0
    error_message = "with Container Insights, one RunningTaskCount alarm per service and no healthy-host alarm"
  }
  assert {
    condition     = length(module.monitoring.event_rule_names) == 0
    error_message = "with Container Insights, no event rules"
  }
  assert {
    condition     = module.redis.mode == "serverless" && module.redis.cluster_id == "equiptrack-staging-cache"
    error_message = "the cache as ElastiCache Serverless when asked"
  }
}

run "dev_shape" {
  command = apply # container definitions: see staging_shape

  variables {
    environment = "dev"
    services = {
      gateway   = { cpu = 512, memory = 1024, public_path = "/api/*", desired_count = 1 }
      inventory = { cpu = 256, memory = 512, desired_count = 1 }
      ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 1 }
    }
    ecr_image_tag_mutability = "MUTABLE"
    enable_alarms            = false
    state_key                = "equiptrack/dev/terraform.tfstate"
  }

  assert {
    condition     = alltrue([for k, s in module.service : s.desired_count == 1 && jsonencode({ for c in s.capacity_provider_strategy : c.capacity_provider => [c.base, c.weight] }) == jsonencode({ FARGATE_SPOT = [0, 1] })])
    error_message = "dev: one Spot task per service"
  }
  assert {
    condition     = module.registry.immutable == false
    error_message = "dev tags are mutable"
  }
  assert {
    condition     = module.cluster.container_insights == "disabled"
    error_message = "no alarms, no Container Insights"
  }
  assert {
    condition     = length(module.monitoring.event_rule_names) == 0
    error_message = "no event rules in dev"
  }
  assert {
    condition     = length(module.monitoring.alarm_names) == 0
    error_message = "no alarms in dev"
  }
  assert {
    condition     = module.service["gateway"].container_definition.logConfiguration.options["awslogs-group"] == "/ecs/equiptrack-dev/gateway"
    error_message = "dev names carry dev"
  }
}

