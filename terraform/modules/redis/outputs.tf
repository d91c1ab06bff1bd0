output "address" {
  description = "Host name of the primary endpoint."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "port" {
  description = "Port of the cache."
  value       = aws_elasticache_replication_group.this.port
}

output "url" {
  description = "Connection URL without credentials: rediss:// when transit encryption is on, redis:// otherwise."
  value       = "${var.transit_encryption_enabled ? "rediss" : "redis"}://${aws_elasticache_replication_group.this.primary_endpoint_address}:${local.port}"
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
  description = "Replication group id (its one node is <cluster_id>-001, the CloudWatch CacheClusterId)."
  value       = aws_elasticache_replication_group.this.id
}

output "engine" {
  description = "Engine in use."
  value       = aws_elasticache_replication_group.this.engine
}
