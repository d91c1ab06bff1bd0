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

variables {
  name_prefix               = "equiptrack-dev"
  vpc_id                    = "vpc-0123456789abcdef0"
  subnet_ids                = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  client_security_group_ids = ["sg-0ccccccccccccccc3"]
  backup_retention_days     = 1
  deletion_protection       = true
  skip_final_snapshot       = false
}

run "defaults_are_small_encrypted_and_private" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret_rotation.master.rotation_rules[0].schedule_expression == "cron(0 6 ? * SUN#1 *)" && aws_secretsmanager_secret_rotation.master.rotation_rules[0].duration == "1h"
    error_message = "the master secret rotates on an explicit monthly schedule (not RDS's default weekly), after the maintenance window"
  }
  assert {
    condition     = aws_db_instance.this.identifier == "equiptrack-dev-postgres"
    error_message = "identifier must carry the environment"
  }
  assert {
    condition     = aws_db_instance.this.engine == "postgres" && aws_db_instance.this.engine_version == "16"
    error_message = "engine must be PostgreSQL 16"
  }
  assert {
    condition     = aws_db_instance.this.instance_class == "db.t4g.micro"
    error_message = "default instance class must be db.t4g.micro"
  }
  assert {
    condition     = aws_db_instance.this.storage_type == "gp3" && aws_db_instance.this.allocated_storage == 20
    error_message = "storage must be gp3 20 GiB"
  }
  assert {
    condition     = aws_db_instance.this.storage_encrypted == true
    error_message = "storage must be encrypted"
  }
  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "the database must not be publicly accessible"
  }
  assert {
    condition     = aws_db_instance.this.multi_az == false
    error_message = "single-AZ by design (cost)"
  }
  assert {
    condition     = aws_db_instance.this.manage_master_user_password == true && aws_db_instance.this.username == "equiptrack"
    error_message = "RDS must manage the master password in Secrets Manager"
  }
  assert {
    condition     = aws_db_instance.this.db_name == "equiptrack"
    error_message = "default database name is equiptrack"
  }
  assert {
    condition     = aws_db_instance.this.backup_retention_period == 1
    error_message = "backup retention must follow backup_retention_days"
  }
  assert {
    condition     = aws_db_instance.this.deletion_protection == true && aws_db_instance.this.skip_final_snapshot == false
    error_message = "deletion protection on and final snapshot kept"
  }
  assert {
    condition     = can(regex("^equiptrack-dev-postgres-final-[0-9]{14}$", aws_db_instance.this.final_snapshot_identifier))
    error_message = "final snapshot name derives from the name prefix and is unique (time of the plan that created the instance)"
  }
  assert {
    condition     = aws_db_instance.this.performance_insights_enabled == false
    error_message = "performance insights must be off (cost)"
  }
  assert {
    condition     = aws_db_instance.this.auto_minor_version_upgrade == true
    error_message = "auto minor version upgrades must be on"
  }
  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16" && aws_db_parameter_group.this.name == "equiptrack-dev-postgres-postgres16"
    error_message = "parameter group must be of family postgres16"
  }
  assert {
    condition     = contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.value}"], "rds.force_ssl=1")
    error_message = "the parameter group must force TLS"
  }
  assert {
    condition     = aws_db_subnet_group.this.name == "equiptrack-dev-postgres" && aws_db_subnet_group.this.subnet_ids == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "subnet group must hold the given private subnets"
  }
  assert {
    condition     = aws_security_group.this.vpc_id == "vpc-0123456789abcdef0" && aws_security_group.this.name == "equiptrack-dev-postgres"
    error_message = "security group in the given VPC, named for the environment"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.clients) == 1
    error_message = "one ingress rule per client group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.clients[0].referenced_security_group_id == "sg-0ccccccccccccccc3"
    error_message = "ingress only from the client security group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.clients[0].cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.clients[0].cidr_ipv6 == null
    error_message = "no CIDR ingress at all"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.clients[0].from_port == 5432 && aws_vpc_security_group_ingress_rule.clients[0].to_port == 5432 && aws_vpc_security_group_ingress_rule.clients[0].ip_protocol == "tcp"
    error_message = "ingress only on tcp/5432"
  }
  assert {
    condition     = output.instance_id == "equiptrack-dev-postgres"
    error_message = "instance_id output is the identifier (alarm dimension)"
  }
}

run "staging_like_backups_and_destroy_switch" {
  command = plan

  variables {
    name_prefix               = "equiptrack-staging"
    backup_retention_days     = 7
    deletion_protection       = false
    skip_final_snapshot       = true
    client_security_group_ids = ["sg-0ccccccccccccccc3", "sg-0ddddddddddddddd4"]
    engine_version            = "17.2"
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7
    error_message = "backup retention must be 7 days"
  }
  assert {
    condition     = aws_db_instance.this.deletion_protection == false && aws_db_instance.this.skip_final_snapshot == true
    error_message = "the destroy switches must turn off"
  }
  assert {
    condition     = aws_db_instance.this.final_snapshot_identifier == null
    error_message = "no final snapshot name when the snapshot is skipped"
  }
  assert {
    condition     = aws_db_parameter_group.this.family == "postgres17"
    error_message = "family follows the major version"
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.clients : r.referenced_security_group_id] == ["sg-0ccccccccccccccc3", "sg-0ddddddddddddddd4"]
    error_message = "one rule per client group, in order"
  }
}

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "Prod_DB"
    # bad vpc id
    vpc_id = "subnet-0123"
    # single subnet
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
    # no clients
    client_security_group_ids = []
    # bad instance class
    instance_class = "t4g.micro"
    # small storage
    allocated_storage_gb = 10
    # bad engine version
    engine_version = "9.6"
    # zero backup retention
    backup_retention_days = 0
    # bad db name
    db_name = "Equip-Track"
    # reserved username
    username = "postgres"
    # bad rotation schedule
    master_password_rotation = { schedule = "every month" }
  }
  expect_failures = [
    var.name_prefix,
    var.vpc_id,
    var.subnet_ids,
    var.client_security_group_ids,
    var.instance_class,
    var.allocated_storage_gb,
    var.engine_version,
    var.backup_retention_days,
    var.db_name,
    var.username,
    var.master_password_rotation,
  ]
}

