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

# One bad value per variable, one plan for all: each listed must fail, and
# nothing else may (terraform/README.md says which values share this run).
run "rejects_bad_values" {
  command = plan
  variables {
    # bad name prefix
    name_prefix = "-bad"
    # bad repository name
    repositories = ["Gateway"]
    # unknown mutability
    image_tag_mutability = "SOMETIMES"
    # too few images kept
    max_tagged_images = 2
    # zero expiry
    untagged_expiry_days = 0
  }
  expect_failures = [
    var.name_prefix,
    var.repositories,
    var.image_tag_mutability,
    var.max_tagged_images,
    var.untagged_expiry_days,
  ]
}

