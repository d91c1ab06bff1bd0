# The environment facts the release targets read with terraform-exec (`output -json`); see
# modules/environment/outputs.tf for their descriptions.

output "region" {
  description = "AWS region of the environment."
  value       = module.environment.region
}

output "environment" {
  description = "Environment name."
  value       = module.environment.environment
}

output "url" {
  description = "Public HTTPS URL (CloudFront)."
  value       = module.environment.url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.environment.cluster_name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = module.environment.cluster_arn
}

output "services" {
  description = "Per service: service_name, task_definition_family, container_name, repository_url, log_group, desired_count, public_path."
  value       = module.environment.services
}

output "seeder" {
  description = "The seeder's one-off task: task_definition_family, container_name, repository_url, log_group."
  value       = module.environment.seeder
}

output "migrate" {
  description = "The migration: service, task_definition_family, container_name, command (override), log_group."
  value       = module.environment.migrate
}

output "private_subnet_ids" {
  description = "Private subnets for one-off tasks."
  value       = module.environment.private_subnet_ids
}

output "task_security_group_id" {
  description = "Security group for one-off tasks."
  value       = module.environment.task_security_group_id
}

output "service_discovery_namespace" {
  description = "Private DNS namespace of the services."
  value       = module.environment.service_discovery_namespace
}

output "ecr_repository_urls" {
  description = "Repository URLs by short name (services and seeder)."
  value       = module.environment.ecr_repository_urls
}

output "registry_immutable" {
  description = "True when image tags are immutable."
  value       = module.environment.registry_immutable
}

output "deploy_role_arn" {
  description = "Role of the GitHub deploy jobs of this environment."
  value       = module.environment.deploy_role_arn
}

output "plan_role_arn" {
  description = "Read-only role for plans on pull requests."
  value       = module.environment.plan_role_arn
}

output "apply_role_arn" {
  description = "Role for infrastructure applies."
  value       = module.environment.apply_role_arn
}

output "alarm_names" {
  description = "CloudWatch alarms (empty in dev)."
  value       = module.environment.alarm_names
}

output "account_id" {
  description = "AWS account of the environment."
  value       = module.environment.account_id
}

output "release_facts_parameter" {
  description = "SSM parameter holding the release facts the release targets read."
  value       = module.environment.release_facts_parameter
}
