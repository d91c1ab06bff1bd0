output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zone_ids" {
  description = "Availability zone IDs the subnets are spread over, in order."
  value       = local.zone_ids
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per availability zone, in the order of availability_zone_ids."
  value       = [for az in local.zone_ids : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per availability zone, in the order of availability_zone_ids."
  value       = [for az in local.zone_ids : aws_subnet.private[az].id]
}

output "private_route_table_id" {
  description = "Route table of the private subnets (default route through the NAT instance)."
  value       = aws_route_table.private.id
}

output "nat_instance_id" {
  description = "ID of the NAT instance."
  value       = aws_instance.nat.id
}

output "nat_alarm_names" {
  description = "The NAT instance's recover and reboot alarms (only with enable_alarms)."
  value       = [for k in sort(keys(aws_cloudwatch_metric_alarm.nat)) : aws_cloudwatch_metric_alarm.nat[k].alarm_name]
}
