mock_provider "aws" {}

variables {
  name_prefix        = "equiptrack-test"
  availability_zones = ["us-west-2a", "us-west-2b"]
  tags               = { Owner = "tests" }
}

run "two_zones_public_and_private" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 2 && length(aws_subnet.public) == 2
    error_message = "expected one public and one private subnet in each of the two zones"
  }
  assert {
    condition     = aws_subnet.private["us-west-2a"].availability_zone == "us-west-2a" && aws_subnet.private["us-west-2b"].availability_zone == "us-west-2b"
    error_message = "private subnets must sit in us-west-2a and us-west-2b"
  }
  assert {
    condition     = aws_subnet.public["us-west-2a"].cidr_block == "10.0.0.0/24" && aws_subnet.public["us-west-2b"].cidr_block == "10.0.1.0/24"
    error_message = "public subnets must be 10.0.0.0/24 and 10.0.1.0/24"
  }
  assert {
    condition     = aws_subnet.private["us-west-2a"].cidr_block == "10.0.10.0/24" && aws_subnet.private["us-west-2b"].cidr_block == "10.0.11.0/24"
    error_message = "private subnets must be 10.0.10.0/24 and 10.0.11.0/24"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.private : s.map_public_ip_on_launch == false]) && alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "no subnet may hand out public IPv4 addresses by default"
  }
  assert {
    condition     = aws_vpc.this.cidr_block == "10.0.0.0/16" && aws_vpc.this.enable_dns_hostnames == true
    error_message = "VPC must be 10.0.0.0/16 with DNS host names (needed by the private DNS namespace)"
  }
  assert {
    condition     = aws_vpc.this.tags["Name"] == "equiptrack-test-vpc" && aws_vpc.this.tags["Owner"] == "tests"
    error_message = "VPC must carry its name and the module's tags"
  }
}

run "outbound_through_one_nat_instance" {
  command = plan

  assert {
    condition     = aws_instance.nat.instance_type == "t4g.nano"
    error_message = "the NAT instance must be a t4g.nano"
  }
  assert {
    condition     = aws_instance.nat.source_dest_check == false && aws_instance.nat.associate_public_ip_address == true
    error_message = "the NAT instance must forward (source_dest_check off) and have a public address"
  }
  assert {
    condition     = aws_route.private_nat.destination_cidr_block == "0.0.0.0/0" && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "both route tables need a default route"
  }
  assert {
    condition     = strcontains(aws_instance.nat.user_data, "MASQUERADE") && strcontains(aws_instance.nat.user_data, "-s 10.0.0.0/16")
    error_message = "the NAT instance must masquerade traffic from the VPC CIDR"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.nat_from_vpc.cidr_ipv4 == "10.0.0.0/16"
    error_message = "the NAT instance accepts traffic only from inside the VPC"
  }
  assert {
    condition     = aws_instance.nat.metadata_options[0].http_tokens == "required" && aws_instance.nat.root_block_device[0].encrypted == true
    error_message = "the NAT instance must require IMDSv2 and encrypt its disk"
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "the free S3 gateway endpoint must serve the private subnets"
  }
}

run "three_zones_and_other_cidr" {
  command = plan

  variables {
    cidr_block         = "10.20.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && aws_subnet.private["us-east-1c"].cidr_block == "10.20.12.0/24"
    error_message = "a third zone adds a third private subnet 10.20.12.0/24"
  }
}

run "rejects_bad_name_prefix" {
  command = plan
  variables {
    name_prefix = "Equiptrack_Dev"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_cidr" {
  command = plan
  variables {
    cidr_block = "10.0.0.0/8"
  }
  expect_failures = [var.cidr_block]
}

run "rejects_single_zone" {
  command = plan
  variables {
    availability_zones = ["us-west-2a"]
  }
  expect_failures = [var.availability_zones]
}

run "rejects_x86_nat_type" {
  command = plan
  variables {
    nat_instance_type = "t3.nano"
  }
  expect_failures = [var.nat_instance_type]
}
