// Package envtest holds the cross-environment tests of the kit's Terraform: facts no single
// *.tftest.hcl can see, checked over the offline plans of both roots (terraform/envs/dev and
// terraform/envs/staging) — regions and backend keys differ, no name is shared, nothing is
// referenced across, every taggable resource carries the environment's tags, task counts 1 vs 2,
// registry mutability, alarms only in staging — and over the roots' files (the *.tf files of the
// two roots are byte-identical; only terraform.tfvars and <env>.s3.tfbackend differ). Layout tests
// hold every module and root to the contract: the standard files, native tests, and an
// expect_failures entry for every validation block.
//
// The plans come from the offline toolchain (package tfdriver: OpenTofu against the hashicorp/aws
// schema replica), each in its own scratch copy and temporary plan file, so concurrent test
// processes never share a plan. Under `go test -short` the plan-based tests are skipped.
package envtest
