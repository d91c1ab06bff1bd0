# One whole environment from a map of services: network, HTTPS entry, internal load balancer, ECS
# cluster and services (with service discovery), registry, database, cache, secrets, monitoring and
# the GitHub OIDC roles of this environment. The roots in terraform/envs/<env>/ call this module
# once each, with only what makes that environment itself.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name_prefix = "${var.project}-${var.environment}"
  namespace   = "${local.name_prefix}.internal"

  public_services = { for k, s in var.services : k => s if s.public_path != null }
  service_ports   = toset([for s in values(var.services) : tostring(s.port)])

  # What every service's container gets besides APP_ENV, APP_VERSION, SERVICE and PORT
  # (added by the ecs-service module).
  common_environment = {
    DB_HOST        = module.postgres.address
    DB_PORT        = tostring(module.postgres.port)
    DB_NAME        = module.postgres.db_name
    DB_SSLMODE     = "verify-full" # the server's certificate and host name, checked against
    DB_SSLROOTCERT = "rds"         # the RDS CA bundle built into the images (seeddata/dbconfig)
    REDIS_URL      = module.redis.url
    REDIS_HOST     = module.redis.address
    REDIS_PORT     = tostring(module.redis.port)
    SERVICE_DOMAIN = local.namespace # the gateway reaches http://<service>.<namespace>:8080
  }

  # Least privilege for credentials: services and the seeder connect as the application's own
  # database user (DB_USER plain, DB_PASSWORD by reference); only the migration gets the
  # RDS-managed master secret (JSON {"username","password"}) and creates that user. Each task gets
  # only the secrets it uses: the JWT key goes to jwt_services, the admin password to the seeder.
  app_db_environment = merge(local.common_environment, { DB_USER = module.secrets.db_app_user })
  app_db_secrets     = { DB_PASSWORD = module.secrets.db_app_password_secret_arn }
  service_secrets = {
    for k in keys(var.services) : k => merge(local.app_db_secrets, contains(var.jwt_services, k) ? { JWT_SECRET = module.secrets.jwt_secret_arn } : {})
  }
  seeder_secrets      = merge(local.app_db_secrets, { SEED_ADMIN_PASSWORD = module.secrets.admin_password_secret_arn })
  migrate_environment = merge(local.common_environment, { APP_DB_USER = module.secrets.db_app_user })
  migrate_secrets = {
    DB_USER         = "${module.postgres.master_secret_arn}:username::"
    DB_PASSWORD     = "${module.postgres.master_secret_arn}:password::"
    APP_DB_PASSWORD = module.secrets.db_app_password_secret_arn
  }

  task_modules = merge(module.service, { seeder = module.seeder, migrate = module.migrate })

  # The OIDC provider is account-wide (terraform/bootstrap creates it once); its ARN follows from
  # the account, so the environments need no configuration for it.
  # terraform/bootstrap's name for the state bucket (its default), so no file repeats it.
  state_bucket_name = coalesce(var.state_bucket_name, "${var.project}-tfstate-${data.aws_caller_identity.current.account_id}")

  oidc_provider_arn = coalesce(var.oidc_provider_arn, "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com")
}

# --- Network and entry ---------------------------------------------------------------------------

module "network" {
  source = "../network"

  name_prefix           = local.name_prefix
  cidr_block            = var.vpc_cidr
  availability_zone_ids = var.availability_zone_ids
  enable_alarms         = var.enable_alarms
  alarm_actions         = compact([module.monitoring.sns_topic_arn]) # staging: the NAT alarms notify the alarm topic
  tags                  = var.tags
}

module "https_entry" {
  source = "../https-entry"

  name_prefix   = local.name_prefix
  alb_arn       = module.load_balancer.arn
  alb_dns_name  = module.load_balancer.dns_name
  custom_domain = var.custom_domain
  # API paths refuse plain HTTP (no redirect that sends the request in clear first); "/" redirects.
  https_only_path_patterns = sort([for s in values(local.public_services) : s.public_path if s.public_path != "/"])
  tags                     = var.tags
}

module "load_balancer" {
  source = "../load-balancer"

