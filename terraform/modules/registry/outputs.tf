output "repository_urls" {
  description = "Map of short name => repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name_prefix>/<name>)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Map of short name => repository ARN (for IAM policies)."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

output "repository_names" {
  description = "Map of short name => full repository name."
  value       = { for k, r in aws_ecr_repository.this : k => r.name }
}

output "immutable" {
  description = "True when tags are immutable (a version tag can be pushed once)."
  value       = var.image_tag_mutability == "IMMUTABLE"
}
