# The dev root: us-west-2, one task per service, all on Fargate Spot, mutable image tags (CI moves
# `latest`), no alarms. A root holds only the provider, the backend (versions.tf), one call of
# modules/environment with what makes this environment itself, and the outputs the release targets
# read; everything else is the module's, written once (a Go test in
# magefiles/internal/terraform/envtest keeps the roots to that).

provider "aws" {
  region = "us-west-2"
  # The provider refuses any other account (the release targets check it too). A placeholder, as in
  # the tests, until the real account is committed: the same number as account_id below.
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      Environment = "dev"
      Project     = "equiptrack"
      ManagedBy   = "terraform"
    }
  }
}

module "environment" {
  source = "../../modules/environment"

  environment = "dev"
  account_id  = "123456789012"
  vpc_cidr    = "10.10.0.0/16"

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

      desired_count = 1
    }
    inventory = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 1
    }
    location = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 1
    }
    user = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 1
    }
    reporting = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 1
    }
    ui = {
      cpu          = 256
      memory       = 512
      port         = 8080
      health_path  = "/readyz"
      public_path  = "/"
      command      = ["serve"]
      health_check = ["CMD", "/equiptrack", "probe", "/healthz"]

      desired_count = 1
    }
  }
  migrate_service = "inventory"
  migrate_command = ["migrate"]

  ecr_image_tag_mutability = "MUTABLE"
  db_backup_retention_days = 1
  log_retention_days       = 7

  github_repository = "equiptrack/release-kit"
  state_key         = "equiptrack/dev/terraform.tfstate"
}
