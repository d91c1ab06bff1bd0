package cost

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// resource is one managed resource instance of a plan's planned values,
// with what is unknown until apply (from resource_changes).
type resource struct {
	Address string
	Type    string
	Name    string
	Module  string // module instance address ("" for the root module)
	Index   any
	Values  map[string]any
	Unknown map[string]any
}

// index makes a plan searchable the way infracost reads it: resources by
// module instance, and the configuration's references between them.
type index struct {
	plan      *tfjson.Plan
	resources []*resource
	byAddr    map[string]*resource
}

func newIndex(p *tfjson.Plan) (*index, error) {
	if p == nil || p.PlannedValues == nil || p.PlannedValues.RootModule == nil {
		return nil, fmt.Errorf("plan has no planned values")
	}
	ix := &index{plan: p, byAddr: map[string]*resource{}}
	unknown := map[string]map[string]any{}
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		if m, ok := rc.Change.AfterUnknown.(map[string]any); ok {
			unknown[rc.Address] = m
		}
	}
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		for _, r := range m.Resources {
			if r.Mode != tfjson.ManagedResourceMode {
				continue
			}
			vals := r.AttributeValues
			if vals == nil {
				vals = map[string]any{}
			}
			res := &resource{Address: r.Address, Type: r.Type, Name: r.Name, Module: m.Address, Index: r.Index, Values: vals, Unknown: unknown[r.Address]}
			ix.resources = append(ix.resources, res)
			ix.byAddr[r.Address] = res
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(p.PlannedValues.RootModule)
	sort.Slice(ix.resources, func(i, j int) bool { return ix.resources[i].Address < ix.resources[j].Address })
	return ix, nil
}

func (ix *index) ofType(t string) []*resource {
	var out []*resource
	for _, r := range ix.resources {
		if r.Type == t {
			out = append(out, r)
		}
	}
	return out
}

var moduleSegment = regexp.MustCompile(`module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?`)

type modSeg struct{ name, key string }

// moduleSegments splits `module.a["x"].module.b` into its calls and keys.
func moduleSegments(addr string) []modSeg {
	var out []modSeg
	for _, m := range moduleSegment.FindAllStringSubmatch(addr, -1) {
		out = append(out, modSeg{m[1], m[2]})
	}
	return out
}

func joinSegments(segs []modSeg) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = "module." + s.name + s.key
	}
	return strings.Join(parts, ".")
}

// configModule returns the configuration of a module instance.
func (ix *index) configModule(moduleAddr string) *tfjson.ConfigModule {
	if ix.plan.Config == nil {
		return nil
	}
	m := ix.plan.Config.RootModule
	for _, s := range moduleSegments(moduleAddr) {
		if m == nil {
			return nil
		}
		call := m.ModuleCalls[s.name]
		if call == nil {
			return nil
		}
		m = call.Module
	}
	return m
}

func (ix *index) configResource(r *resource) *tfjson.ConfigResource {
	m := ix.configModule(r.Module)
	if m == nil {
		return nil
	}
	want := r.Type + "." + r.Name
	for _, c := range m.Resources {
		if c.Address == want && c.Mode == tfjson.ManagedResourceMode {
			return c
		}
	}
	return nil
}

// refTarget resolves, as infracost does, what a resource's attribute refers
// to: a resource of type wantType in the same module instance, following
// var.* through the module call into the parent and module.X.Y outputs
// into the child. nil when the reference cannot be followed.
func (ix *index) refTarget(r *resource, attr, wantType string) *resource {
	c := ix.configResource(r)
	if c == nil {
		return nil
	}
	e := c.Expressions[attr]
	if e == nil {
		return nil
	}
	return ix.follow(r.Module, e.References, wantType, r.Index, 0)
}

