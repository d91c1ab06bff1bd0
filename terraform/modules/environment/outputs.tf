# The environment facts the release targets read with terraform-exec (`output -json`).

output "region" {
  description = "AWS region of the environment."
  value       = data.aws_region.current.region
}

output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "name_prefix" {
  description = "Prefix of every name in the environment (\"<project>-<environment>\")."
  value       = local.name_prefix
}

output "url" {
  description = "Public HTTPS URL (CloudFront)."
  value       = module.https_entry.url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cluster.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = module.cluster.arn
}

output "services" {
  description = "Per service: service_name, task_definition_family, container_name, repository_url, log_group, desired_count, public_path."
  value = {
    for k, s in module.service : k => {
      service_name           = s.service_name
      task_definition_family = s.task_definition_family
      container_name         = s.container_name
      repository_url         = module.registry.repository_urls[k]
      log_group              = s.log_group
      desired_count          = var.services[k].desired_count
      public_path            = var.services[k].public_path
    }
  }
}

output "seeder" {
  description = "The seeder's one-off task: task_definition_family, container_name, repository_url, log_group."
  value = {
    task_definition_family = module.seeder.task_definition_family
    container_name         = module.seeder.container_name
    repository_url         = module.registry.repository_urls["seeder"]
    log_group              = module.seeder.log_group
  }
}

output "migrate" {
  description = "How to run the migration: RunTask of its own task definition (family equiptrack-<env>-migrate: the only one with the master credentials) with the image of `service` at the release's version, `command` as the container's command."
  value = {
    service                = var.migrate_service
    task_definition_family = module.migrate.task_definition_family
    container_name         = module.migrate.container_name
    command                = var.migrate_command
    log_group              = module.migrate.log_group
  }
}

output "private_subnet_ids" {
  description = "Private subnets (one-off tasks run here, without public IP)."
  value       = module.network.private_subnet_ids
}

output "task_security_group_id" {
  description = "Security group of the tasks (one-off tasks use it too)."
  value       = aws_security_group.tasks.id
}

output "service_discovery_namespace" {
  description = "Private DNS namespace: services are reachable at <service>.<namespace>:<port>."
  value       = aws_service_discovery_private_dns_namespace.this.name
}

output "ecr_repository_urls" {
  description = "Map of repository short name (services and \"seeder\") => repository URL."
  value       = module.registry.repository_urls
}

output "registry_immutable" {
  description = "True when image tags are immutable (staging)."
  value       = module.registry.immutable
}

output "deploy_role_arn" {
  description = "Role GitHub deploy jobs of this environment assume."
  value       = module.github_oidc.deploy_role_arn
}

output "plan_role_arn" {
  description = "Read-only role for plans on pull requests."
  value       = module.github_oidc.plan_role_arn
}

output "apply_role_arn" {
  description = "Role for infrastructure applies of this environment."
  value       = module.github_oidc.apply_role_arn
}

output "alarm_names" {
  description = "CloudWatch alarms that notify the alarm topic (empty when alarms are off; the NAT instance's recover/reboot alarms act in every environment and notify only here)."
  value       = concat(module.monitoring.alarm_names, var.enable_alarms ? module.network.nat_alarm_names : [])
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms (null when alarms are off)."
  value       = module.monitoring.sns_topic_arn
}

output "database_address" {
  description = "Host name of the PostgreSQL instance."
  value       = module.postgres.address
}

output "database_secret_arn" {
  description = "Secrets Manager ARN of the database credentials (RDS-managed)."
  value       = module.postgres.master_secret_arn
}

output "account_id" {
  description = "AWS account of the environment."
  value       = var.account_id
}

output "release_facts_parameter" {
  description = "SSM parameter holding the release facts (JSON) the release targets read."
  value       = aws_ssm_parameter.release_facts.name
}

output "secrets" {
  description = "The secrets `mage <env>:secrets` sets (Terraform writes no value), by purpose: name and generation policy (GetRandomPassword parameters)."
  value       = module.secrets.values
}

output "db_app_user" {
  description = "The application's own database user (created by the migration)."
  value       = module.secrets.db_app_user
}

output "permissions_boundary_arn" {
  description = "The workload permissions boundary every role of the environment carries."
  value       = module.github_oidc.permissions_boundary_arn
}
