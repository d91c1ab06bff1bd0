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

output "permissions_boundary_arn" {
  description = "ARN of the environment's workload permissions boundary: give it to every role the environment creates (the apply role may only create or change roles that carry it)."
  value       = local.boundary_arn
  # Known at plan time (built from the name), yet roles that use it wait for the policy to exist.
  depends_on = [aws_iam_policy.workload_boundary]
}