  name_prefix             = local.name_prefix
  vpc_id                  = module.network.vpc_id
  vpc_cidr_block          = module.network.vpc_cidr_block
  subnet_ids              = module.network.private_subnet_ids
  ingress_prefix_list_ids = [module.https_entry.cloudfront_prefix_list_id]
  targets = {
    for k, s in local.public_services : k => {
      port         = s.port
      health_path  = s.health_path
      path_pattern = s.public_path
    }
  }
  tags = var.tags
}

# --- Tasks' security group -----------------------------------------------------------------------
# Services accept traffic from the load balancer and from each other, on their ports only. The
# database and the cache accept this group only (their modules take it as client group).

resource "aws_security_group" "tasks" {
  name        = "${local.name_prefix}-tasks"
  description = "ECS tasks of ${local.name_prefix}: from the ALB and from each other"
  vpc_id      = module.network.vpc_id

  tags = merge(var.tags, { Name = "${local.name_prefix}-tasks" })
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  for_each = local.service_ports

  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = module.load_balancer.security_group_id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_tasks" {
  for_each = local.service_ports

  security_group_id            = aws_security_group.tasks.id
  description                  = "From the other services (the gateway calls the backends)"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.tasks.id

  tags = var.tags
}

# Why: tasks call AWS APIs (ECR, Secrets Manager, CloudWatch Logs) over HTTPS through the NAT instance; their endpoints have no fixed addresses.
#trivy:ignore:AVD-AWS-0104
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (through the NAT instance and the S3 endpoint)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "tasks_vpc" {
  security_group_id = aws_security_group.tasks.id
  description       = "TCP inside the VPC: database, cache, other services"
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  cidr_ipv4         = module.network.vpc_cidr_block

  tags = var.tags
}

# --- Service discovery ---------------------------------------------------------------------------

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = local.namespace
  description = "Service discovery of ${local.name_prefix}: <service>.${local.namespace}"
  vpc         = module.network.vpc_id

  tags = var.tags
}

# --- Cluster, registry ---------------------------------------------------------------------------

module "cluster" {
  source = "../ecs-cluster"

  name_prefix = local.name_prefix
  # Off by default in both environments (~$42/month of metrics in staging): the alarms use free
  # signals (ALB HealthyHostCount, ECS events) unless Insights is turned on.
  container_insights = var.container_insights
  tags               = var.tags
}

module "registry" {
  source = "../registry"

  name_prefix          = local.name_prefix
  repositories         = setunion(keys(var.services), ["seeder"])
  image_tag_mutability = var.ecr_image_tag_mutability
  force_delete         = var.ecr_force_delete
  tags                 = var.tags
}

# --- Data and secrets (modules owned by the data/security side) ---------------------------------

module "secrets" {
  source = "../secrets"

  name_prefix          = local.name_prefix
  recovery_window_days = var.secret_recovery_window_days
  tags                 = var.tags
}

module "postgres" {
  source = "../postgres"

  name_prefix               = local.name_prefix
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [aws_security_group.tasks.id]
  instance_class            = var.db_instance_class
  allocated_storage_gb      = var.db_allocated_storage_gb
  backup_retention_days     = var.db_backup_retention_days
  deletion_protection       = var.db_deletion_protection
  skip_final_snapshot       = var.db_skip_final_snapshot
  tags                      = var.tags
}

module "redis" {
  source = "../redis"

  name_prefix               = local.name_prefix
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [aws_security_group.tasks.id]
  mode                      = var.cache_mode
  engine                    = var.cache_engine
  node_type                 = var.cache_node_type
  tags                      = var.tags
}

# --- Services ------------------------------------------------------------------------------------

module "service" {
  source   = "../ecs-service"
  for_each = var.services

  name_prefix           = local.name_prefix
  name                  = each.key
  environment           = var.environment
  image                 = "${module.registry.repository_urls[each.key]}:${var.initial_image_tag}"
  cpu                   = each.value.cpu
  memory                = each.value.memory
  port                  = each.value.port
  command               = each.value.command
  health_check_command  = each.value.health_check
  environment_variables = local.app_db_environment
  secrets               = local.service_secrets[each.key]
  log_retention_days    = var.log_retention_days
  # Every role of the environment carries the workload boundary (the CI apply role may only create
  # or change roles that do).
  permissions_boundary_arn = module.github_oidc.permissions_boundary_arn

