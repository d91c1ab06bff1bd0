# The environment's cache, reachable only from the client security groups. Two modes:
#
# - "serverless" (default): ElastiCache Serverless, billed for the data stored (Valkey: 100 MB
#   minimum, ~$6.13/month) and ECPUs used, instead of a node billed by the hour (~$9.34/month for a
#   cache.t4g.micro Valkey node). Usage limits cap the bill: a runaway client hits the data and ECPU
#   ceilings (writes are refused, requests throttled) rather than growing the cache.
#   Serverless endpoints are TLS-only, so transit encryption must stay on.
# - "node": one node (no replica, no failover: the cache holds derived data the services rebuild).
#
# In node mode, aws_elasticache_replication_group with num_cache_clusters = 1 rather than
# aws_elasticache_cluster: the replication group takes engine "valkey" and
# offers encryption in transit and at rest; a standalone cluster does not
# support valkey in every provider 6.x release.

locals {
  identifier     = "${var.name_prefix}-cache"
  engine_version = coalesce(var.engine_version, var.engine == "valkey" ? "8.1" : "7.1")
  port           = 6379
  serverless     = var.mode == "serverless"
  # Serverless takes the major version only ("8" for valkey 8.x, "7" for redis 7.x).
  major_version = split(".", local.engine_version)[0]
}

# Node mode only: a serverless cache takes its subnets directly.
resource "aws_elasticache_subnet_group" "this" {
  count = local.serverless ? 0 : 1

  name        = local.identifier
  description = "Private subnets of ${local.identifier}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

# No egress rules: the provider removes AWS's default allow-all egress rule;
# the cache opens no connections.
resource "aws_security_group" "this" {
  name        = local.identifier
  description = "Cache ${local.identifier}: 6379 from the service security groups only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = local.identifier })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Cache from a client security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.client_security_group_ids[count.index]
  tags                         = var.tags
}

resource "aws_elasticache_serverless_cache" "this" {
  count = local.serverless ? 1 : 0

  name                 = local.identifier
  description          = "EquipTrack cache of ${var.name_prefix}"
  engine               = var.engine
  major_engine_version = local.major_version

  subnet_ids         = var.subnet_ids
  security_group_ids = [aws_security_group.this.id]

  cache_usage_limits {
    data_storage {
      maximum = var.serverless_limits.data_storage_max_gb
      unit    = "GB"
    }
    ecpu_per_second {
      maximum = var.serverless_limits.ecpu_per_second_max
    }
  }

  snapshot_retention_limit = var.snapshot_retention_days
  daily_snapshot_time      = "02:00"

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.transit_encryption_enabled
      error_message = "ElastiCache Serverless endpoints are TLS-only: transit_encryption_enabled must be true in serverless mode."
    }
  }
}

resource "aws_elasticache_replication_group" "this" {
  count = local.serverless ? 0 : 1

  replication_group_id = local.identifier
  description          = "EquipTrack cache of ${var.name_prefix}"

  engine             = var.engine
  engine_version     = local.engine_version
  node_type          = var.node_type
  num_cache_clusters = 1
  port               = local.port

  automatic_failover_enabled = false
  multi_az_enabled           = false

  subnet_group_name  = aws_elasticache_subnet_group.this[0].name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = var.transit_encryption_enabled

  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = "02:00-03:00"
  maintenance_window         = "sun:05:30-sun:06:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  tags = var.tags
}
