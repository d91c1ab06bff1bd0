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
    key          = "dev/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-west-2"

  default_tags {
    tags = {
      Environment = "dev"
    }
  }
}

module "app" {
  source = "../../modules/app"

  name = "equiptrack-dev"
}

output "role_arn" {
  description = "ARN of the task role."
  value       = module.app.role_arn
}
