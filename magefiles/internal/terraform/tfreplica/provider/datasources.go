package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// localDataSources render data sources that need no AWS call for real, so
// tests can assert on them (a trust policy's principal, an ARN's region).
// Each returns attribute values by name; only attributes the schema has and
// the configuration left null are set.
var localDataSources = map[string]func(e env, cfg map[string]any) (map[string]any, error){
	"aws_iam_policy_document": policyDocument,
	"aws_region": func(e env, cfg map[string]any) (map[string]any, error) {
		r := e.region
		if s, _ := cfg["region"].(string); s != "" {
			r = s
		} else if s, _ := cfg["name"].(string); s != "" {
			r = s
		}
		return map[string]any{
			"id": r, "name": r, "region": r,
			"endpoint":    "ec2." + r + ".amazonaws.com",
			"description": regionDescription(r),
		}, nil
	},
	"aws_caller_identity": func(e env, _ map[string]any) (map[string]any, error) {
		return map[string]any{
			"id": AccountID, "account_id": AccountID,
			"arn":     "arn:aws:iam::" + AccountID + ":user/replica",
			"user_id": "AIDAREPLICAREPLICA0000",
		}, nil
	},
	"aws_partition": func(e env, _ map[string]any) (map[string]any, error) {
		return map[string]any{
			"id": "aws", "partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws",
		}, nil
	},
	"aws_availability_zones": func(e env, cfg map[string]any) (map[string]any, error) {
		r := e.region
		if s, _ := cfg["region"].(string); s != "" {
			r = s
		}
		prefix := zoneIDPrefix(r)
		return map[string]any{
			"id":          r,
			"names":       []any{r + "a", r + "b", r + "c"},
			"zone_ids":    []any{prefix + "-az1", prefix + "-az2", prefix + "-az3"},
			"group_names": []any{r},
		}, nil
	},
	// Every zone of the region offers the filtered instance types, so a configuration that
	// intersects these locations with aws_availability_zones keeps all three zones (and a test
	// that wants a zone without a type overrides this data source).
	"aws_ec2_instance_type_offerings": func(e env, cfg map[string]any) (map[string]any, error) {
		r := e.region
		if s, _ := cfg["region"].(string); s != "" {
			r = s
		}
		lt, _ := cfg["location_type"].(string)
		if lt == "" {
			lt = "region"
		}
		var types []string
		for _, f := range asMaps(cfg["filter"]) {
			if f["name"] == "instance-type" {
				for _, v := range asSlice(f["values"]) {
					if s, ok := v.(string); ok {
						types = append(types, s)
					}
				}
			}
		}
		var locs []string
		switch lt {
		case "availability-zone-id":
			p := zoneIDPrefix(r)
			locs = []string{p + "-az1", p + "-az2", p + "-az3"}
		case "availability-zone":
			locs = []string{r + "a", r + "b", r + "c"}
		default:
			locs = []string{r}
		}
		var its, ls, lts []any
		for _, t := range types {
			for _, l := range locs {
				its, ls, lts = append(its, t), append(ls, l), append(lts, lt)
			}
		}
		return map[string]any{"id": r, "instance_types": its, "locations": ls, "location_types": lts}, nil
	},
}

func asMaps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asSlice(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asSlice(v any) []any {
	l, _ := v.([]any)
	return l
}

func regionDescription(r string) string {
	switch r {
	case "us-east-1":
		return "US East (N. Virginia)"
	case "us-east-2":
		return "US East (Ohio)"
	case "us-west-1":
		return "US West (N. California)"
	case "us-west-2":
		return "US West (Oregon)"
	case "eu-west-1":
		return "Europe (Ireland)"
	case "eu-central-1":
		return "Europe (Frankfurt)"
	}
	return r
}

// zoneIDPrefix: us-east-1 → use1, eu-central-1 → euc1.
func zoneIDPrefix(r string) string {
	parts := strings.Split(r, "-")
	if len(parts) != 3 {
		return r
	}
	dir := parts[1]
	d := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c", "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}[dir]
	if d == "" {
		d = dir[:1]
	}
	return parts[0] + d + parts[2]
}

// policyDoc mirrors the real provider's output structure (field order,
// omitted empties, single values as strings).
type policyDoc struct {
	Version    string             `json:",omitempty"`
	ID         string             `json:"Id,omitempty"`
	Statements []*policyStatement `json:"Statement,omitempty"`
}

type policyStatement struct {
	Sid           string                    `json:",omitempty"`
	Effect        string                    `json:",omitempty"`
	Actions       any                       `json:"Action,omitempty"`
	NotActions    any                       `json:"NotAction,omitempty"`
	Resources     any                       `json:"Resource,omitempty"`
	NotResources  any                       `json:"NotResource,omitempty"`
	Principals    any                       `json:"Principal,omitempty"`
	NotPrincipals any                       `json:"NotPrincipal,omitempty"`
	Conditions    map[string]map[string]any `json:"Condition,omitempty"`
	// raw keeps statements of source/override documents verbatim.
	raw map[string]json.RawMessage
}

