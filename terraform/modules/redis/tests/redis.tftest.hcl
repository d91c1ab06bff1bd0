# The offline toolchain serves a replica of hashicorp/aws; the dummy
# credentials and skips also let a real provider plan without AWS.
provider "aws" {
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variables {
  name_prefix               = "equiptrack-dev"
  vpc_id                    = "vpc-0123456789abcdef0"
  subnet_ids                = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  client_security_group_ids = ["sg-0ccccccccccccccc3"]
}

run "defaults_serverless_valkey_with_limits" {
  command = plan

  assert {
    condition     = length(aws_elasticache_serverless_cache.this) == 1 && length(aws_elasticache_replication_group.this) == 0 && length(aws_elasticache_subnet_group.this) == 0
    error_message = "serverless by default: no node, no subnet group"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].name == "equiptrack-dev-cache"
    error_message = "name must carry the environment"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].engine == "valkey" && aws_elasticache_serverless_cache.this[0].major_engine_version == "8"
    error_message = "default engine is valkey 8"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].cache_usage_limits[0].data_storage[0].maximum == 1 && aws_elasticache_serverless_cache.this[0].cache_usage_limits[0].data_storage[0].unit == "GB"
    error_message = "data storage capped at 1 GB"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].cache_usage_limits[0].ecpu_per_second[0].maximum == 5000
    error_message = "ECPU per second capped at 5000"
  }
  assert {
    condition     = toset(aws_elasticache_serverless_cache.this[0].subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "serverless cache in the given private subnets"
  }
  assert {
    condition     = length(aws_elasticache_serverless_cache.this[0].security_group_ids) == 1
    error_message = "serverless cache behind its one security group"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].snapshot_retention_limit == 1
    error_message = "one day of snapshots by default"
  }
  assert {
    condition     = output.cluster_id == "equiptrack-dev-cache"
    error_message = "cluster_id is the serverless cache name"
  }
  assert {
    condition     = output.transit_encryption_enabled == true && output.mode == "serverless"
    error_message = "serverless: TLS"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.clients) == 1 && aws_vpc_security_group_ingress_rule.clients[0].referenced_security_group_id == "sg-0ccccccccccccccc3" && aws_vpc_security_group_ingress_rule.clients[0].from_port == 6379 && aws_vpc_security_group_ingress_rule.clients[0].to_port == 6379
    error_message = "ingress only from the client security group on tcp/6379"
  }
}

run "serverless_redis_custom_limits" {
  command = plan

  variables {
    engine            = "redis"
    serverless_limits = { data_storage_max_gb = 2, ecpu_per_second_max = 10000 }
  }

  assert {
    condition     = aws_elasticache_serverless_cache.this[0].engine == "redis" && aws_elasticache_serverless_cache.this[0].major_engine_version == "7"
    error_message = "redis serverless picks major 7"
  }
  assert {
    condition     = aws_elasticache_serverless_cache.this[0].cache_usage_limits[0].data_storage[0].maximum == 2 && aws_elasticache_serverless_cache.this[0].cache_usage_limits[0].ecpu_per_second[0].maximum == 10000
    error_message = "limits from the variable"
  }
}

run "serverless_refuses_plain_text" {
  command = plan
  variables { transit_encryption_enabled = false }
  expect_failures = [aws_elasticache_serverless_cache.this]
}

run "node_mode_one_encrypted_valkey_node" {
  command = plan

  variables {
    mode = "node"
  }

  assert {
    condition     = length(aws_elasticache_serverless_cache.this) == 0 && output.mode == "node"
    error_message = "node mode has no serverless cache"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].replication_group_id == "equiptrack-dev-cache"
    error_message = "id must carry the environment"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].engine == "valkey" && aws_elasticache_replication_group.this[0].engine_version == "8.1"
    error_message = "default engine is valkey 8.1"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].node_type == "cache.t4g.micro"
    error_message = "default node type is cache.t4g.micro"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].num_cache_clusters == 1
    error_message = "exactly one node"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled == false && aws_elasticache_replication_group.this[0].multi_az_enabled == false
    error_message = "no failover, no multi-AZ with one node"
  }
  assert {
    condition     = tostring(aws_elasticache_replication_group.this[0].at_rest_encryption_enabled) == "true"
    error_message = "encryption at rest must be on"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].transit_encryption_enabled == true
    error_message = "encryption in transit must be on by default"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].port == 6379
    error_message = "port 6379"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].snapshot_retention_limit == 1
    error_message = "one day of snapshots by default"
  }
  assert {
    condition     = aws_elasticache_subnet_group.this[0].name == "equiptrack-dev-cache" && aws_elasticache_subnet_group.this[0].subnet_ids == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "subnet group of the given private subnets"
  }
  assert {
    condition     = aws_security_group.this.vpc_id == "vpc-0123456789abcdef0"
    error_message = "security group in the given VPC"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.clients) == 1 && aws_vpc_security_group_ingress_rule.clients[0].referenced_security_group_id == "sg-0ccccccccccccccc3"
    error_message = "ingress only from the client security group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.clients[0].cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.clients[0].cidr_ipv6 == null
    error_message = "no CIDR ingress"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.clients[0].from_port == 6379 && aws_vpc_security_group_ingress_rule.clients[0].to_port == 6379 && aws_vpc_security_group_ingress_rule.clients[0].ip_protocol == "tcp"
    error_message = "ingress only on tcp/6379"
  }
  assert {
    condition     = output.transit_encryption_enabled == true
    error_message = "clients are told to use TLS"
  }
}

run "redis_node_without_tls" {
  command = plan

  variables {
    mode                       = "node"
    engine                     = "redis"
    transit_encryption_enabled = false
    snapshot_retention_days    = 0
    client_security_group_ids  = ["sg-0ccccccccccccccc3", "sg-0ddddddddddddddd4"]
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].engine == "redis" && aws_elasticache_replication_group.this[0].engine_version == "7.1"
    error_message = "redis picks 7.1"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].transit_encryption_enabled == false
    error_message = "transit encryption switch"
  }
  assert {
    condition     = tostring(aws_elasticache_replication_group.this[0].at_rest_encryption_enabled) == "true"
    error_message = "at-rest encryption stays on"
  }
  assert {
    condition     = aws_elasticache_replication_group.this[0].snapshot_retention_limit == 0
    error_message = "snapshots off"
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.clients : r.referenced_security_group_id] == ["sg-0ccccccccccccccc3", "sg-0ddddddddddddddd4"]
    error_message = "one rule per client group"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "equiptrack-a-very-long-environment-name-x"
    # bad vpc id
    vpc_id = "sg-123"
    # no subnets
    subnet_ids = []
    # no clients
    client_security_group_ids = []
    # memcached
    engine = "memcached"
    # bad engine version
    engine_version = "8"
    # bad node type
    node_type = "db.t4g.micro"
    # bad snapshot retention
    snapshot_retention_days = 36
    # bad mode
    mode = "cluster"
    # small storage limit
    serverless_limits = { data_storage_max_gb = 0 }
  }
  expect_failures = [
    var.name_prefix,
    var.vpc_id,
    var.subnet_ids,
    var.client_security_group_ids,
    var.engine,
    var.engine_version,
    var.node_type,
    var.snapshot_retention_days,
    var.mode,
    var.serverless_limits,
  ]
}

run "rejects_small_ecpu_limit" {
  command = plan
  variables { serverless_limits = { ecpu_per_second_max = 10 } }
  expect_failures = [var.serverless_limits]
}

