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

override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}

override_data {
  target = data.aws_region.current
  values = { region = "us-east-1" }
}

variables {
  name_prefix    = "equiptrack-staging"
  alb_arn_suffix = "app/equiptrack-staging/0123456789abcdef"
  target_group_arn_suffixes = {
    gateway = "targetgroup/equiptrack-staging-gateway/1111111111111111"
    ui      = "targetgroup/equiptrack-staging-ui/2222222222222222"
  }
  cluster_name   = "equiptrack-staging"
  cluster_arn    = "arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"
  service_names  = ["gateway", "ui"]
  desired_counts = { gateway = 2, ui = 3 }
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
    condition     = length(aws_kms_key.alarms) == 0 && length(aws_sns_topic.alarms) == 0 && length(aws_sns_topic_policy.alarms) == 0
    error_message = "no key, no topic"
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.ecs) == 0 && length(aws_cloudwatch_metric_alarm.healthy_hosts) == 0
    error_message = "no event rules, no healthy-host alarms"
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
      "equiptrack-staging-gateway-healthy-below-desired",
      "equiptrack-staging-ui-healthy-below-desired",
      "equiptrack-staging-db-cpu-high",
      "equiptrack-staging-db-free-storage-low",
    ])
    error_message = "the seven alarms of two services behind the ALB, Container Insights off"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.running_tasks) == 0
    error_message = "no Container Insights alarm by default"
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
      [for s in jsondecode(data.aws_iam_policy_document.alarm_key[0].json).Statement : s.Principal.Service if s.Sid == "EventBridgePublishesToTopic"],
      "events.amazonaws.com"
    )
    error_message = "EventBridge may use the topic key"
  }
  assert {
    condition = contains(
      [for s in jsondecode(data.aws_iam_policy_document.alarm_key[0].json).Statement : s.Principal.AWS if s.Sid == "AccountAdministersKey"],
      "arn:aws:iam::123456789012:root"
    )
    error_message = "the account administers the topic key"
  }
  assert {
    condition = one([for s in jsondecode(data.aws_iam_policy_document.topic[0].json).Statement : s if s.Sid == "EventBridgePublishes"]) == {
      Sid       = "EventBridgePublishes"
      Effect    = "Allow"
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:us-east-1:123456789012:equiptrack-staging-alarms"
      Principal = { Service = "events.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
    }
    error_message = "EventBridge may publish to the topic, from this account only"
  }
  assert {
    condition     = one([for s in jsondecode(data.aws_iam_policy_document.topic[0].json).Statement : s.Principal.Service if s.Sid == "CloudWatchAlarmsPublish"]) == "cloudwatch.amazonaws.com"
    error_message = "the topic policy keeps CloudWatch alarms publishing"
  }
  assert {
    condition     = length(aws_sns_topic_policy.alarms) == 1
    error_message = "the topic has its policy"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.http_5xx_rate[0].threshold == 5 && aws_cloudwatch_metric_alarm.http_5xx_rate[0].comparison_operator == "GreaterThanThreshold"
    error_message = "5xx rate above 5%"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_targets["gateway"].metric_name == "UnHealthyHostCount" && aws_cloudwatch_metric_alarm.unhealthy_targets["gateway"].threshold == 0
    error_message = "any unhealthy host alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.healthy_hosts["ui"].dimensions == tomap({ LoadBalancer = "app/equiptrack-staging/0123456789abcdef", TargetGroup = "targetgroup/equiptrack-staging-ui/2222222222222222" })
    error_message = "healthy-host alarm on the ui target group"
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].namespace == "AWS/ApplicationELB" &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].metric_name == "HealthyHostCount" &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].statistic == "Minimum" &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].threshold == 2 &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].evaluation_periods == 5 &&
      aws_cloudwatch_metric_alarm.healthy_hosts["gateway"].treat_missing_data == "breaching"
    )
    error_message = "alarm when fewer than the 2 desired targets are healthy for 5 minutes"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.healthy_hosts["ui"].threshold == 3
    error_message = "ui threshold is its own desired count (3)"
  }
  assert {
    condition     = toset(output.event_rule_names) == toset(["equiptrack-staging-ecs-task-stopped", "equiptrack-staging-ecs-task-unhealthy", "equiptrack-staging-ecs-service-action", "equiptrack-staging-ecs-deployment-failed"])
    error_message = "four ECS event rules"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.ecs["task-stopped"].event_pattern) == {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Task State Change"]
      detail = {
        clusterArn = ["arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"]
        lastStatus = ["STOPPED"]
        stopCode   = ["EssentialContainerExited", "TaskFailedToStart", "SpotInterruption", "TerminationNotice"]
      }
    }
    error_message = "tasks of this cluster stopped abnormally (no ServiceSchedulerInitiated, no UserInitiated)"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.ecs["task-unhealthy"].event_pattern).detail == {
      clusterArn    = ["arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"]
      lastStatus    = ["STOPPED"]
      stopCode      = ["ServiceSchedulerInitiated"]
      stoppedReason = [{ prefix = "Task failed container health checks" }, { prefix = "Task failed ELB health checks" }]
    }
    error_message = "tasks the scheduler replaced because they failed a health check"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.ecs["service-action"].event_pattern) == {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Service Action"]
      detail = {
        clusterArn = ["arn:aws:ecs:us-east-1:123456789012:cluster/equiptrack-staging"]
        eventName  = ["SERVICE_TASK_START_IMPAIRED", "SERVICE_TASK_PLACEMENT_FAILURE", "SERVICE_TASK_CONFIGURATION_FAILURE", "SERVICE_DISCOVERY_INSTANCE_UNHEALTHY"]
      }
    }
    error_message = "service actions that mean tasks cannot run"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.ecs["deployment-failed"].event_pattern) == {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Deployment State Change"]
      resources     = [{ prefix = "arn:aws:ecs:us-east-1:123456789012:service/equiptrack-staging/" }]
      detail        = { eventName = ["SERVICE_DEPLOYMENT_FAILED"] }
    }
    error_message = "failed deployments of this cluster's services"
  }
  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.ecs : t.target_id == "alarm-topic"]) && length(aws_cloudwatch_event_target.ecs) == 4
    error_message = "every rule targets the alarm topic"
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
    condition     = output.log_retention_days == 30
    error_message = "default retention 30 days"
  }
}