func (s *policyStatement) MarshalJSON() ([]byte, error) {
	if s.raw != nil {
		return marshalSorted(s.raw)
	}
	type plain policyStatement
	return json.Marshal((*plain)(s))
}

func marshalSorted(m map[string]json.RawMessage) ([]byte, error) {
	// IAM's conventional key order first, the rest alphabetically.
	order := []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
	var keys []string
	seen := map[string]bool{}
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(m[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// oneOrMany renders a string set as the real provider does: one value as a
// string, several as a sorted list.
func oneOrMany(xs []any) any {
	ss := sortedStrings(xs)
	switch len(ss) {
	case 0:
		return nil
	case 1:
		return ss[0]
	}
	return ss
}

func principals(xs []any) any {
	if len(xs) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, x := range xs {
		p, _ := x.(map[string]any)
		typ, _ := p["type"].(string)
		ids, _ := p["identifiers"].([]any)
		if typ == "*" {
			// `principals { type = "*" identifiers = ["*"] }` is "Principal": "*".
			return "*"
		}
		var all []any
		if prev, ok := out[typ]; ok {
			switch pv := prev.(type) {
			case string:
				all = append(all, pv)
			case []string:
				for _, s := range pv {
					all = append(all, s)
				}
			}
		}
		out[typ] = oneOrMany(append(all, ids...))
	}
	return out
}

func conditions(xs []any) map[string]map[string]any {
	if len(xs) == 0 {
		return nil
	}
	out := map[string]map[string]any{}
	for _, x := range xs {
		c, _ := x.(map[string]any)
		test, _ := c["test"].(string)
		variable, _ := c["variable"].(string)
		values, _ := c["values"].([]any)
		if out[test] == nil {
			out[test] = map[string]any{}
		}
		// The real provider keeps a condition's values in the order given.
		var vs []string
		for _, v := range values {
			if s, ok := v.(string); ok {
				vs = append(vs, s)
			}
		}
		if len(vs) == 1 {
			out[test][variable] = vs[0]
		} else {
			out[test][variable] = vs
		}
	}
	return out
}

func policyDocument(_ env, cfg map[string]any) (map[string]any, error) {
	doc := &policyDoc{Version: "2012-10-17"}
	if v, _ := cfg["version"].(string); v != "" {
		doc.Version = v
	}
	if v, _ := cfg["policy_id"].(string); v != "" {
		doc.ID = v
	}
	merge := func(key string, override bool) error {
		srcs, _ := cfg[key].([]any)
		for _, s := range srcs {
			str, _ := s.(string)
			if str == "" {
				continue
			}
			var d struct {
				Statement json.RawMessage
			}
			if err := json.Unmarshal([]byte(str), &d); err != nil {
				return fmt.Errorf("%s: not a JSON policy: %w", key, err)
			}
			var raws []map[string]json.RawMessage
			if len(d.Statement) > 0 && d.Statement[0] == '{' {
				var one map[string]json.RawMessage
				if err := json.Unmarshal(d.Statement, &one); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
				raws = append(raws, one)
			} else if len(d.Statement) > 0 {
				if err := json.Unmarshal(d.Statement, &raws); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			}
			for _, r := range raws {
				doc.add(&policyStatement{raw: r, Sid: rawSid(r)}, override)
			}
		}
		return nil
	}
	if err := merge("source_policy_documents", false); err != nil {
		return nil, err
	}
	stmts, _ := cfg["statement"].([]any)
	for _, x := range stmts {
		st, _ := x.(map[string]any)
		s := &policyStatement{Effect: "Allow"}
		if v, _ := st["sid"].(string); v != "" {
			s.Sid = v
		}
		if v, _ := st["effect"].(string); v != "" {
			s.Effect = v
		}
		list := func(k string) []any { l, _ := st[k].([]any); return l }
		s.Actions = oneOrMany(list("actions"))
		s.NotActions = oneOrMany(list("not_actions"))
		s.Resources = oneOrMany(list("resources"))
		s.NotResources = oneOrMany(list("not_resources"))
		s.Principals = principals(list("principals"))
		s.NotPrincipals = principals(list("not_principals"))
		s.Conditions = conditions(list("condition"))
		doc.add(s, true)
	}
	if err := merge("override_policy_documents", true); err != nil {
		return nil, err
	}
	pretty, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	var mini bytes.Buffer
	if err := json.Compact(&mini, pretty); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(mini.Bytes())
	return map[string]any{
		"json":          string(pretty),
		"minified_json": mini.String(),
		"id":            strconv.FormatUint(uint64(sum[0])<<24|uint64(sum[1])<<16|uint64(sum[2])<<8|uint64(sum[3]), 10),
	}, nil
}

// add appends a statement; with override, a statement with the same
// non-empty Sid replaces the earlier one (the real provider's merge rule).
func (d *policyDoc) add(s *policyStatement, override bool) {
	if s.Sid != "" && override {
		for i, old := range d.Statements {
			if old.Sid == s.Sid {
				d.Statements[i] = s
				return
			}
		}
	}
	d.Statements = append(d.Statements, s)
}

func rawSid(r map[string]json.RawMessage) string {
	var s string
	_ = json.Unmarshal(r["Sid"], &s)
	return s
}
