# A VPC over two (or more) availability zones: one public and one private subnet per zone. Tasks,
# the internal ALB, the database and the cache live in the private subnets. Outbound access for the
# private subnets goes through ONE NAT instance (fck-nat pattern) instead of a NAT gateway per zone:
# ~$3.7/month against ~$33/month per gateway (see docs/infrastructure.md, "Cost choices"). The price
# is a single point of failure for outbound traffic only (image pulls, Secrets Manager); inbound
# traffic never passes through it.

locals {
  az_index = { for i, az in var.availability_zones : az => i }
}

data "aws_region" "current" {}

# Why: VPC flow logs cost ingestion per GB; they are not required for a demo/staging environment and can be added per environment later.
#trivy:ignore:AVD-AWS-0178
resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true # required by private DNS (Cloud Map namespace) and interface endpoints

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })
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
  availability_zone       = each.key
  cidr_block              = cidrsubnet(var.cidr_block, 24 - tonumber(split("/", var.cidr_block)[1]), each.value)
  map_public_ip_on_launch = false # only the NAT instance asks for a public address, explicitly

  tags = merge(var.tags, { Name = "${var.name_prefix}-public-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.az_index

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
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
  subnet_id                   = aws_subnet.public[var.availability_zones[0]].id
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
