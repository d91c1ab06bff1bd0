# The environment facts the release targets read with terraform-exec (`output -json`). Each is the
# module output of the same name, described there (modules/environment/outputs.tf); a Go test keeps
# every root to exactly that.

output "region" {
  value = module.environment.region
}

output "environment" {
  value = module.environment.environment
}

output "url" {
  value = module.environment.url
}

output "cluster_name" {
  value = module.environment.cluster_name
}

output "cluster_arn" {
  value = module.environment.cluster_arn
}

output "services" {
  value = module.environment.services
}

output "seeder" {
  value = module.environment.seeder
}

output "migrate" {
  value = module.environment.migrate
}

output "private_subnet_ids" {
  value = module.environment.private_subnet_ids
}

output "task_security_group_id" {
  value = module.environment.task_security_group_id
}

output "service_discovery_namespace" {
  value = module.environment.service_discovery_namespace
}

output "ecr_repository_urls" {
  value = module.environment.ecr_repository_urls
}

output "registry_immutable" {
  value = module.environment.registry_immutable
}

output "deploy_role_arn" {
  value = module.environment.deploy_role_arn
}

output "plan_role_arn" {
  value = module.environment.plan_role_arn
}

output "apply_role_arn" {
  value = module.environment.apply_role_arn
}

output "alarm_names" {
  value = module.environment.alarm_names
}

output "account_id" {
  value = module.environment.account_id
}

output "release_facts_parameter" {
  value = module.environment.release_facts_parameter
}

output "secrets" {
  value = module.environment.secrets
}

output "db_app_user" {
  value = module.environment.db_app_user
}
