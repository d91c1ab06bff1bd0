# The staging root as committed (its values are in main.tf), planned with a mocked
# provider. Cross-environment facts (dev vs staging) are Go tests: terraform/envtest.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = {
      id = "pl-3b927c52"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      zone_ids = ["use1-az1", "use1-az2", "use1-az3"]
    }
  }
  mock_data "aws_ec2_instance_type_offerings" {
    defaults = {
      locations = ["use1-az1", "use1-az2", "use1-az3"]
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_resource "aws_vpc" {
    defaults = {
      id = "vpc-0123456789abcdef0"
    }
  }
  mock_resource "aws_subnet" {
    defaults = {
      id = "subnet-0123456789abcdef0"
    }
  }
  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/equiptrack-staging-alb/0123456789abcdef"
      arn_suffix = "app/equiptrack-staging-alb/0123456789abcdef"
      dns_name   = "internal-equiptrack-staging-alb-1.us-east-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/equiptrack-staging-tg/0123456789abcdef"
      arn_suffix = "targetgroup/equiptrack-staging-tg/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/equiptrack-staging-alb/0123456789abcdef/0123456789abcdef"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/equiptrack-staging-role"
    }
  }
  mock_resource "aws_elasticache_serverless_cache" {
    defaults = {
      endpoint = [{ address = "equiptrack-staging-cache-abc123.serverless.use1.cache.amazonaws.com", port = 6379 }]
    }
  }
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      primary_endpoint_address = "master.equiptrack-staging-cache.abc123.use1.cache.amazonaws.com"
    }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"
    }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/equiptrack-staging-gateway:1"
    }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = {
      arn = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef"
    }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:us-east-1:123456789012:repository/equiptrack-staging/x"
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/equiptrack-staging/x"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/equiptrack-staging/x"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:equiptrack-staging-x-AbCdEf"
    }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address            = "equiptrack-staging.abcdefghij.us-east-1.rds.amazonaws.com"
      port               = 5432
      master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf", kms_key_id = "", secret_status = "active" }]
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:equiptrack-staging-alarms"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0000-1111-2222-333344445555"
    }
  }
}

run "staging_as_committed" {
  command = plan

  assert {
    condition     = length(module.environment.services) == 6 && alltrue([for k, s in module.environment.services : s.desired_count == 2])
    error_message = "staging runs 2 task(s) of each of the six services"
  }
  assert {
    condition     = module.environment.registry_immutable == true
    error_message = "staging: registry immutability"
  }
  assert {
    condition     = length(module.environment.alarm_names) > 0
    error_message = "staging: alarms in staging"
  }
  assert {
    condition     = module.environment.name_prefix == "equiptrack-staging" && module.environment.cluster_name == "equiptrack-staging"
    error_message = "names carry the environment"
  }
}
