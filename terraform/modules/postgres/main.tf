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

  deletion_protection = var.deletion_protection
  skip_final_snapshot = var.skip_final_snapshot
  # Unique per database: a fixed name collides on the second destroy (the first one's snapshot
  # still exists: "DBSnapshotAlreadyExists"). The plan's time stamps the name once, when the
  # instance is created (ignore_changes below keeps it), without a provider the kit cannot serve
  # offline (random, time). https://developer.hashicorp.com/terraform/language/functions/plantimestamp
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.identifier}-final-${formatdate("YYYYMMDDhhmmss", plantimestamp())}"

  performance_insights_enabled = false

  tags = var.tags

  lifecycle {
    # The final snapshot's name is fixed when the instance is created (see above); later plans
    # have another time and must not rewrite it.
    ignore_changes = [final_snapshot_identifier]
  }
}

# The master secret's rotation, configured explicitly rather than left to RDS's default (every 7
# days at any time). A rotation changes the password within a minute; a process that read the old
# one at start keeps failing until it restarts. So the long-running services must not use the
# master user: they use the application's own user, whose credential does not rotate under
# running tasks; the master credentials serve only one-off tasks (migration, seed), which read the
# secret when they start. Rotation then runs monthly, in a window after the maintenance window.
# Managed rotation needs no Lambda (rotation_lambda_arn stays unset):
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_managed.html
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/secretsmanager_secret_rotation
resource "aws_secretsmanager_secret_rotation" "master" {
  secret_id = one(aws_db_instance.this.master_user_secret[*].secret_arn)

  rotation_rules {
    schedule_expression = var.master_password_rotation.schedule
    duration            = var.master_password_rotation.duration
  }
}