run "container_insights_on_running_task_alarms" {
  command = plan

  variables {
    enable_alarms      = true
    container_insights = true
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.healthy_hosts) == 0 && length(aws_cloudwatch_event_rule.ecs) == 0 && length(output.event_rule_names) == 0
    error_message = "with Container Insights, no healthy-host alarms and no event rules"
  }

  assert {
    condition = toset(output.alarm_names) == toset([
      "equiptrack-staging-alb-5xx-rate",
      "equiptrack-staging-gateway-unhealthy-targets",
      "equiptrack-staging-ui-unhealthy-targets",
      "equiptrack-staging-gateway-running-below-desired",
      "equiptrack-staging-ui-running-below-desired",
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
    condition     = aws_cloudwatch_metric_alarm.running_tasks["gateway"].threshold == 0 && aws_cloudwatch_metric_alarm.running_tasks["gateway"].comparison_operator == "GreaterThanThreshold"
    error_message = "alarm when any task is missing"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.running_tasks["gateway"].metric_query : q.expression if q.id == "missing"]) == "FILL(desired, 2) - FILL(running, 0)"
    error_message = "tasks missing = desired (configured 2 when Container Insights is silent) - running"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.running_tasks["gateway"].treat_missing_data == "breaching"
    error_message = "no data is an alarm"
  }
  assert {
    condition = toset(flatten([for q in aws_cloudwatch_metric_alarm.running_tasks["ui"].metric_query : [for m in q.metric : "${m.namespace}/${m.metric_name}/${m.dimensions["ClusterName"]}/${m.dimensions["ServiceName"]}"]])) == toset([
      "ECS/ContainerInsights/RunningTaskCount/equiptrack-staging/ui",
      "ECS/ContainerInsights/DesiredTaskCount/equiptrack-staging/ui",
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
    enable_alarms      = true
    container_insights = true
    service_names      = ["gateway", "inventory"]
  }

  expect_failures = [aws_cloudwatch_metric_alarm.running_tasks]
}

run "healthy_hosts_without_desired_count_fails" {
  command = plan

  variables {
    enable_alarms  = true
    desired_counts = { gateway = 2 }
  }

  expect_failures = [aws_cloudwatch_metric_alarm.healthy_hosts]
}

run "event_rules_need_cluster_arn" {
  command = plan

  variables {
    enable_alarms = true
    cluster_arn   = null
  }

  expect_failures = [aws_cloudwatch_event_rule.ecs]
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad cluster arn
    cluster_arn = "equiptrack-staging"
    # info service action events
    service_action_events = ["SERVICE_STEADY_STATE"]
    # bad name prefix
    name_prefix = "staging"
    # fractional desired count
    desired_counts = { gateway = 1.5 }
    # bad log retention
    log_retention_days = 10
    # bad email
    alarm_email = "ops-at-example"
    # bad thresholds
    thresholds = { http_5xx_percent = 0 }
  }
  expect_failures = [
    var.cluster_arn,
    var.service_action_events,
    var.name_prefix,
    var.desired_counts,
    var.log_retention_days,
    var.alarm_email,
    var.thresholds,
  ]
}

