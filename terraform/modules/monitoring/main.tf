# Alarms of one environment and the SNS topic they notify. Everything here
# exists only when enable_alarms is true (staging); dev pays for none of it.

locals {
  alarms_on = var.enable_alarms
  # With Container Insights: one RunningTaskCount alarm per service (billed metrics).
  # Without it (the default): free signals — ALB HealthyHostCount for the services behind the load
  # balancer and ECS events on EventBridge for every service.
  watched_services = local.alarms_on && var.container_insights ? toset(var.service_names) : toset([])
  healthy_hosts    = local.alarms_on && !var.container_insights ? var.target_group_arn_suffixes : {}
  events_on        = local.alarms_on && !var.container_insights
  alarm_actions    = local.alarms_on ? [aws_sns_topic.alarms[0].arn] : []
  # Written out (not read from the topic) so the topic policy is known, and reviewable, at plan.
  topic_arn = local.alarms_on ? "arn:${data.aws_partition.current[0].partition}:sns:${data.aws_region.current[0].region}:${data.aws_caller_identity.current[0].account_id}:${var.name_prefix}-alarms" : null

  # Deployment events name the service (arn:…:service/<cluster>/<service>) but carry no clusterArn.
  service_arn_prefix = var.cluster_arn == null ? "" : "${replace(var.cluster_arn, ":cluster/", ":service/")}/"

  # Stop codes of a task that died rather than being replaced on purpose. ServiceSchedulerInitiated
  # (every deploy, scale-in, schedule) and UserInitiated (StopTask, e.g. a one-off seeder) are left
  # out; tasks the scheduler replaced because they failed a health check are matched by their
  # stoppedReason below.
  abnormal_stop_codes = ["EssentialContainerExited", "TaskFailedToStart", "SpotInterruption", "TerminationNotice"]

  event_patterns = {
    task-stopped = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Task State Change"]
      detail = {
        clusterArn = [var.cluster_arn]
        lastStatus = ["STOPPED"]
        stopCode   = local.abnormal_stop_codes
      }
    }
    task-unhealthy = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Task State Change"]
      detail = {
        clusterArn    = [var.cluster_arn]
        lastStatus    = ["STOPPED"]
        stopCode      = ["ServiceSchedulerInitiated"]
        stoppedReason = [{ prefix = "Task failed container health checks" }, { prefix = "Task failed ELB health checks" }]
      }
    }
    service-action = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Service Action"]
      detail = {
        clusterArn = [var.cluster_arn]
        eventName  = var.service_action_events
      }
    }
    deployment-failed = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Deployment State Change"]
      resources     = [{ prefix = local.service_arn_prefix }]
      detail = {
        eventName = ["SERVICE_DEPLOYMENT_FAILED"]
      }
    }
  }
}

data "aws_caller_identity" "current" {
  count = local.alarms_on ? 1 : 0
}

data "aws_partition" "current" {
  count = local.alarms_on ? 1 : 0
}

data "aws_region" "current" {
  count = local.alarms_on ? 1 : 0
}

# CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed
# key aws/sns (its key policy cannot grant cloudwatch.amazonaws.com), so the
# topic gets its own customer key ($1/month, staging only).
data "aws_iam_policy_document" "alarm_key" {
  count = local.alarms_on ? 1 : 0

  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current[0].account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishesToTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  # EventBridge delivers the ECS events to the encrypted topic (the AWS-managed aws/sns key could
  # not grant it either).
  statement {
    sid       = "EventBridgePublishesToTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "alarms" {
  count = local.alarms_on ? 1 : 0

  description             = "${var.name_prefix} alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.alarm_key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "alarms" {
  count = local.alarms_on ? 1 : 0

  name          = "alias/${var.name_prefix}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

resource "aws_sns_topic" "alarms" {
  count = local.alarms_on ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.alarms[0].arn
  tags              = var.tags
}

# The topic policy replaces SNS's default one, so it restates what the default allowed (the
# account manages its topic) and adds the two publishers, each limited to this account.
data "aws_iam_policy_document" "topic" {
  count = local.alarms_on ? 1 : 0

  statement {
    sid = "AccountManagesTopic"
    actions = [
      "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
      "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
    ]
    resources = [local.topic_arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current[0].account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current[0].account_id]
    }
  }

  statement {
    sid       = "EventBridgePublishes"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current[0].account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  count = local.alarms_on ? 1 : 0

  arn    = aws_sns_topic.alarms[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "email" {
  count = local.alarms_on && var.alarm_email != null ? 1 : 0

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# 5xx rate of the load balancer: (ELB 5xx + target 5xx) / requests, in
# percent, over 5-minute periods; no traffic means no alarm.
resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  count = local.alarms_on ? 1 : 0

  alarm_name          = "${var.name_prefix}-alb-5xx-rate"
  alarm_description   = "More than ${var.thresholds.http_5xx_percent}% of requests to the load balancer end in a 5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.http_5xx_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  for_each = local.alarms_on ? var.target_group_arn_suffixes : {}

  alarm_name          = "${var.name_prefix}-${each.key}-unhealthy-targets"
  alarm_description   = "Target group of ${each.key} has unhealthy targets"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Without Container Insights, the services behind the load balancer are watched through the target
# group (AWS/ApplicationELB metrics are free): fewer healthy targets than the service's desired
# count for five minutes. A rolling deploy that keeps 100% healthy never goes below; a crash loop,
# failing readiness or a Spot shortage does. With a schedule scaling the service to zero this alarm
# fires outside the hours (the configured desired count does not follow the schedule): switch
# container_insights on, or accept the nightly notification.
resource "aws_cloudwatch_metric_alarm" "healthy_hosts" {
  for_each = local.healthy_hosts

  alarm_name          = "${var.name_prefix}-${each.key}-healthy-below-desired"
  alarm_description   = "Target group of ${each.key} has fewer healthy targets than the service's ${lookup(var.desired_counts, each.key, 1)} desired tasks"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = lookup(var.desired_counts, each.key, 1)
  # No data from a target group attached to the load balancer means it is gone or broken.
  treat_missing_data = "breaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = contains(keys(var.desired_counts), each.key)
      error_message = "desired_counts has no entry for service ${each.key}: its healthy-host alarm needs a desired count."
    }
  }
}

# Every service, behind the load balancer or not: ECS's own events on the default bus (AWS service
# events are free) go straight to the alarm topic. Matching on the cluster keeps the other
# environment and other clusters of the account out.
resource "aws_cloudwatch_event_rule" "ecs" {
  # Keys are static; the patterns (cluster ARN) may be known only after apply.
  for_each = { for k, p in local.event_patterns : k => jsonencode(p) if local.events_on }

  name          = "${var.name_prefix}-ecs-${each.key}"
  description   = "ECS ${each.key} events of ${var.name_prefix} to the alarm topic"
  event_pattern = each.value
  tags          = var.tags

  lifecycle {
    precondition {
      condition     = var.cluster_arn != null
      error_message = "cluster_arn is required for the ECS event rules (alarms on, Container Insights off)."
    }
  }
}

resource "aws_cloudwatch_event_target" "ecs" {
  for_each = aws_cloudwatch_event_rule.ecs

  rule      = each.value.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms[0].arn
}

# Tasks missing = desired - running, from Container Insights (the cluster
# must have containerInsights enabled). Comparing with the service's own
# DesiredTaskCount keeps the alarm right when a schedule scales the service
# to zero; when Container Insights reports no desired count, the desired
# count of the configuration stands in, so a silent metric source alarms
# instead of looking healthy. A rolling deploy that keeps 100% healthy never
# drops below desired; five minutes below desired is a crash loop or a
# capacity (Spot) shortage.
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  for_each = local.watched_services

  alarm_name          = "${var.name_prefix}-${each.key}-running-below-desired"
  alarm_description   = "Service ${each.key} runs fewer tasks than it wants"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "missing"
    expression  = "FILL(desired, ${lookup(var.desired_counts, each.key, 1)}) - FILL(running, 0)"
    label       = "tasks missing"
    return_data = true
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = each.key }
      period      = 60
      stat        = "Minimum"
    }
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = each.key }
      period      = 60
      stat        = "Maximum"
    }
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.desired_counts), each.key)
      error_message = "desired_counts has no entry for service ${each.key}: its running-task alarm needs a desired count."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  count = local.alarms_on ? 1 : 0

  alarm_name          = "${var.name_prefix}-db-cpu-high"
  alarm_description   = "Database CPU above ${var.thresholds.db_cpu_percent}% for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.db_cpu_percent
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  count = local.alarms_on ? 1 : 0

  alarm_name          = "${var.name_prefix}-db-free-storage-low"
  alarm_description   = "Database free storage below ${var.thresholds.db_free_storage_gib} GiB"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.thresholds.db_free_storage_gib * 1073741824
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
