output "service_name" {
  description = "Name of the ECS service (null for a one-off task)."
  value       = var.create_service ? aws_ecs_service.this[0].name : null
}

output "task_definition_family" {
  description = "Family of the task definition (releases register new revisions in it)."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the revision Terraform created (the live revision is whatever the last release set)."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the container in the task definition."
  value       = var.name
}

output "log_group" {
  description = "CloudWatch log group of the container."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "task_role_arn" {
  description = "ARN of the task (application) role."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.execution.arn
}

output "discovery_host" {
  description = "Host name part registered in Cloud Map (<name>), or null."
  value       = length(aws_service_discovery_service.this) > 0 ? var.name : null
}

output "desired_count" {
  description = "Planned task count of the service (null for a one-off task)."
  value       = var.create_service ? aws_ecs_service.this[0].desired_count : null
}

output "capacity_provider_strategy" {
  description = "Planned capacity-provider strategy of the service: list of { capacity_provider, base, weight }."
  value       = var.create_service ? [for s in aws_ecs_service.this[0].capacity_provider_strategy : { capacity_provider = s.capacity_provider, base = s.base, weight = s.weight }] : []
}

output "cpu" {
  description = "Fargate CPU units of the task definition."
  value       = tonumber(aws_ecs_task_definition.this.cpu)
}

output "memory" {
  description = "Memory (MiB) of the task definition."
  value       = tonumber(aws_ecs_task_definition.this.memory)
}

output "container_definition" {
  description = "The container definition Terraform registered (decoded), for tests and inspection."
  value       = jsondecode(aws_ecs_task_definition.this.container_definitions)[0]
}
