variable "name_prefix" {
  description = "Prefix carrying the environment (e.g. \"equiptrack-dev\")."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must be 3-24 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "alb_arn" {
  description = "ARN of the internal application load balancer (the VPC origin)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:[a-z-]+:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/app/", var.alb_arn))
    error_message = "alb_arn must be the ARN of an application load balancer."
  }
}

variable "alb_dns_name" {
  description = "DNS name of the internal load balancer (the origin's domain name)."
  type        = string
  nullable    = false
}

variable "custom_domain" {
  description = <<-EOT
    Optional custom domain: host names served by the distribution and an ACM certificate for them,
    issued in us-east-1 (CloudFront only reads certificates from there). null: the distribution's
    own *.cloudfront.net name with CloudFront's default certificate (HTTPS without a domain).
  EOT
  type = object({
    aliases             = list(string)
    acm_certificate_arn = string
  })
  default = null

  validation {
    condition     = var.custom_domain == null || try(length(var.custom_domain.aliases) > 0 && can(regex("^arn:[a-z-]+:acm:us-east-1:[0-9]{12}:certificate/", var.custom_domain.acm_certificate_arn)), false)
    error_message = "custom_domain needs at least one alias and an ACM certificate ARN in us-east-1."
  }
}

variable "https_only_path_patterns" {
  description = "CloudFront path patterns (e.g. \"/api/*\") that refuse plain HTTP with 403 instead of redirecting: API clients would otherwise send the request and its headers in clear before the redirect. Every other path redirects HTTP to HTTPS."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.https_only_path_patterns : can(regex("^/[A-Za-z0-9_./*?-]+$", p)) && p != "/" && p != "/*"])
    error_message = "https_only_path_patterns must be CloudFront path patterns starting with \"/\" (not \"/\" or \"/*\", which the default behavior covers)."
  }
}

variable "hsts_max_age_seconds" {
  description = "max-age of the Strict-Transport-Security header CloudFront adds to every response (default one year; at least one day)."
  type        = number
  default     = 31536000
  nullable    = false

  validation {
    condition     = var.hsts_max_age_seconds >= 86400 && floor(var.hsts_max_age_seconds) == var.hsts_max_age_seconds
    error_message = "hsts_max_age_seconds must be a whole number of seconds, at least 86400 (one day)."
  }
}

variable "price_class" {
  description = "CloudFront price class (PriceClass_100: North America and Europe edges, the cheapest)."
  type        = string
  default     = "PriceClass_100"
  nullable    = false

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "origin_read_timeout" {
  description = "Seconds CloudFront waits for the load balancer's response."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.origin_read_timeout >= 1 && var.origin_read_timeout <= 180
    error_message = "origin_read_timeout must be between 1 and 180 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
