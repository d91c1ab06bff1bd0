# staging: us-east-1, two tasks per service over two zones, immutable tags, alarms.
# gateway (the public API path) keeps one on-demand task; every other service, ui included, runs
# two Spot tasks in two zones (keeps staging under budget; set on_demand_base = 1 for a demo that
# must not see a Spot interruption — ui back to 1 costs +$5.86/month and stays under budget;
# `mage cost` shows the price).
# This file and staging.s3.tfbackend are the only places where staging differs from dev.

region             = "us-east-1"
environment        = "staging"
account_id         = "123456789012" # the account staging lives in (placeholder, as in the tests, until the real one is committed)
availability_zones = ["us-east-1a", "us-east-1b"]
vpc_cidr           = "10.20.0.0/16"

services = {
  gateway   = { cpu = 512, memory = 1024, public_path = "/api/*", desired_count = 2, on_demand_base = 1 }
  inventory = { cpu = 256, memory = 512, desired_count = 2, on_demand_base = 0 }
  location  = { cpu = 256, memory = 512, desired_count = 2, on_demand_base = 0 }
  user      = { cpu = 256, memory = 512, desired_count = 2, on_demand_base = 0 }
  reporting = { cpu = 256, memory = 512, desired_count = 2, on_demand_base = 0 }
  ui        = { cpu = 256, memory = 512, public_path = "/", desired_count = 2, on_demand_base = 0 }
}

ecr_image_tag_mutability = "IMMUTABLE"

db_backup_retention_days = 7
enable_alarms            = true
log_retention_days       = 30

github_repository = "equiptrack/release-kit"
state_bucket_name = "equiptrack-terraform-state"
state_key         = "equiptrack/staging/terraform.tfstate"

# Optional: scale every service to zero outside demo hours (about -$34/month for staging, `mage cost`).
schedule = {
  enabled  = false
  timezone = "America/New_York"
}
