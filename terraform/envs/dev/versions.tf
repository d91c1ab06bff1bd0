terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Partial configuration: bucket, key and region come from <env>.s3.tfbackend
  # (`init -backend-config=<env>.s3.tfbackend`), so both roots share this file byte for byte and an
  # existing state bucket can be used. use_lockfile: S3-native locking (no DynamoDB table).
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
