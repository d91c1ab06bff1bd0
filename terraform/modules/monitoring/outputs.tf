output "sns_topic_arn" {
  description = "ARN of the alarm topic; null when alarms are off."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "alarm_names" {
  description = "Names of every alarm created (empty when alarms are off)."
  value = concat(
    aws_cloudwatch_metric_alarm.http_5xx_rate[*].alarm_name,
    [for a in aws_cloudwatch_metric_alarm.unhealthy_targets : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.healthy_hosts : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.running_tasks : a.alarm_name],
    aws_cloudwatch_metric_alarm.db_cpu[*].alarm_name,
    aws_cloudwatch_metric_alarm.db_free_storage[*].alarm_name,
  )
}

output "log_retention_days" {
  description = "The validated log retention, for the log groups the environment creates."
  value       = var.log_retention_days
}

output "event_rule_names" {
  description = "Names of the EventBridge rules sending ECS events to the topic (empty with alarms off or Container Insights on)."
  value       = [for r in aws_cloudwatch_event_rule.ecs : r.name]
}
