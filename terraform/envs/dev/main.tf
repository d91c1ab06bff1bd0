# One environment root. This file is byte-identical in envs/dev and envs/staging (a Go test checks
# it); everything that differs between the environments is in terraform.tfvars and in
# <env>.s3.tfbackend.

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Environment = var.environment
      Project     = "equiptrack"
      ManagedBy   = "terraform"
    }
  }
}

module "environment" {
  source = "../../modules/environment"

  environment        = var.environment
  account_id         = var.account_id
  availability_zones = var.availability_zones
  vpc_cidr           = var.vpc_cidr
  services           = var.services
  migrate_service    = var.migrate_service
  initial_image_tag  = var.initial_image_tag

  ecr_image_tag_mutability = var.ecr_image_tag_mutability
  ecr_force_delete         = var.ecr_force_delete

  db_instance_class        = var.db_instance_class
  db_backup_retention_days = var.db_backup_retention_days
  db_deletion_protection   = var.db_deletion_protection
  db_skip_final_snapshot   = var.db_skip_final_snapshot
  cache_mode               = var.cache_mode
  cache_node_type          = var.cache_node_type

  secret_recovery_window_days = var.secret_recovery_window_days
  log_retention_days          = var.log_retention_days
  enable_alarms               = var.enable_alarms
  container_insights          = var.container_insights
  alarm_email                 = var.alarm_email

  github_repository = var.github_repository
  oidc_provider_arn = var.oidc_provider_arn
  state_bucket_name = var.state_bucket_name
  state_key         = var.state_key

  schedule      = var.schedule
  custom_domain = var.custom_domain
}
