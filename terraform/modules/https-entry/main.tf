# HTTPS for all external traffic without a custom domain: CloudFront terminates TLS with its
# default *.cloudfront.net certificate. API paths (https_only_path_patterns) answer plain HTTP with
# 403: a redirect would let the client send the request, its Authorization header and body in clear
# first. The rest (the UI a person types into a browser) redirects to HTTPS. Every response carries
# Strict-Transport-Security, so a browser that has seen the site once never tries HTTP again. It reaches the INTERNAL
# load balancer through a VPC origin, so neither the load balancer nor any task needs a public IPv4
# address. Nothing is cached: the distribution is a TLS front door for an API and a UI, not a CDN.

locals {
  origin_id = "${var.name_prefix}-alb"

  # AWS-managed policies (fixed, documented IDs; identical in every account).
  cache_policy_caching_disabled                = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  origin_request_policy_all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_cloudfront_vpc_origin" "this" {
  vpc_origin_endpoint_config {
    name                   = "${var.name_prefix}-alb"
    arn                    = var.alb_arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "http-only" # inside AWS's network; TLS ends at CloudFront

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  tags = var.tags
}

# Why (AVD-AWS-0011): a WAF web ACL costs $5/month plus rules per environment; the demo/staging traffic does not justify it.
# Why (AVD-AWS-0010): access logging needs a log bucket and costs per request; the ALB and services log what is needed.
# Why (AVD-AWS-0013): with the default *.cloudfront.net certificate CloudFront fixes the minimum protocol at TLSv1; the custom-domain path uses TLSv1.2_2021.
#trivy:ignore:AVD-AWS-0011
#trivy:ignore:AVD-AWS-0010
#trivy:ignore:AVD-AWS-0013
resource "aws_cloudfront_distribution" "this" {
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name_prefix}: HTTPS entry to the internal load balancer"
  price_class     = var.price_class
  aliases         = var.custom_domain == null ? [] : var.custom_domain.aliases
  http_version    = "http2and3"

  origin {
    origin_id   = local.origin_id
    domain_name = var.alb_dns_name

    vpc_origin_config {
      vpc_origin_id            = aws_cloudfront_vpc_origin.this.id
      origin_keepalive_timeout = 5
      origin_read_timeout      = var.origin_read_timeout
    }
  }

  # viewer_protocol_policy "https-only": CloudFront answers HTTP requests with 403 Forbidden instead
  # of a redirect (CloudFront Developer Guide, "Require HTTPS for communication between viewers and
  # CloudFront"; API reference CacheBehavior.ViewerProtocolPolicy). Cache behaviors are matched in
  # order, the default one last.
  dynamic "ordered_cache_behavior" {
    for_each = var.https_only_path_patterns
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.origin_id
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = local.cache_policy_caching_disabled
      origin_request_policy_id   = local.origin_request_policy_all_viewer_except_host
      response_headers_policy_id = aws_cloudfront_response_headers_policy.hsts.id
    }
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.cache_policy_caching_disabled
    origin_request_policy_id   = local.origin_request_policy_all_viewer_except_host
    response_headers_policy_id = aws_cloudfront_response_headers_policy.hsts.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.custom_domain == null
    acm_certificate_arn            = var.custom_domain == null ? null : var.custom_domain.acm_certificate_arn
    ssl_support_method             = var.custom_domain == null ? null : "sni-only"
    minimum_protocol_version       = var.custom_domain == null ? "TLSv1" : "TLSv1.2_2021"
  }

  tags = var.tags
}

# HSTS on every response, whatever the origin sends (override = true). CloudFront API reference,
# ResponseHeadersPolicyStrictTransportSecurity: AccessControlMaxAgeSec is the max-age directive,
# Override replaces the origin's header. No includeSubDomains/preload: *.cloudfront.net is not ours,
# and a custom domain's other hosts are not necessarily served over HTTPS.
resource "aws_cloudfront_response_headers_policy" "hsts" {
  name    = "${var.name_prefix}-hsts"
  comment = "${var.name_prefix}: Strict-Transport-Security on every response"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = var.hsts_max_age_seconds
      include_subdomains         = false
      preload                    = false
      override                   = true
    }
  }
}

# The load balancer's security group admits this list (CloudFront's origin-facing servers, which
# VPC origins use as well).
data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}
