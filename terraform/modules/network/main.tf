# A VPC over two (or more) availability zones: one public and one private subnet per zone. Tasks,
# the internal ALB, the database and the cache live in the private subnets. Outbound access for the
# private subnets goes through ONE NAT instance (fck-nat pattern) instead of a NAT gateway per zone:
# ~$3.7/month against ~$33/month per gateway (see docs/infrastructure.md, "Cost choices"). The price
# is a single point of failure for outbound traffic only (image pulls, Secrets Manager); inbound
# traffic never passes through it.

# Zones by ID, never by name: a zone name (us-east-1a) maps to a different physical zone in each
# account, and not every zone offers every instance type (use1-az3 has no Graviton). Zones are
# picked from those the account can use without opting in AND that offer the NAT instance's
# Graviton type (the database and cache use Graviton classes too); the plan fails early when fewer
# than two are left or a given ID is not among them.
# https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/ec2_instance_type_offerings
data "aws_availability_zones" "usable" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_ec2_instance_type_offerings" "nat" {
  location_type = "availability-zone-id"

  filter {
    name   = "instance-type"
    values = [var.nat_instance_type]
  }
}

locals {
  usable_zone_ids = sort(setintersection(data.aws_availability_zones.usable.zone_ids, data.aws_ec2_instance_type_offerings.nat.locations))
  zone_ids        = var.availability_zone_ids != null ? var.availability_zone_ids : slice(local.usable_zone_ids, 0, min(var.zone_count, length(local.usable_zone_ids)))
  az_index        = { for i, id in local.zone_ids : id => i }
}

data "aws_region" "current" {}

# Why: VPC flow logs cost ingestion per GB; they are not required for a demo/staging environment and can be added per environment later.
#trivy:ignore:AVD-AWS-0178
resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true # required by private DNS (Cloud Map namespace) and interface endpoints

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })

  lifecycle {
    precondition {
      condition     = length(local.zone_ids) >= 2 && alltrue([for id in local.zone_ids : contains(local.usable_zone_ids, id)])
      error_message = "need at least two availability zones offering ${var.nat_instance_type} without opt-in; usable here: ${jsonencode(local.usable_zone_ids)}, chosen: ${jsonencode(local.zone_ids)}."
    }
  }
}

# The default security group of the VPC is emptied so nothing can use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-closed" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-igw" })
}

resource "aws_subnet" "public" {
  for_each = local.az_index

  vpc_id                  = aws_vpc.this.id
  availability_zone_id    = each.key
  cidr_block              = cidrsubnet(var.cidr_block, 24 - tonumber(split("/", var.cidr_block)[1]), each.value)
  map_public_ip_on_launch = false # only the NAT instance asks for a public address, explicitly

  tags = merge(var.tags, { Name = "${var.name_prefix}-public-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.az_index

  vpc_id                  = aws_vpc.this.id
  availability_zone_id    = each.key
  cidr_block              = cidrsubnet(var.cidr_block, 24 - tonumber(split("/", var.cidr_block)[1]), each.value + 10)
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", Tier = "private" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  network_interface_id   = aws_instance.nat.primary_network_interface_id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

# S3 gateway endpoint: free, and ECR image layers are served from S3, so most image-pull bytes
# bypass the NAT instance.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

# --- NAT instance -------------------------------------------------------------------------------

data "aws_ssm_parameter" "nat_ami" {
  name = var.nat_ami_ssm_parameter
}

resource "aws_security_group" "nat" {
  name        = "${var.name_prefix}-nat"
  description = "NAT instance: forwards outbound traffic from the private subnets"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-nat" })
}

resource "aws_vpc_security_group_ingress_rule" "nat_from_vpc" {
  security_group_id = aws_security_group.nat.id
  description       = "Everything from inside the VPC, to be forwarded"
  ip_protocol       = "-1"
  cidr_ipv4         = var.cidr_block

  tags = var.tags
}

# Why: a NAT instance exists to reach the internet (ECR, Secrets Manager, CloudWatch endpoints are public).
#trivy:ignore:AVD-AWS-0104
resource "aws_vpc_security_group_egress_rule" "nat_to_internet" {
  security_group_id = aws_security_group.nat.id
  description       = "Forwarded traffic to the internet"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_instance" "nat" {
  ami                         = data.aws_ssm_parameter.nat_ami.insecure_value
  instance_type               = var.nat_instance_type
  subnet_id                   = aws_subnet.public[local.zone_ids[0]].id
  vpc_security_group_ids      = [aws_security_group.nat.id]
  associate_public_ip_address = true  # the one public IPv4 address of the environment
  source_dest_check           = false # it forwards packets that are not addressed to it

  # Enable forwarding and masquerade everything leaving the primary interface (fck-nat pattern).
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y iptables-services
    echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
    sysctl -p /etc/sysctl.d/90-nat.conf
    iface=$(ip -o route get 1.1.1.1 | awk '{print $5}')
    iptables -t nat -A POSTROUTING -o "$iface" -s ${var.cidr_block} -j MASQUERADE
    iptables -F FORWARD
    service iptables save
    systemctl enable --now iptables
  EOT

  user_data_replace_on_change = true

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  # Image pulls, secrets and logs of every task go through this one instance: EC2 moves it to
  # healthy hardware (same ID, addresses, EBS volume) when the host fails. Explicit here, and
  # backed by the recover alarm below, because it is the environment's single point of failure.
  # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-configuration-recovery.html
  maintenance_options {
    auto_recovery = "default"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
    encrypted   = true
  }

  tags        = merge(var.tags, { Name = "${var.name_prefix}-nat" })
  volume_tags = merge(var.tags, { Name = "${var.name_prefix}-nat" })

  lifecycle {
    # A newer AMI published under the SSM parameter must not replace a running NAT instance.
    ignore_changes = [ami]
  }
}

# --- NAT instance alarms -----------------------------------------------------------------------
# With enable_alarms (staging: notifying alarm_actions, the alarm topic; $0.10 per alarm and month), two alarms that also
# act: system status check failed (the host) recovers the instance onto other hardware, instance
# status check failed (the OS hangs, networking broken) reboots it. Without them (dev) the instance
# still has EC2's automatic recovery (maintenance_options above), which is free.
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/UsingAlarmActions.html

locals {
  nat_alarms = {
    recover = { metric = "StatusCheckFailed_System", periods = 2, why = "NAT instance host failed its system status check: EC2 recovers it onto healthy hardware" }
    reboot  = { metric = "StatusCheckFailed_Instance", periods = 3, why = "NAT instance failed its instance status check: EC2 reboots it" }
  }
}

resource "aws_cloudwatch_metric_alarm" "nat" {
  for_each = var.enable_alarms ? local.nat_alarms : {}

  alarm_name          = "${var.name_prefix}-nat-${each.key}"
  alarm_description   = "${each.value.why} (outbound traffic of every task depends on it)."
  namespace           = "AWS/EC2"
  metric_name         = each.value.metric
  dimensions          = { InstanceId = aws_instance.nat.id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = each.value.periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = concat(["arn:aws:automate:${data.aws_region.current.region}:ec2:${each.key}"], var.alarm_actions)
  ok_actions          = var.alarm_actions

  tags = var.tags
}
