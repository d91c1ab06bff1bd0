# Zones by ID: the region's usable zone IDs and the zones offering the NAT instance's Graviton
# type are data sources, mocked here (usw2-az3 plays the zone without Graviton).
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-west-2"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      zone_ids = ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"]
    }
  }
  mock_data "aws_ec2_instance_type_offerings" {
    defaults = {
      locations = ["usw2-az4", "usw2-az2", "usw2-az1"]
    }
  }
}

variables {
  name_prefix = "equiptrack-test"
  tags        = { Owner = "tests" }
}

run "two_zones_public_and_private" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 2 && length(aws_subnet.public) == 2
    error_message = "expected one public and one private subnet in each of the two zones"
  }
  assert {
    condition     = aws_subnet.private["usw2-az1"].availability_zone_id == "usw2-az1" && aws_subnet.private["usw2-az2"].availability_zone_id == "usw2-az2"
    error_message = "private subnets must sit in the first two usable zone IDs, usw2-az1 and usw2-az2"
  }
  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(["usw2-az1", "usw2-az2"])
    error_message = "the chosen zones are output by ID"
  }
  assert {
    condition     = aws_subnet.public["usw2-az1"].cidr_block == "10.0.0.0/24" && aws_subnet.public["usw2-az2"].cidr_block == "10.0.1.0/24"
    error_message = "public subnets must be 10.0.0.0/24 and 10.0.1.0/24"
  }
  assert {
    condition     = aws_subnet.private["usw2-az1"].cidr_block == "10.0.10.0/24" && aws_subnet.private["usw2-az2"].cidr_block == "10.0.11.0/24"
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

run "nat_instance_recovers" {
  command = plan

  variables {
    enable_alarms = true
    alarm_actions = ["arn:aws:sns:us-west-2:123456789012:equiptrack-test-alarms"]
  }

  assert {
    condition     = aws_instance.nat.maintenance_options[0].auto_recovery == "default"
    error_message = "the NAT instance keeps EC2's automatic recovery on"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.nat["recover"].metric_name == "StatusCheckFailed_System" && contains(aws_cloudwatch_metric_alarm.nat["recover"].alarm_actions, "arn:aws:automate:us-west-2:ec2:recover")
    error_message = "a failed system status check recovers the NAT instance"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.nat["reboot"].metric_name == "StatusCheckFailed_Instance" && contains(aws_cloudwatch_metric_alarm.nat["reboot"].alarm_actions, "arn:aws:automate:us-west-2:ec2:reboot")
    error_message = "a failed instance status check reboots the NAT instance"
  }
  assert {
    condition     = contains(aws_cloudwatch_metric_alarm.nat["recover"].alarm_actions, "arn:aws:sns:us-west-2:123456789012:equiptrack-test-alarms") && contains(aws_cloudwatch_metric_alarm.nat["reboot"].alarm_actions, "arn:aws:sns:us-west-2:123456789012:equiptrack-test-alarms")
    error_message = "both NAT alarms notify the given actions"
  }
}

run "nat_without_alarm_actions_has_no_alarms" {
  command = plan

  assert {
    condition     = aws_instance.nat.maintenance_options[0].auto_recovery == "default" && length(aws_cloudwatch_metric_alarm.nat) == 0
    error_message = "without alarms (dev): EC2's automatic recovery only, no billed alarm"
  }
}

run "three_zones_skip_the_one_without_graviton" {
  command = plan

  variables {
    cidr_block = "10.20.0.0/16"
    zone_count = 3
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && aws_subnet.private["usw2-az4"].cidr_block == "10.20.12.0/24" && !contains(keys(aws_subnet.private), "usw2-az3")
    error_message = "a third zone is usw2-az4 (usw2-az3 offers no t4g), private subnet 10.20.12.0/24"
  }
}

run "given_zone_ids" {
  command = apply # the subnet ids are computed: Terraform leaves them unknown at a mocked plan

  variables {
    availability_zone_ids = ["usw2-az4", "usw2-az2"]
  }

  assert {
    condition     = aws_instance.nat.subnet_id == aws_subnet.public["usw2-az4"].id && length(aws_subnet.public) == 2
    error_message = "given zone IDs are used in their order; the NAT instance sits in the first"
  }
}

run "rejects_zone_without_the_nat_type" {
  command = plan
  variables {
    availability_zone_ids = ["usw2-az1", "usw2-az3"]
  }
  expect_failures = [aws_vpc.this]
}

run "fails_early_with_one_usable_zone" {
  command = plan
  override_data {
    target = data.aws_ec2_instance_type_offerings.nat
    values = {
      locations = ["usw2-az1"]
    }
  }
  expect_failures = [aws_vpc.this]
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "Equiptrack_Dev"
    # bad cidr
    cidr_block = "10.0.0.0/8"
    # single zone
    availability_zone_ids = ["usw2-az1"]
    # one zone count
    zone_count = 1
    # x86 nat type
    nat_instance_type = "t3.nano"
  }
  expect_failures = [
    var.name_prefix,
    var.cidr_block,
    var.availability_zone_ids,
    var.zone_count,
    var.nat_instance_type,
  ]
}

run "rejects_zone_names" {
  command = plan
  variables {
    availability_zone_ids = ["us-west-2a", "us-west-2b"]
  }
  expect_failures = [var.availability_zone_ids]
}

