terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

resource "aws_ecs_service" "api" {
  name = "api"

  deployment_circuit_breaker = {
    enable   = true
    rollback = true
  }
}
