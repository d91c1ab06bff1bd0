# The facts the release targets need (magefiles/internal/release/awsenv.Facts), published as one
# SSM parameter so the deploy role reads them without reading the Terraform state (which holds
# secrets). Each service's task_definition_arn is the revision Terraform last registered: every
# release clones it with only the image and APP_VERSION changed, so Terraform's container changes
# reach the next release.

locals {
  release_parameter_prefix = "/equiptrack/${var.environment}/release"
  release_facts = {
    environment  = var.environment
    account_id   = var.account_id
    region       = data.aws_region.current.region
    cluster_name = module.cluster.name
    url          = module.https_entry.url
    services = {
      for k, s in module.service : k => {
        service_name               = s.service_name
        task_definition_family     = s.task_definition_family
        task_definition_arn        = s.task_definition_arn
        container_name             = s.container_name
        repository_url             = module.registry.repository_urls[k]
        log_group                  = s.log_group
        desired_count              = var.services[k].desired_count
        capacity_provider_strategy = s.capacity_provider_strategy
      }
    }
    seeder = {
      task_definition_family     = module.seeder.task_definition_family
      task_definition_arn        = module.seeder.task_definition_arn
      container_name             = module.seeder.container_name
      repository_url             = module.registry.repository_urls["seeder"]
      log_group                  = module.seeder.log_group
      desired_count              = 0
      capacity_provider_strategy = []
    }
    # The migration runs its own task definition (the only one with the master credentials) with
    # the image of migrate_service at the release's version and migrate_command.
    migrate = {
      service                    = var.migrate_service
      command                    = var.migrate_command
      task_definition_family     = module.migrate.task_definition_family
      task_definition_arn        = module.migrate.task_definition_arn
      container_name             = module.migrate.container_name
      repository_url             = module.registry.repository_urls[var.migrate_service]
      log_group                  = module.migrate.log_group
      desired_count              = 0
      capacity_provider_strategy = []
    }
    private_subnet_ids     = module.network.private_subnet_ids
    task_security_group_id = aws_security_group.tasks.id
    registry_immutable     = module.registry.immutable
    lock_parameter         = "${local.release_parameter_prefix}/lock"
    record_parameter       = "${local.release_parameter_prefix}/record"
  }
}

resource "aws_ssm_parameter" "release_facts" {
  name        = "${local.release_parameter_prefix}/facts"
  description = "What the release targets need about ${var.environment} (written by Terraform; read by the deploy role)."
  type        = "String"
  # Six services' ARNs and URLs approach the 4 KB of a standard parameter: SSM picks the tier.
  tier  = "Intelligent-Tiering"
  value = jsonencode(local.release_facts)
  tags  = var.tags

  lifecycle {
    precondition {
      condition     = data.aws_caller_identity.current.account_id == var.account_id
      error_message = "These credentials are for another AWS account than account_id."
    }
  }
}
