# The offline toolchain serves a replica of hashicorp/aws; the dummy
# credentials and skips also let a real provider plan without AWS.
provider "aws" {
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

variables {
  name_prefix    = "equiptrack-staging"
  alb_arn_suffix = "app/equiptrack-staging/0123456789abcdef"
  target_group_arn_suffixes = {
    gateway = "targetgroup/equiptrack-staging-gateway/1111111111111111"
    ui      = "targetgroup/equiptrack-staging-ui/2222222222222222"
  }
  cluster_name   = "equiptrack-staging"
  service_names  = ["equiptrack-staging-gateway", "equiptrack-staging-ui"]
  desired_counts = { "equiptrack-staging-gateway" = 2, "equiptrack-staging-ui" = 2 }
  db_instance_id = "equiptrack-staging-postgres"
}

run "alarms_off_creates_nothing" {
  command = plan

  variables {
    enable_alarms = false
  }

  assert {
    condition     = output.sns_topic_arn == null
    error_message = "no topic when alarms are off"
  }
  assert {
    condition     = length(output.alarm_names) == 0
    error_message = "no alarms when alarms are off"
  }
  assert {
    condition     = length(aws_kms_key.alarms) == 0 && length(aws_sns_topic.alarms) == 0
    error_message = "no key, no topic"
  }
}

run "alarms_on" {
  command = plan

  variables {
    enable_alarms = true
  }

  assert {
    condition = toset(output.alarm_names) == toset([
      "equiptrack-staging-alb-5xx-rate",
      "equiptrack-staging-gateway-unhealthy-targets",
      "equiptrack-staging-ui-unhealthy-targets",
      "equiptrack-staging-equiptrack-staging-gateway-running-below-desired",
      "equiptrack-staging-equiptrack-staging-ui-running-below-desired",
      "equiptrack-staging-db-cpu-high",
      "equiptrack-staging-db-free-storage-low",
    ])
    error_message = "the seven alarms of two services behind the ALB"
  }
  assert {
    condition     = aws_sns_topic.alarms[0].name == "equiptrack-staging-alarms"
    error_message = "topic named for the environment"
  }
  assert {
    condition     = aws_kms_key.alarms[0].enable_key_rotation == true
    error_message = "topic key rotates"
  }
  assert {
    condition = contains(
      [for s in jsondecode(data.aws_iam_policy_document.alarm_key[0].json).Statement : s.Principal.Service if s.Sid == "CloudWatchPublishesToTopic"],
      "cloudwatch.amazonaws.com"
    )
    error_message = "CloudWatch may use the topic key"
  }
  assert {
    condition = contains(
      [for s in jsondecode(data.aws_iam_policy_document.alarm_key[0].json).Statement : s.Principal.AWS if s.Sid == "AccountAdministersKey"],
      "arn:aws:iam::123456789012:root"
    )
    error_message = "the account administers the topic key"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.http_5xx_rate[0].threshold == 5 && aws_cloudwatch_metric_alarm.http_5xx_rate[0].comparison_operator == "GreaterThanThreshold"
    error_message = "5xx rate above 5%"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.http_5xx_rate[0].metric_query : q.expression if q.id == "rate"]) == "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    error_message = "5xx rate expression"
  }
  assert {
    condition     = toset(flatten([for q in aws_cloudwatch_metric_alarm.http_5xx_rate[0].metric_query : [for m in q.metric : m.metric_name]])) == toset(["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"])
    error_message = "5xx rate reads ELB 5xx, target 5xx and request counts"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_targets["ui"].dimensions == tomap({ LoadBalancer = "app/equiptrack-staging/0123456789abcdef", TargetGroup = "targetgroup/equiptrack-staging-ui/2222222222222222" })
    error_message = "unhealthy-target alarm per target group"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_targets["gateway"].metric_name == "UnHealthyHostCount" && aws_cloudwatch_metric_alarm.unhealthy_targets["gateway"].threshold == 0
    error_message = "any unhealthy host alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.running_tasks["equiptrack-staging-gateway"].threshold == 0 && aws_cloudwatch_metric_alarm.running_tasks["equiptrack-staging-gateway"].comparison_operator == "GreaterThanThreshold"
    error_message = "alarm when any task is missing"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.running_tasks["equiptrack-staging-gateway"].metric_query : q.expression if q.id == "missing"]) == "FILL(desired, 2) - FILL(running, 0)"
    error_message = "tasks missing = desired (configured 2 when Container Insights is silent) - running"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.running_tasks["equiptrack-staging-gateway"].treat_missing_data == "breaching"
    error_message = "no data is an alarm"
  }
  assert {
    condition = toset(flatten([for q in aws_cloudwatch_metric_alarm.running_tasks["equiptrack-staging-ui"].metric_query : [for m in q.metric : "${m.namespace}/${m.metric_name}/${m.dimensions["ClusterName"]}/${m.dimensions["ServiceName"]}"]])) == toset([
      "ECS/ContainerInsights/RunningTaskCount/equiptrack-staging/equiptrack-staging-ui",
      "ECS/ContainerInsights/DesiredTaskCount/equiptrack-staging/equiptrack-staging-ui",
    ])
    error_message = "running and desired counts of the service in its cluster"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.db_cpu[0].dimensions == tomap({ DBInstanceIdentifier = "equiptrack-staging-postgres" }) && aws_cloudwatch_metric_alarm.db_cpu[0].threshold == 80
    error_message = "DB CPU above 80%"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.db_free_storage[0].threshold == 2147483648 && aws_cloudwatch_metric_alarm.db_free_storage[0].comparison_operator == "LessThanThreshold"
    error_message = "DB free storage below 2 GiB"
  }
  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "no e-mail subscription unless asked"
  }
  assert {
    condition     = output.log_retention_days == 30
    error_message = "default retention 30 days"
  }
}

run "alarm_email_subscribes" {
  command = plan

  variables {
    enable_alarms      = true
    alarm_email        = "ops@example.com"
    log_retention_days = 14
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "ops@example.com" && aws_sns_topic_subscription.email[0].protocol == "email"
    error_message = "e-mail subscription"
  }
  assert {
    condition     = output.log_retention_days == 14
    error_message = "retention passes through"
  }
}

run "service_without_desired_count_fails" {
  command = plan

  variables {
    enable_alarms = true
    service_names = ["equiptrack-staging-gateway", "equiptrack-staging-inventory"]
  }

  expect_failures = [aws_cloudwatch_metric_alarm.running_tasks]
}

run "rejects_bad_name_prefix" {
  command = plan
  variables { name_prefix = "staging" }
  expect_failures = [var.name_prefix]
}

run "rejects_fractional_desired_count" {
  command = plan
  variables { desired_counts = { "equiptrack-staging-gateway" = 1.5 } }
  expect_failures = [var.desired_counts]
}

run "rejects_bad_log_retention" {
  command = plan
  variables { log_retention_days = 10 }
  expect_failures = [var.log_retention_days]
}

run "rejects_bad_email" {
  command = plan
  variables { alarm_email = "ops-at-example" }
  expect_failures = [var.alarm_email]
}

run "rejects_bad_thresholds" {
  command = plan
  variables { thresholds = { http_5xx_percent = 0 } }
  expect_failures = [var.thresholds]
}
