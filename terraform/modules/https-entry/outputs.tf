output "url" {
  description = "Public HTTPS URL of the environment."
  value       = "https://${var.custom_domain == null ? aws_cloudfront_distribution.this.domain_name : var.custom_domain.aliases[0]}"
}

output "distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net name (CNAME target for a custom domain)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "vpc_origin_id" {
  description = "ID of the CloudFront VPC origin."
  value       = aws_cloudfront_vpc_origin.this.id
}

output "cloudfront_prefix_list_id" {
  description = "ID of the CloudFront origin-facing managed prefix list (allow it on the load balancer)."
  value       = data.aws_ec2_managed_prefix_list.cloudfront.id
}

output "response_headers_policy_id" {
  description = "ID of the response headers policy that adds Strict-Transport-Security to every response."
  value       = aws_cloudfront_response_headers_policy.hsts.id
}
