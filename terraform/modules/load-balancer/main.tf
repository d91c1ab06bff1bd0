# An INTERNAL application load balancer: it has no public IPv4 address (saves $3.65/month per
# zone) and is reached only by CloudFront through a VPC origin (module https-entry). Its security
# group admits the CloudFront origin-facing managed prefix list and nothing else.

locals {
  default_target = one([for k, t in var.targets : k if t.path_pattern == "/"])
  rule_targets   = { for k, t in var.targets : k => t if t.path_pattern != "/" }
  # Stable rule priorities: the rules are ordered by name.
  rule_priority = { for i, k in sort(keys(local.rule_targets)) : k => (i + 1) * 10 }
  target_ports  = toset([for t in values(var.targets) : tostring(t.port)])
}

resource "aws_security_group" "this" {
  name        = "${var.name_prefix}-alb"
  description = "Internal ALB: reachable only from CloudFront (VPC origin)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "from_prefix_list" {
  for_each = toset(var.ingress_prefix_list_ids)

  security_group_id = aws_security_group.this.id
  description       = "HTTP from CloudFront origin-facing servers"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  prefix_list_id    = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_security_group" {
  for_each = toset(var.ingress_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "HTTP from an allowed security group"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "to_targets" {
  for_each = local.target_ports

  security_group_id = aws_security_group.this.id
  description       = "To the service tasks inside the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.vpc_cidr_block

  tags = var.tags
}

# Why: the load balancer is internal (no internet-facing address); it is reachable only through CloudFront's VPC origin.
#trivy:ignore:AVD-AWS-0053
resource "aws_lb" "this" {
  name                       = "${var.name_prefix}-alb"
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.this.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  idle_timeout               = 60

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  for_each = var.targets

  name                 = "${var.name_prefix}-${each.key}"
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip" # Fargate tasks (awsvpc) register by IP
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    path                = each.value.health_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = var.health_check.interval
    timeout             = var.health_check.timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags
}

# Plain HTTP on port 80: the listener is only reachable from CloudFront over AWS's network (VPC
# origin); viewers always speak HTTPS to CloudFront. HTTPS here would need a certificate for a
# domain name we do not have.
# Why: see above -- TLS terminates at CloudFront; this listener is internal and reachable only by the VPC origin.
#trivy:ignore:AVD-AWS-0054
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[local.default_target].arn
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "path" {
  for_each = local.rule_targets

  listener_arn = aws_lb_listener.http.arn
  priority     = local.rule_priority[each.key]

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  condition {
    path_pattern {
      values = [each.value.path_pattern]
    }
  }

  tags = var.tags
}
