output "name" {
  description = "Name of the cluster."
  value       = aws_ecs_cluster.this.name
}

output "arn" {
  description = "ARN of the cluster."
  value       = aws_ecs_cluster.this.arn
}

output "capacity_providers" {
  description = "Capacity providers the cluster offers."
  value       = aws_ecs_cluster_capacity_providers.this.capacity_providers
}
