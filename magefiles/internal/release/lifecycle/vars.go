package lifecycle

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// AccountVar is the tfvars variable holding the AWS account an environment
// must run in (also the provider's allowed_account_ids).
const AccountVar = "account_id"

// Vars are the facts of an environment's committed terraform.tfvars that
// the lifecycle checks against AWS before any work.
type Vars struct {
	Env     string
	Region  string
	Account string // "" when the tfvars do not name it yet
	// Desired is each service's desired_count.
	Desired map[string]int
}

// Services lists the services, sorted.
func (v *Vars) Services() []string {
	out := make([]string, 0, len(v.Desired))
	for k := range v.Desired {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)

// ReadVars reads an environment root's committed configuration, in
// either layout the kit has had: a terraform.tfvars beside generic root
// files (region, environment, account_id, services), or a thin root whose
// main.tf holds the values as literals (provider "aws" { region,
// allowed_account_ids } and module "environment" { environment,
// account_id, services }). Both hold literals only, so they are evaluated
// without variables or functions.
func ReadVars(terraformRoot, env string) (*Vars, error) {
	dir := filepath.Join(terraformRoot, "envs", env)
	attrs, where, err := configAttributes(dir)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env, err)
	}
	str := func(name string) (string, error) {
		a, ok := attrs[name]
		if !ok {
			return "", nil
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || v.IsNull() || !v.Type().Equals(cty.String) {
			return "", fmt.Errorf("%s: %s must be a literal string", where, name)
		}
		return v.AsString(), nil
	}
	v := &Vars{Desired: map[string]int{}}
	if v.Env, err = str("environment"); err != nil {
		return nil, err
	}
	if v.Region, err = str("region"); err != nil {
		return nil, err
	}
	if v.Account, err = str(AccountVar); err != nil {
		return nil, err
	}
	if v.Account == "" {
		if a, ok := attrs["allowed_account_ids"]; ok {
			ids, diags := a.Expr.Value(nil)
			if diags.HasErrors() || !ids.CanIterateElements() || ids.LengthInt() != 1 {
				return nil, fmt.Errorf("%s: allowed_account_ids must be a literal list of one account", where)
			}
			if id := ids.Index(cty.NumberIntVal(0)); id.Type().Equals(cty.String) {
				v.Account = id.AsString()
			}
		}
	}
	if v.Env != env {
		return nil, fmt.Errorf("%s: environment = %q, want %q", where, v.Env, env)
	}
	if v.Region == "" {
		return nil, fmt.Errorf("%s: no region", where)
	}
	if v.Account != "" && !accountRe.MatchString(v.Account) {
		return nil, fmt.Errorf("%s: %s = %q: want 12 digits", where, AccountVar, v.Account)
	}
	a, ok := attrs["services"]
	if !ok {
		return nil, fmt.Errorf("%s: no services", where)
	}
	sv, diags := a.Expr.Value(nil)
	if diags.HasErrors() || sv.IsNull() || !(sv.Type().IsObjectType() || sv.Type().IsMapType()) {
		return nil, fmt.Errorf("%s: services must be a literal map", where)
	}
	for it := sv.ElementIterator(); it.Next(); {
		k, s := it.Element()
		name := k.AsString()
		if !s.Type().IsObjectType() || !s.Type().HasAttribute("desired_count") {
			return nil, fmt.Errorf("%s: services.%s has no desired_count", where, name)
		}
		dc := s.GetAttr("desired_count")
		if dc.IsNull() || !dc.Type().Equals(cty.Number) {
			return nil, fmt.Errorf("%s: services.%s.desired_count must be a number", where, name)
		}
		n, acc := dc.AsBigFloat().Int64()
		if acc != big.Exact || n < 0 {
			return nil, fmt.Errorf("%s: services.%s.desired_count must be a whole number >= 0", where, name)
		}
		v.Desired[name] = int(n)
	}
	if len(v.Desired) == 0 {
		return nil, fmt.Errorf("%s: services is empty", where)
	}
	return v, nil
}

// configAttributes collects the literal settings of a root: the
// attributes of terraform.tfvars when it exists, else those of the
// provider "aws" block and the module "environment" call of its *.tf
// files. where names the source for messages.
func configAttributes(dir string) (hclsyntax.Attributes, string, error) {
	tfvars := filepath.Join(dir, "terraform.tfvars")
	if src, err := os.ReadFile(tfvars); err == nil {
		f, diags := hclsyntax.ParseConfig(src, tfvars, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, "", fmt.Errorf("%s: %s", tfvars, diags.Error())
		}
		return f.Body.(*hclsyntax.Body).Attributes, tfvars, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		return nil, "", fmt.Errorf("%s: neither terraform.tfvars nor *.tf", dir)
	}
	out := hclsyntax.Attributes{}
	found := false
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		f, diags := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, "", fmt.Errorf("%s: %s", p, diags.Error())
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if (b.Type == "provider" && len(b.Labels) == 1 && b.Labels[0] == "aws") ||
				(b.Type == "module" && len(b.Labels) == 1 && b.Labels[0] == "environment") {
				found = true
				for k, a := range b.Body.Attributes {
					out[k] = a
				}
			}
		}
	}
	if !found {
		return nil, "", fmt.Errorf("%s: no terraform.tfvars, and no provider \"aws\" or module \"environment\" in its *.tf", dir)
	}
	return out, filepath.Join(dir, "*.tf"), nil
}
