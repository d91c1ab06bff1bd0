provider "registry.opentofu.org/hashicorp/aws" {
  version     = "6.66.0"
  constraints = ">= 6.0.0"
  hashes = [
    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  ]
}
