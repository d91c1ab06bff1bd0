output "deploy_role_arn" {
  description = "Role for release jobs (environment: <env>)."
  value       = aws_iam_role.this["deploy"].arn
}

output "apply_role_arn" {
  description = "Role for terraform apply jobs (environment: <env>-infra unless apply_github_environment says otherwise)."
  value       = aws_iam_role.this["apply"].arn
}

output "plan_role_arn" {
  description = "Read-only role for terraform plan on pull requests."
  value       = aws_iam_role.this["plan"].arn
}

output "trusted_subjects" {
  description = "The exact token.actions.githubusercontent.com:sub each role trusts, by role."
  value       = local.subjects
}

output "role_names" {
  description = "Role names by purpose (deploy, apply, plan)."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}
