output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones the subnets are spread over, in input order."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per availability zone, in the order of availability_zones."
  value       = [for az in var.availability_zones : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per availability zone, in the order of availability_zones."
  value       = [for az in var.availability_zones : aws_subnet.private[az].id]
}

output "private_route_table_id" {
  description = "Route table of the private subnets (default route through the NAT instance)."
  value       = aws_route_table.private.id
}

output "nat_instance_id" {
  description = "ID of the NAT instance."
  value       = aws_instance.nat.id
}
