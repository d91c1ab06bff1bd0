output "arn" {
  description = "ARN of the load balancer (the VPC origin points at it)."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "Internal DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "security_group_id" {
  description = "Security group of the load balancer (service tasks admit traffic from it)."
  value       = aws_security_group.this.id
}

output "listener_arn" {
  description = "ARN of the HTTP listener."
  value       = aws_lb_listener.http.arn
}

# ECS refuses to register a service in a target group that no listener uses yet: consumers of the
# target groups wait for the listener and its rules.
output "target_group_arns" {
  description = "Map of target name => target group ARN (available once the listener and rules exist)."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn }
  depends_on  = [aws_lb_listener.http, aws_lb_listener_rule.path]
}

output "target_group_arn_suffixes" {
  description = "Map of target name => target group ARN suffix (CloudWatch dimension TargetGroup)."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn_suffix }
}

output "default_target" {
  description = "Name of the target that serves \"/\" (the listener's default action)."
  value       = local.default_target
}
