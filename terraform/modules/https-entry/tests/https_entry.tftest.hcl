mock_provider "aws" {
  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      domain_name = "d111111abcdef8.cloudfront.net"
    }
  }
  mock_resource "aws_cloudfront_response_headers_policy" {
    defaults = {
      id = "5cc3b908-e619-4b99-88e5-2cf7f45965bd"
    }
  }
}

variables {
  name_prefix  = "equiptrack-test"
  alb_arn      = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/equiptrack-test-alb/0123456789abcdef"
  alb_dns_name = "internal-equiptrack-test-alb-1234567890.us-west-2.elb.amazonaws.com"
}

run "https_with_default_certificate" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https"
    error_message = "viewers are redirected to HTTPS"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.viewer_certificate[0].cloudfront_default_certificate == true
    error_message = "without a domain, CloudFront's default certificate is used"
  }
  assert {
    condition     = length(aws_cloudfront_distribution.this.aliases) == 0
    error_message = "no aliases without a custom domain"
  }
  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].arn == "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/equiptrack-test-alb/0123456789abcdef"
    error_message = "the VPC origin points at the internal ALB"
  }
  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].origin_protocol_policy == "http-only" && aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].http_port == 80
    error_message = "CloudFront talks HTTP/80 to the internal listener"
  }
  assert {
    condition     = one(aws_cloudfront_distribution.this.origin).domain_name == "internal-equiptrack-test-alb-1234567890.us-west-2.elb.amazonaws.com"
    error_message = "the origin is the ALB's DNS name"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    error_message = "nothing is cached (Managed-CachingDisabled)"
  }
  assert {
    condition     = data.aws_ec2_managed_prefix_list.cloudfront.name == "com.amazonaws.global.cloudfront.origin-facing"
    error_message = "the CloudFront origin-facing prefix list is looked up"
  }
}

# Issue: /api/* answered plain HTTP with a redirect, so a client's first request (Authorization
# header, body) crossed the internet in clear. Now it is refused; only the UI redirects.
run "api_https_only_and_hsts_everywhere" {
  command = apply

  variables {
    https_only_path_patterns = ["/api/*"]
  }

  assert {
    condition     = length(aws_cloudfront_distribution.this.ordered_cache_behavior) == 1
    error_message = "one ordered behavior per HTTPS-only path"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.ordered_cache_behavior[0].path_pattern == "/api/*" && aws_cloudfront_distribution.this.ordered_cache_behavior[0].viewer_protocol_policy == "https-only"
    error_message = "/api/* refuses plain HTTP (https-only), never redirects"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https"
    error_message = "the UI (default behavior) redirects HTTP to HTTPS"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.ordered_cache_behavior[0].response_headers_policy_id == "5cc3b908-e619-4b99-88e5-2cf7f45965bd" && aws_cloudfront_distribution.this.default_cache_behavior[0].response_headers_policy_id == "5cc3b908-e619-4b99-88e5-2cf7f45965bd"
    error_message = "every behavior carries the HSTS response headers policy"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.ordered_cache_behavior[0].cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" && aws_cloudfront_distribution.this.ordered_cache_behavior[0].origin_request_policy_id == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    error_message = "the API behavior caches nothing and forwards every viewer header but Host, like the default"
  }
  assert {
    condition     = one(one(aws_cloudfront_response_headers_policy.hsts.security_headers_config).strict_transport_security).access_control_max_age_sec == 31536000
    error_message = "HSTS max-age is one year"
  }
  assert {
    condition     = one(one(aws_cloudfront_response_headers_policy.hsts.security_headers_config).strict_transport_security).override == true
    error_message = "HSTS replaces whatever the origin sends"
  }
  assert {
    condition     = aws_cloudfront_response_headers_policy.hsts.name == "equiptrack-test-hsts"
    error_message = "the policy name carries the environment (names are account-wide)"
  }
}

run "url_output" {
  command = apply

  assert {
    condition     = output.url == "https://d111111abcdef8.cloudfront.net"
    error_message = "the URL is https:// plus the distribution's domain"
  }
}

run "custom_domain" {
  command = plan

  variables {
    custom_domain = {
      aliases             = ["staging.example.org"]
      acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
    }
  }

  assert {
    condition     = aws_cloudfront_distribution.this.aliases == toset(["staging.example.org"])
    error_message = "the custom host name is an alias"
  }
  assert {
    condition     = aws_cloudfront_distribution.this.viewer_certificate[0].cloudfront_default_certificate == false && aws_cloudfront_distribution.this.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.this.viewer_certificate[0].ssl_support_method == "sni-only"
    error_message = "a custom domain uses its ACM certificate with TLS 1.2+"
  }
  assert {
    condition     = output.url == "https://staging.example.org"
    error_message = "the URL uses the custom domain"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "UPPER"
    # non alb arn
    alb_arn = "arn:aws:ec2:us-west-2:123456789012:instance/i-0123"
    # certificate outside us east 1
    custom_domain = {
      aliases             = ["staging.example.org"]
      acm_certificate_arn = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
    }
    # bad price class
    price_class = "PriceClass_Cheap"
    # bad read timeout
    origin_read_timeout = 0
    # root as https only path
    https_only_path_patterns = ["/*"]
    # short hsts
    hsts_max_age_seconds = 300
  }
  expect_failures = [
    var.name_prefix,
    var.alb_arn,
    var.custom_domain,
    var.price_class,
    var.origin_read_timeout,
    var.https_only_path_patterns,
    var.hsts_max_age_seconds,
  ]
}

