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

// ReadVars reads envs/<env>/terraform.tfvars under a Terraform tree. The
// file holds literals only (a Go test of the envs keeps it so), so it is
// evaluated without variables or functions.
func ReadVars(terraformRoot, env string) (*Vars, error) {
	path := filepath.Join(terraformRoot, "envs", env, "terraform.tfvars")
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env, err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	str := func(name string) (string, error) {
		a, ok := attrs[name]
		if !ok {
			return "", nil
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || v.IsNull() || !v.Type().Equals(cty.String) {
			return "", fmt.Errorf("%s: %s must be a literal string", path, name)
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
	if v.Env != env {
		return nil, fmt.Errorf("%s: environment = %q, want %q", path, v.Env, env)
	}
	if v.Region == "" {
		return nil, fmt.Errorf("%s: no region", path)
	}
	if v.Account != "" && !accountRe.MatchString(v.Account) {
		return nil, fmt.Errorf("%s: %s = %q: want 12 digits", path, AccountVar, v.Account)
	}
	a, ok := attrs["services"]
	if !ok {
		return nil, fmt.Errorf("%s: no services", path)
	}
	sv, diags := a.Expr.Value(nil)
	if diags.HasErrors() || sv.IsNull() || !(sv.Type().IsObjectType() || sv.Type().IsMapType()) {
		return nil, fmt.Errorf("%s: services must be a literal map", path)
	}
	for it := sv.ElementIterator(); it.Next(); {
		k, s := it.Element()
		name := k.AsString()
		if !s.Type().IsObjectType() || !s.Type().HasAttribute("desired_count") {
			return nil, fmt.Errorf("%s: services.%s has no desired_count", path, name)
		}
		dc := s.GetAttr("desired_count")
		if dc.IsNull() || !dc.Type().Equals(cty.Number) {
			return nil, fmt.Errorf("%s: services.%s.desired_count must be a number", path, name)
		}
		n, acc := dc.AsBigFloat().Int64()
		if acc != big.Exact || n < 0 {
			return nil, fmt.Errorf("%s: services.%s.desired_count must be a whole number >= 0", path, name)
		}
		v.Desired[name] = int(n)
	}
	if len(v.Desired) == 0 {
		return nil, fmt.Errorf("%s: services is empty", path)
	}
	return v, nil
}
