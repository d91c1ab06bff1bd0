terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned to the release line whose schema the kit's offline checks test (the replica serves
      # 6.66.0): behaviour differs between 6.x releases (capacity_provider_strategy changes on
      # aws_ecs_service replaced the service before, fail the plan without force_new_deployment
      # now). No .terraform.lock.hcl is committed: its hashes can only be recorded online
      # (docs/terraform-testing.md, "Lock files and the mirror").
      version = "~> 6.66.0"
    }
  }

  # Partial configuration: key and region from dev.s3.tfbackend, the bucket from
  # terraform/bootstrap's output at init (see that file). use_lockfile: S3-native locking.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