func (ix *index) follow(moduleAddr string, refs []string, wantType string, idx any, depth int) *resource {
	if depth > 8 {
		return nil
	}
	for _, ref := range refs {
		parts := strings.Split(ref, ".")
		switch {
		case parts[0] == wantType && len(parts) >= 2:
			name := parts[1]
			if i := strings.IndexByte(name, '['); i >= 0 {
				name = name[:i]
			}
			var cands []*resource
			for _, x := range ix.resources {
				if x.Module == moduleAddr && x.Type == wantType && x.Name == name {
					cands = append(cands, x)
				}
			}
			if len(cands) == 1 {
				return cands[0]
			}
			for _, x := range cands {
				if idx != nil && fmt.Sprint(x.Index) == fmt.Sprint(idx) {
					return x
				}
			}
		case parts[0] == "var" && len(parts) >= 2:
			segs := moduleSegments(moduleAddr)
			if len(segs) == 0 {
				continue
			}
			parent := joinSegments(segs[:len(segs)-1])
			pm := ix.configModule(parent)
			if pm == nil || pm.ModuleCalls[segs[len(segs)-1].name] == nil {
				continue
			}
			e := pm.ModuleCalls[segs[len(segs)-1].name].Expressions[parts[1]]
			if e == nil {
				continue
			}
			if t := ix.follow(parent, e.References, wantType, nil, depth+1); t != nil {
				return t
			}
		case parts[0] == "module" && len(parts) >= 3:
			name := parts[1]
			if i := strings.IndexByte(name, '['); i >= 0 {
				name = name[:i]
			}
			cm := ix.configModule(moduleAddr)
			if cm == nil || cm.ModuleCalls[name] == nil || cm.ModuleCalls[name].Module == nil {
				continue
			}
			out := cm.ModuleCalls[name].Module.Outputs[parts[2]]
			if out == nil || out.Expression == nil {
				continue
			}
			// The child instance: the one with this call name (one instance
			// unless the call itself uses count/for_each).
			prefix := "module." + name
			if moduleAddr != "" {
				prefix = moduleAddr + "." + prefix
			}
			seen := map[string]bool{}
			for _, x := range ix.resources {
				if x.Module == prefix || strings.HasPrefix(x.Module, prefix+"[") {
					inst := x.Module
					if strings.HasPrefix(x.Module, prefix+"[") {
						if i := strings.Index(x.Module[len(prefix):], "]"); i >= 0 {
							inst = x.Module[:len(prefix)+i+1]
						}
					}
					seen[inst] = true
				}
			}
			if len(seen) != 1 {
				continue
			}
			for inst := range seen {
				if t := ix.follow(inst, out.Expression.References, wantType, nil, depth+1); t != nil {
					return t
				}
			}
		}
	}
	return nil
}

// region is the aws provider's region: a constant, or a variable's value.
func (ix *index) region() string {
	if ix.plan.Config != nil {
		if pc := ix.plan.Config.ProviderConfigs["aws"]; pc != nil {
			if e := pc.Expressions["region"]; e != nil {
				if s, ok := e.ConstantValue.(string); ok && s != "" {
					return s
				}
				for _, ref := range e.References {
					if name, ok := strings.CutPrefix(ref, "var."); ok {
						if v := ix.plan.Variables[name]; v != nil {
							if s, ok := v.Value.(string); ok && s != "" {
								return s
							}
						}
					}
				}
			}
		}
	}
	if v := ix.plan.Variables["region"]; v != nil {
		if s, ok := v.Value.(string); ok && s != "" {
			return s
		}
	}
	// aws provider 6 records the region on every resource.
	for _, r := range ix.resources {
		if s, ok := r.Values["region"].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// --- value helpers -------------------------------------------------------

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) (float64, bool) {
	switch v := m[k].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case string:
		var f float64
		if _, err := fmt.Sscanf(v, "%g", &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func blocks(m map[string]any, k string) []map[string]any {
	l, _ := m[k].([]any)
	var out []map[string]any
	for _, x := range l {
		if mm, ok := x.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}

// listLen is the length of a list attribute, known or not yet known (the
// subnets of a load balancer are unknown ids at plan time, but their count
// is in after_unknown).
func (r *resource) listLen(k string) int {
	if l, ok := r.Values[k].([]any); ok && len(l) > 0 {
		return len(l)
	}
	if l, ok := r.Unknown[k].([]any); ok {
		return len(l)
	}
	return 0
}
