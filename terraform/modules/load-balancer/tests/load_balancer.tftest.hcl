mock_provider "aws" {
  # The real provider validates ARNs, so mocked ARNs must look like ARNs.
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/equiptrack-test-alb/0123456789abcdef"
      arn_suffix = "app/equiptrack-test-alb/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/equiptrack-test-tg/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/equiptrack-test-alb/0123456789abcdef/0123456789abcdef"
    }
  }
}

variables {
  name_prefix             = "equiptrack-test"
  vpc_id                  = "vpc-0123456789abcdef0"
  vpc_cidr_block          = "10.0.0.0/16"
  subnet_ids              = ["subnet-aaaa", "subnet-bbbb"]
  ingress_prefix_list_ids = ["pl-3b927c52"]
  targets = {
    gateway = { port = 8080, health_path = "/readyz", path_pattern = "/api/*" }
    ui      = { port = 8080, health_path = "/readyz", path_pattern = "/" }
  }
}

run "internal_alb_with_two_target_groups" {
  command = plan

  assert {
    condition     = aws_lb.this.internal == true && aws_lb.this.load_balancer_type == "application"
    error_message = "the ALB must be internal (no public IPv4)"
  }
  assert {
    condition     = aws_lb.this.name == "equiptrack-test-alb" && aws_lb.this.drop_invalid_header_fields == true
    error_message = "ALB name and header hygiene"
  }
  assert {
    condition     = length(aws_lb_target_group.this) == 2
    error_message = "one target group per public service"
  }
  assert {
    condition     = aws_lb_target_group.this["gateway"].health_check[0].path == "/readyz" && aws_lb_target_group.this["ui"].health_check[0].path == "/readyz"
    error_message = "target groups check the readiness path"
  }
  assert {
    condition     = aws_lb_target_group.this["gateway"].health_check[0].matcher == "200" && aws_lb_target_group.this["gateway"].target_type == "ip" && aws_lb_target_group.this["gateway"].port == 8080
    error_message = "IP targets on 8080, healthy only on 200"
  }
  assert {
    condition     = aws_lb_target_group.this["gateway"].name == "equiptrack-test-gateway"
    error_message = "target group names carry the environment"
  }
  assert {
    condition     = length(aws_lb_listener_rule.path) == 1 && one(one(aws_lb_listener_rule.path["gateway"].condition).path_pattern).values == toset(["/api/*"])
    error_message = "/api/* goes to the gateway"
  }
  assert {
    condition     = aws_lb_listener_rule.path["gateway"].priority == 10
    error_message = "the gateway rule has priority 10"
  }
  assert {
    condition     = output.default_target == "ui"
    error_message = "everything else goes to the ui"
  }
}

run "ingress_only_from_cloudfront_prefix_list" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.from_prefix_list) == 1 && aws_vpc_security_group_ingress_rule.from_prefix_list["pl-3b927c52"].from_port == 80
    error_message = "port 80 is open to the CloudFront prefix list"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.from_prefix_list["pl-3b927c52"].cidr_ipv4 == null && length(aws_vpc_security_group_ingress_rule.from_security_group) == 0
    error_message = "no CIDR ingress and no other group"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.to_targets["8080"].cidr_ipv4 == "10.0.0.0/16" && aws_vpc_security_group_egress_rule.to_targets["8080"].to_port == 8080
    error_message = "egress only to the VPC on the target port"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # long name prefix
    name_prefix = "equiptrack-very-long-env"
    # bad vpc cidr
    vpc_cidr_block = "not-a-cidr"
    # one subnet
    subnet_ids = ["subnet-aaaa"]
    # timeout longer than interval
    health_check = { interval = 10, timeout = 10 }
    # negative deregistration delay
    deregistration_delay = -1
  }
  expect_failures = [
    var.name_prefix,
    var.vpc_cidr_block,
    var.subnet_ids,
    var.health_check,
    var.deregistration_delay,
  ]
}

run "rejects_no_default_target" {
  command = plan
  variables {
    targets = {
      gateway = { port = 8080, health_path = "/readyz", path_pattern = "/api/*" }
    }
  }
  expect_failures = [var.targets]
}

run "rejects_relative_paths" {
  command = plan
  variables {
    targets = {
      ui = { port = 8080, health_path = "readyz", path_pattern = "/" }
    }
  }
  expect_failures = [var.targets]
}

run "rejects_bad_port" {
  command = plan
  variables {
    targets = {
      ui = { port = 0, health_path = "/readyz", path_pattern = "/" }
    }
  }
  expect_failures = [var.targets]
}

