output "jwt_secret_arn" {
  description = "ARN of the secret holding the JWT signing key (plain string); only the gateway gets it."
  value       = aws_secretsmanager_secret.this["jwt"].arn
}

output "admin_password_secret_arn" {
  description = "ARN of the secret holding the seed admin password (plain string); the seeder task gets it by reference."
  value       = aws_secretsmanager_secret.this["admin_password"].arn
}

output "db_app_password_secret_arn" {
  description = "ARN of the secret holding the password of the application's database user (plain string)."
  value       = aws_secretsmanager_secret.this["db_app_password"].arn
}

output "db_app_user" {
  description = "Name of the application's database user."
  value       = var.db_app_user
}

output "secret_arns" {
  description = "ARNs of every secret of this module (jwt, admin_password, db_app_password)."
  value       = [for k in ["jwt", "admin_password", "db_app_password"] : aws_secretsmanager_secret.this[k].arn]
}

output "secret_names" {
  description = "Names of the secrets by purpose (jwt, admin_password, db_app_password)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}

output "values" {
  description = "What `mage <env>:secrets` puts in each secret, by purpose: name and the GetRandomPassword parameters (length, exclude_punctuation, exclude_characters, require_each_included_type). Terraform never writes a value."
  value       = { for k, s in local.secrets : k => merge({ name = s.name }, s.value) }
}
