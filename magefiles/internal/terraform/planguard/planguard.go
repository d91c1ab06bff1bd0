// Package planguard reads a Terraform plan (the JSON of `show -json`) and
// refuses what must not be applied unattended:
//
//   - Stateful: a plan that replaces or destroys a resource holding data
//     (database, cache, bucket, …), naming the attributes that force the
//     replacement, unless the caller allows that address explicitly;
//   - ScaleOnly: a plan meant to change the services' task counts that
//     changes anything else, listing what else would change.
//
// Both read the plan only (before, after, after_unknown, replace_paths,
// action_reason): no value is ever printed, so sensitive attributes never
// reach a log.
package planguard

import (
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// StatefulTypes are the resource types whose replacement or destruction
// loses data: the database, the cache, buckets (the state bucket among
// them), and tables and file systems should a module ever add them.
var StatefulTypes = map[string]string{
	"aws_db_instance":                   "database",
	"aws_rds_cluster":                   "database",
	"aws_rds_cluster_instance":          "database",
	"aws_elasticache_serverless_cache":  "cache",
	"aws_elasticache_replication_group": "cache",
	"aws_elasticache_cluster":           "cache",
	"aws_s3_bucket":                     "bucket",
	"aws_dynamodb_table":                "table",
	"aws_efs_file_system":               "file system",
}

// Offence is one stateful resource a plan would replace or destroy.
type Offence struct {
	Address string
	Type    string
	Kind    string // "database", "cache", …
	Action  string // "replace" or "destroy"
	// Reason is the plan's action_reason in words ("replacement requested
	// with -replace", "no longer in the configuration", …); empty when the
	// plan gives none.
	Reason string
	// Attributes are the attributes that force the replacement
	// (replace_paths, Forced) or, when the plan names none, the attributes
	// whose known value changes.
	Attributes []string
	Forced     bool
}

func (o Offence) String() string {
	s := fmt.Sprintf("%s %s (%s)", o.Action, o.Address, o.Kind)
	switch {
	case len(o.Attributes) > 0 && o.Forced:
		s += ": forced by " + strings.Join(o.Attributes, ", ")
	case len(o.Attributes) > 0:
		s += ": changes " + strings.Join(o.Attributes, ", ")
	}
	if o.Reason != "" {
		s += " [" + o.Reason + "]"
	}
	return s
}

// StatefulError refuses a plan: every offence, and how to allow one.
type StatefulError struct {
	Offences []Offence
}

func (e *StatefulError) Error() string {
	lines := []string{fmt.Sprintf("the plan replaces or destroys %d stateful resource(s) (their data would be lost):", len(e.Offences))}
	for _, o := range e.Offences {
		lines = append(lines, "  "+o.String())
	}
	lines = append(lines, "  (if this is intended, back the data up and name each address with -allowReplace=<address>)")
	return strings.Join(lines, "\n")
}

// Stateful returns an error (*StatefulError) when the plan replaces or
// destroys a stateful resource whose address allow does not name. Forget
// (a `removed` block with destroy = false) is not destruction: the
// resource stays in AWS.
func Stateful(p *tfjson.Plan, allow []string) error {
	offs := StatefulOffences(p, allow)
	if len(offs) == 0 {
		return nil
	}
	return &StatefulError{Offences: offs}
}

// StatefulOffences lists what Stateful refuses.
func StatefulOffences(p *tfjson.Plan, allow []string) []Offence {
	allowed := map[string]bool{}
	for _, a := range allow {
		allowed[strings.TrimSpace(a)] = true
	}
	var out []Offence
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		kind, ok := StatefulTypes[rc.Type]
		if !ok || allowed[rc.Address] {
			continue
		}
		a := rc.Change.Actions
		var action string
		switch {
		case a.Replace():
			action = "replace"
		case a.Delete():
			action = "destroy"
		default:
			continue
		}
		o := Offence{Address: rc.Address, Type: rc.Type, Kind: kind, Action: action, Reason: reason(rc.ActionReason)}
		if action == "replace" {
			for _, rp := range rc.Change.ReplacePaths {
				if path, ok := rp.([]any); ok {
					o.Attributes = append(o.Attributes, FormatPath(path))
					o.Forced = true
				}
			}
			if len(o.Attributes) == 0 {
				// Computed attributes are unknown in any replacement:
				// only the known differences say something.
				for _, c := range ChangedPaths(rc.Change) {
					if !c.Unknown {
						o.Attributes = append(o.Attributes, c.Path)
					}
				}
			}
			sort.Strings(o.Attributes)
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

func reason(r tfjson.ActionReason) string {
	switch r {
	case tfjson.ActionReasonNone:
		return ""
	case tfjson.ActionReasonReplaceByRequest:
		return "replacement requested with -replace"
	case tfjson.ActionReasonReplaceBecauseTainted:
		return "tainted"
	case tfjson.ActionReasonReplaceBecauseCannotUpdate:
		return "the provider cannot update it in place"
	case tfjson.ActionReasonReplaceByTriggers:
		return "replace_triggered_by"
	case tfjson.ActionReasonDeleteBecauseNoResourceConfig:
		return "no longer in the configuration"
	case tfjson.ActionReasonDeleteBecauseNoModule:
		return "its module is no longer in the configuration"
	case tfjson.ActionReasonDeleteBecauseCountIndex, tfjson.ActionReasonDeleteBecauseEachKey, tfjson.ActionReasonDeleteBecauseWrongRepetition:
		return "its count or for_each no longer includes it"
	}
	return string(r)
}

// Unallowed lists the addresses of allow that the plan does not replace or
// destroy: a mistyped -allowReplace must not pass silently.
func Unallowed(p *tfjson.Plan, allow []string) []string {
	touched := map[string]bool{}
	for _, rc := range p.ResourceChanges {
		if rc.Change != nil && (rc.Change.Actions.Replace() || rc.Change.Actions.Delete()) {
			touched[rc.Address] = true
		}
	}
	var out []string
	for _, a := range allow {
		if !touched[strings.TrimSpace(a)] {
			out = append(out, a)
		}
	}
	return out
}
