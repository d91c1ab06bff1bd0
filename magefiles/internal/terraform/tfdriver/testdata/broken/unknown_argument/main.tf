terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name           = "/ecs/app"
  retention_days = 7
}
