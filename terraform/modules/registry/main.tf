# One ECR repository per service (and the seeder), per environment: "<name_prefix>/<name>".
# Staging uses IMMUTABLE tags, so a released version can never be overwritten; dev is MUTABLE so CI
# can move `latest` on every push to main.

# Why (AVD-AWS-0033): the AWS-managed AES256 encryption is sufficient here; a customer-managed KMS key costs $1/month per key per environment and adds nothing for these images.
# Why (AVD-AWS-0031): mutability is an input on purpose: dev is MUTABLE so CI can move `latest` (docs/infrastructure.md); staging is IMMUTABLE (asserted by terraform/envtest).
#trivy:ignore:AVD-AWS-0033
#trivy:ignore:AVD-AWS-0031
resource "aws_ecr_repository" "this" {
  for_each = var.repositories

  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = var.image_tag_mutability
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expiry_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.max_tagged_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.max_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
