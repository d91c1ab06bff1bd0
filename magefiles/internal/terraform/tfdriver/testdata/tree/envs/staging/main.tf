terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }

  backend "s3" {
    bucket       = "equiptrack-test-state"
    key          = "staging/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      Environment = "staging"
    }
  }
}

module "app" {
  source = "../../modules/app"

  name = "equiptrack-staging"
}

output "role_arn" {
  description = "ARN of the task role."
  value       = module.app.role_arn
}