  cluster_arn        = module.cluster.arn
  cluster_name       = module.cluster.name
  desired_count      = each.value.desired_count
  on_demand_base     = each.value.on_demand_base
  subnet_ids         = module.network.private_subnet_ids
  security_group_ids = [aws_security_group.tasks.id]
  target_group       = each.value.public_path == null ? null : { arn = module.load_balancer.target_group_arns[each.key] }
  service_discovery  = { namespace_id = aws_service_discovery_private_dns_namespace.this.id }
  schedule           = var.schedule

  tags = var.tags
}

# The seeder: a task definition only (run on demand by `mage <env>:seed`), with the admin password.
module "seeder" {
  source = "../ecs-service"

  name_prefix           = local.name_prefix
  name                  = "seeder"
  environment           = var.environment
  create_service        = false
  image                 = "${module.registry.repository_urls["seeder"]}:${var.initial_image_tag}"
  cpu                   = var.seeder.cpu
  memory                = var.seeder.memory
  command               = var.seeder.command
  health_check_command  = null
  environment_variables = local.app_db_environment
  secrets               = local.seeder_secrets
  log_retention_days    = var.log_retention_days

  permissions_boundary_arn = module.github_oidc.permissions_boundary_arn

  tags = var.tags
}

# The migration: a task definition of its own, because it is the only task given the master
# credentials (ECS overrides cannot change a task definition's secrets). It runs migrate_service's
# image with migrate_command and creates or updates the application's database user
# (APP_DB_USER / APP_DB_PASSWORD). Releases register its revisions like the services' (output
# `migrate`).
module "migrate" {
  source = "../ecs-service"

  name_prefix           = local.name_prefix
  name                  = "migrate"
  environment           = var.environment
  create_service        = false
  image                 = "${module.registry.repository_urls[var.migrate_service]}:${var.initial_image_tag}"
  cpu                   = 256
  memory                = 512
  command               = var.migrate_command
  health_check_command  = null
  environment_variables = local.migrate_environment
  secrets               = local.migrate_secrets
  log_retention_days    = var.log_retention_days

  permissions_boundary_arn = module.github_oidc.permissions_boundary_arn

  tags = var.tags
}

# --- Monitoring and CI roles ---------------------------------------------------------------------

module "monitoring" {
  source = "../monitoring"

  name_prefix               = local.name_prefix
  enable_alarms             = var.enable_alarms
  alb_arn_suffix            = module.load_balancer.arn_suffix
  target_group_arn_suffixes = module.load_balancer.target_group_arn_suffixes
  cluster_name              = module.cluster.name
  cluster_arn               = module.cluster.arn
  container_insights        = var.container_insights != "disabled"
  service_names             = sort(keys(var.services))
  desired_counts            = { for k, s in var.services : k => s.desired_count }
  db_instance_id            = module.postgres.instance_id
  log_retention_days        = var.log_retention_days
  alarm_email               = var.alarm_email
  tags                      = var.tags
}

module "github_oidc" {
  source = "../github-oidc"

  name_prefix         = local.name_prefix
  environment         = var.environment
  github_repository   = var.github_repository
  oidc_provider_arn   = local.oidc_provider_arn
  ecr_repository_arns = values(module.registry.repository_arns)
  cluster_arn         = module.cluster.arn
  task_role_arns      = [for k in sort(keys(local.task_modules)) : local.task_modules[k].task_role_arn]
  execution_role_arns = [for k in sort(keys(local.task_modules)) : local.task_modules[k].execution_role_arn]
  log_group_arns      = [for k in sort(keys(local.task_modules)) : local.task_modules[k].log_group_arn]
  state_bucket_arn    = "arn:${data.aws_partition.current.partition}:s3:::${local.state_bucket_name}"
  state_key           = var.state_key
  tags                = var.tags
}
