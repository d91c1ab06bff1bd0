output "address" {
  description = "Host name of the database."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials as JSON {\"username\",\"password\"} (ECS: valueFrom \"<arn>:password::\")."
  value       = one(aws_db_instance.this.master_user_secret[*].secret_arn)
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}

output "instance_id" {
  description = "DB instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.this.identifier
}

output "arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "master_password_rotation_schedule" {
  description = "Schedule of the master secret's rotation (Secrets Manager, UTC)."
  value       = aws_secretsmanager_secret_rotation.master.rotation_rules[0].schedule_expression
}
