# The staging root: us-east-1, two tasks per service over two zones, immutable image tags, alarms.
# Every service, gateway included, runs two Fargate Spot tasks in two zones (the budget; a Spot
# reclaim takes one task with two minutes' notice while the other serves). For a demo that must not
# see one, set on_demand_base = 1 on the gateway (+$11.71/month, `mage cost` shows the price).
# A root holds only the provider, the backend (versions.tf), one call of modules/environment with
# what makes this environment itself, and the outputs the release targets read; everything else is
# the module's, written once (a Go test in magefiles/internal/terraform/envtest keeps the roots to
# that).

provider "aws" {
  region = "us-east-1"
  # The provider refuses any other account (the release targets check it too). A placeholder, as in
  # the tests, until the real account is committed: the same number as account_id below.
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      Environment = "staging"
      Project     = "equiptrack"
      ManagedBy   = "terraform"
    }
  }
}

module "environment" {
  source = "../../modules/environment"

  environment = "staging"
  account_id  = "123456789012"
  vpc_cidr    = "10.20.0.0/16"

  # Each service as the services manifest (magefiles/internal/exampleapp/manifest.json) describes it
  # — size, port, readiness path, route, command, container health check — plus how many tasks run
  # here; a Go test holds these to the manifest.
  services = {
    gateway = {
      cpu          = 512
      memory       = 1024
      port         = 8080
      health_path  = "/readyz"
      public_path  = "/api/*"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
    inventory = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
    location = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
    user = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
    reporting = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
    ui = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      public_path  = "/"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 2
    }
  }
  migrate_service = "inventory"
  migrate_command = ["migrate"]

  ecr_image_tag_mutability = "IMMUTABLE"
  db_backup_retention_days = 7
  enable_alarms            = true
  alarm_email              = "equiptrack-oncall@example.com" # required with alarms: put the on-call address here before the first apply
  log_retention_days       = 30

  github_repository = "equiptrack/release-kit"
  state_key         = "equiptrack/staging/terraform.tfstate"

  # Optional: scale every service to zero outside demo hours (about -$34/month, `mage cost`).
  schedule = {
    enabled  = false
    timezone = "America/New_York"
  }
}
