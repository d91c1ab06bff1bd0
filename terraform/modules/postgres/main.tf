# RDS PostgreSQL, single-AZ (cost: see docs/infrastructure.md), reachable only
# from the given client security groups, encrypted, TLS forced.

locals {
  identifier   = "${var.name_prefix}-postgres"
  major        = split(".", var.engine_version)[0]
  param_family = "postgres${local.major}"
}

resource "aws_db_subnet_group" "this" {
  name        = local.identifier
  description = "Private subnets of ${local.identifier}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

# No egress rules: the provider removes AWS's default allow-all egress rule of
# a security group it creates, and the database opens no connections.
resource "aws_security_group" "this" {
  name        = local.identifier
  description = "PostgreSQL ${local.identifier}: 5432 from the service security groups only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = local.identifier })

  lifecycle {
    create_before_destroy = true
  }
}

# count, not for_each: the client group ids are usually created in the same
# apply, and for_each needs known keys at plan time.
resource "aws_vpc_security_group_ingress_rule" "clients" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from a client security group"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.client_security_group_ids[count.index]
  tags                         = var.tags
}

resource "aws_db_parameter_group" "this" {
  name        = "${local.identifier}-${local.param_family}"
  family      = local.param_family
  description = "${local.identifier}: TLS required"
  tags        = var.tags

  # Refuse unencrypted client connections.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Accepted scanner findings (docs/security-scan.md):
#trivy:ignore:AWS-0133 -- Performance Insights off: the demo does not need it and it costs beyond the free tier.
#trivy:ignore:AWS-0077[backup_retention_period=1] -- dev keeps 1 day of backups on purpose (disposable demo data); staging keeps 7, and any other short value is still reported.
resource "aws_db_instance" "this" {
  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage = var.allocated_storage_gb
  storage_type      = "gp3"
  storage_encrypted = true

  db_name  = var.db_name
  username = var.username
  # RDS generates the master password and keeps it, with the user name, in a
  # Secrets Manager secret it rotates; no password ever passes through
  # Terraform or its state.
  manage_master_user_password         = true
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = false

  backup_retention_period    = var.backup_retention_days
  backup_window              = "03:00-04:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.identifier}-final"

  performance_insights_enabled = false

  tags = var.tags
}
