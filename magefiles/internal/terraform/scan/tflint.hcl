# TFLint configuration of the kit's scan (magefiles/scan). Only the bundled
# terraform ruleset: the AWS ruleset is a plugin downloaded from GitHub
# releases, which the offline machines cannot reach.
config {
  # Each module is linted on its own (--recursive); module calls are not
  # followed, so a module's findings are reported once, at the module.
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# The contract between the modules asks for described inputs and outputs and
# the standard file layout; hold every module to it.
rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = true
}
