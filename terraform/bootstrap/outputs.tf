output "state_bucket_name" {
  description = "Bucket holding both environments' state: passed at init (-backend-config=bucket=…); the environments derive the same name from the account."
  value       = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  description = "ARN of the state bucket (state_bucket_arn of the github-oidc module)."
  value       = aws_s3_bucket.state.arn
}

output "state_bucket_region" {
  description = "Region of the state bucket (region = … in the backend files)."
  value       = var.region
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC identity provider (oidc_provider_arn of the environments); null when create_github_oidc_provider is false."
  value       = one(aws_iam_openid_connect_provider.github[*].arn)
}
