output "jwt_secret_arn" {
  description = "ARN of the secret holding the JWT signing key (plain string)."
  value       = aws_secretsmanager_secret.this["jwt"].arn
}

output "admin_password_secret_arn" {
  description = "ARN of the secret holding the seed admin password (plain string); the seeder task gets it by reference."
  value       = aws_secretsmanager_secret.this["admin_password"].arn
}

output "secret_arns" {
  description = "ARNs of every secret of this module, for the task execution role's secretsmanager:GetSecretValue."
  value       = [for k in ["jwt", "admin_password"] : aws_secretsmanager_secret.this[k].arn]
}

output "secret_names" {
  description = "Names of the secrets by purpose (jwt, admin_password)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}
