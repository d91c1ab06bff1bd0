# Deliberately insecure: the scan must report these (scan_test.go).
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}

variable "untyped" {}

resource "aws_security_group" "ssh_from_anywhere" {
  name        = "ssh-from-anywhere"
  description = "SSH open to the internet"
  vpc_id      = "vpc-0123456789abcdef0"

  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_s3_bucket" "unencrypted" {
  bucket = "insecure-fixture-${var.untyped}"
}

resource "aws_db_instance" "public" {
  identifier          = "insecure-fixture"
  engine              = "postgres"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  username            = "app"
  password            = "not-a-real-password-fixture"
  publicly_accessible = true
  storage_encrypted   = false
}
