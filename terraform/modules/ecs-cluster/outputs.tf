# Services that name a capacity-provider strategy fail to create while the cluster has no capacity
# providers yet: consumers of the cluster wait for the association.
output "name" {
  description = "Name of the cluster (available once its capacity providers are associated)."
  value       = aws_ecs_cluster.this.name
  depends_on  = [aws_ecs_cluster_capacity_providers.this]
}

output "arn" {
  description = "ARN of the cluster (available once its capacity providers are associated)."
  value       = aws_ecs_cluster.this.arn
  depends_on  = [aws_ecs_cluster_capacity_providers.this]
}

output "capacity_providers" {
  description = "Capacity providers the cluster offers."
  value       = aws_ecs_cluster_capacity_providers.this.capacity_providers
}

output "container_insights" {
  description = "Container Insights setting of the cluster."
  value       = one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"])
}
