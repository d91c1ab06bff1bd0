mock_provider "aws" {}

variables {
  name_prefix  = "equiptrack-test"
  repositories = ["gateway", "ui", "seeder"]
}

run "immutable_by_default" {
  command = plan

  assert {
    condition     = length(aws_ecr_repository.this) == 3
    error_message = "expected three repositories"
  }
  assert {
    condition     = aws_ecr_repository.this["gateway"].name == "equiptrack-test/gateway" && aws_ecr_repository.this["seeder"].name == "equiptrack-test/seeder"
    error_message = "repository names must be <name_prefix>/<name>"
  }
  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "IMMUTABLE"])
    error_message = "tags must be immutable by default"
  }
  assert {
    condition     = output.immutable == true
    error_message = "the immutable output must be true"
  }
  assert {
    condition     = aws_ecr_repository.this["ui"].image_scanning_configuration[0].scan_on_push == true
    error_message = "images are scanned on push"
  }
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["ui"].policy).rules[1].selection.countNumber == 30
    error_message = "the lifecycle policy keeps the last 30 images"
  }
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["ui"].policy).rules[0].selection.tagStatus == "untagged" && jsondecode(aws_ecr_lifecycle_policy.this["ui"].policy).rules[0].selection.countNumber == 7
    error_message = "untagged images expire after 7 days"
  }
}

run "mutable_for_dev" {
  command = plan

  variables {
    image_tag_mutability = "MUTABLE"
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "MUTABLE"])
    error_message = "dev repositories must be MUTABLE so `latest` can move"
  }
  assert {
    condition     = output.immutable == false
    error_message = "the immutable output must be false"
  }
}

run "rejects_bad_name_prefix" {
  command = plan
  variables {
    name_prefix = "-bad"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_repository_name" {
  command = plan
  variables {
    repositories = ["Gateway"]
  }
  expect_failures = [var.repositories]
}

run "rejects_unknown_mutability" {
  command = plan
  variables {
    image_tag_mutability = "SOMETIMES"
  }
  expect_failures = [var.image_tag_mutability]
}

run "rejects_too_few_images_kept" {
  command = plan
  variables {
    max_tagged_images = 2
  }
  expect_failures = [var.max_tagged_images]
}

run "rejects_zero_expiry" {
  command = plan
  variables {
    untagged_expiry_days = 0
  }
  expect_failures = [var.untagged_expiry_days]
}
