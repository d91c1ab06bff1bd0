terraform {
  backend "s3" {
    key    = "${var.env}/terraform.tfstate"
    bucket = "state"
    region = "us-east-1"
  }

  # OpenTofu state encryption.
  encryption {
  }
}

variable "env" {
  description = "Environment."
  type        = string
  deprecated  = "use something else"
}

provider "aws" {
  for_each = toset(["us-east-1", "us-west-2"])
  alias    = "by_region"
  region   = each.key
}

module "m" {
  source = "./modules/${var.env}"
}

resource "aws_s3_bucket" "b" {
  bucket = "b"
  lifecycle {
    enabled = var.env == "dev"
  }
}
