# dev: us-west-2, one task per service, all on Fargate Spot, mutable tags (CI moves `latest`).
# This file and dev.s3.tfbackend are the only places where dev differs from staging.

region             = "us-west-2"
environment        = "dev"
account_id         = "123456789012" # the account dev lives in (placeholder, as in the tests, until the real one is committed)
availability_zones = ["us-west-2a", "us-west-2b"]
vpc_cidr           = "10.10.0.0/16"

services = {
  gateway   = { cpu = 512, memory = 1024, public_path = "/api/*", desired_count = 1, on_demand_base = 0 }
  inventory = { cpu = 256, memory = 512, desired_count = 1, on_demand_base = 0 }
  location  = { cpu = 256, memory = 512, desired_count = 1, on_demand_base = 0 }
  user      = { cpu = 256, memory = 512, desired_count = 1, on_demand_base = 0 }
  reporting = { cpu = 256, memory = 512, desired_count = 1, on_demand_base = 0 }
  ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 1, on_demand_base = 0 }
}

ecr_image_tag_mutability = "MUTABLE"

db_backup_retention_days = 1
enable_alarms            = false
log_retention_days       = 7

github_repository = "equiptrack/release-kit"
state_bucket_name = "equiptrack-terraform-state"
state_key         = "equiptrack/dev/terraform.tfstate"
