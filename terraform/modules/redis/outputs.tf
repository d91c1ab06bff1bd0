locals {
  # Serverless: its one endpoint (the reader endpoint on 6380 is not used); node: the primary.
  address    = local.serverless ? aws_elasticache_serverless_cache.this[0].endpoint[0].address : aws_elasticache_replication_group.this[0].primary_endpoint_address
  out_port   = local.serverless ? aws_elasticache_serverless_cache.this[0].endpoint[0].port : aws_elasticache_replication_group.this[0].port
  cluster_id = local.serverless ? aws_elasticache_serverless_cache.this[0].name : aws_elasticache_replication_group.this[0].id
}

output "address" {
  description = "Host name of the cache endpoint (serverless endpoint or the node's primary endpoint)."
  value       = local.address
}

output "port" {
  description = "Port of the cache."
  value       = local.out_port
}

output "url" {
  description = "Connection URL without credentials: rediss:// when transit encryption is on (always in serverless mode), redis:// otherwise."
  value       = "${var.transit_encryption_enabled ? "rediss" : "redis"}://${local.address}:${local.port}"
}

output "transit_encryption_enabled" {
  description = "Whether clients must use TLS."
  value       = var.transit_encryption_enabled
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "cluster_id" {
  description = "Serverless cache name, or the replication group id (its one node is <cluster_id>-001, the CloudWatch CacheClusterId)."
  value       = local.cluster_id
}

output "engine" {
  description = "Engine in use."
  value       = var.engine
}

output "mode" {
  description = "\"serverless\" or \"node\"."
  value       = var.mode
}
