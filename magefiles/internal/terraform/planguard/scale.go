package planguard

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// tiedToCount are, per resource type, the attributes that follow a
// service's desired count in this repository's modules: the service
// itself, its Application Auto Scaling target and scheduled actions (the
// min and max pinned to the count), the monitoring alarms whose threshold is
// the count, and the environment-facts SSM parameter that publishes it.
// Anything else a scale-down plan changes is "another change".
var tiedToCount = map[string][]*regexp.Regexp{
	"aws_ecs_service":                     {regexp.MustCompile(`^desired_count$`)},
	"aws_appautoscaling_target":           {regexp.MustCompile(`^(min|max)_capacity$`)},
	"aws_appautoscaling_scheduled_action": {regexp.MustCompile(`^scalable_target_action\[\d+\]\.(min|max)_capacity$`)},
	"aws_cloudwatch_metric_alarm": {
		regexp.MustCompile(`^threshold$`),
		regexp.MustCompile(`^alarm_description$`),
		regexp.MustCompile(`^metric_query\[\d+\]\.expression$`),
	},
	"aws_ssm_parameter": {
		regexp.MustCompile(`^(insecure_)?value:(.*\.)?desired_counts?(\..*)?$`),
		// A new value makes a new version: known after apply.
		regexp.MustCompile(`^version$`),
	},
}

// CountChange is one ECS service whose desired count the plan changes.
type CountChange struct {
	Service       string // the module key ("gateway") or, failing that, the service name
	Address       string
	Before, After float64
}

// OtherChange is a change a scale-down does not explain.
type OtherChange struct {
	Address string
	Action  string // "create", "update", "replace", "destroy"
	// Paths are the attributes that change, for an update: the ones not
	// tied to a desired count.
	Paths []string
}

func (o OtherChange) String() string {
	if len(o.Paths) == 0 {
		return fmt.Sprintf("%s %s", o.Action, o.Address)
	}
	return fmt.Sprintf("%s %s: %s", o.Action, o.Address, strings.Join(o.Paths, ", "))
}

// ScaleReport splits a plan into desired-count changes, the changes tied
// to them, and everything else.
type ScaleReport struct {
	Counts []CountChange
	Tied   []string // addresses updated only in attributes tied to a count
	Others []OtherChange
}

// OtherChangesError refuses a scale-down plan that does more.
type OtherChangesError struct {
	Others []OtherChange
}

func (e *OtherChangesError) Error() string {
	lines := []string{fmt.Sprintf("the plan changes %d resource(s) besides the services' desired counts:", len(e.Others))}
	for _, o := range e.Others {
		lines = append(lines, "  "+o.String())
	}
	lines = append(lines, "  (apply them with <env>:apply first, or pass -allowOtherChanges=true to apply them with the scale-down)")
	return strings.Join(lines, "\n")
}

// Err is nil when the plan changes only desired counts and what is tied
// to them, else an *OtherChangesError.
func (r *ScaleReport) Err() error {
	if len(r.Others) == 0 {
		return nil
	}
	return &OtherChangesError{Others: r.Others}
}

// ScaleOnly classifies every managed resource change of a plan. No-ops and
// data-source reads are not changes.
func ScaleOnly(p *tfjson.Plan) *ScaleReport {
	r := &ScaleReport{}
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		a := rc.Change.Actions
		var action string
		switch {
		case a.NoOp(), a.Read(), a.Forget():
			continue
		case a.Replace():
			action = "replace"
		case a.Create():
			action = "create"
		case a.Delete():
			action = "destroy"
		case a.Update():
			action = "update"
		default:
			action = fmt.Sprint(a)
		}
		if action != "update" {
			r.Others = append(r.Others, OtherChange{Address: rc.Address, Action: action})
			continue
		}
		var untied []string
		for _, c := range ChangedPaths(rc.Change) {
			if !tied(rc.Type, c.Path) {
				untied = append(untied, c.Path)
			}
		}
		if len(untied) > 0 {
			r.Others = append(r.Others, OtherChange{Address: rc.Address, Action: action, Paths: untied})
			continue
		}
		if rc.Type == "aws_ecs_service" {
			before, _ := rc.Change.Before.(map[string]any)
			after, _ := rc.Change.After.(map[string]any)
			b, _ := before["desired_count"].(float64)
			n, _ := after["desired_count"].(float64)
			r.Counts = append(r.Counts, CountChange{Service: ServiceKey(rc.Address, after), Address: rc.Address, Before: b, After: n})
			continue
		}
		r.Tied = append(r.Tied, rc.Address)
	}
	sort.Slice(r.Counts, func(i, j int) bool { return r.Counts[i].Service < r.Counts[j].Service })
	sort.Strings(r.Tied)
	sort.Slice(r.Others, func(i, j int) bool { return r.Others[i].Address < r.Others[j].Address })
	return r
}

func tied(typ, path string) bool {
	for _, re := range tiedToCount[typ] {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

var lastKey = regexp.MustCompile(`\["([^"]+)"\]`)

// ServiceKey names an ECS service of a plan the way the tfvars do: the last
// for_each key of its address (module.service["gateway"]…), else its name.
func ServiceKey(address string, values map[string]any) string {
	if m := lastKey.FindAllStringSubmatch(address, -1); len(m) > 0 {
		return m[len(m)-1][1]
	}
	if n, ok := values["name"].(string); ok {
		return n
	}
	return address
}

// DesiredCounts reads the desired count of every ECS service a plan leaves
// in place (planned values, by ServiceKey).
func DesiredCounts(p *tfjson.Plan) map[string]float64 {
	out := map[string]float64{}
	if p.PlannedValues == nil {
		return out
	}
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode == tfjson.ManagedResourceMode && r.Type == "aws_ecs_service" {
				if n, ok := r.AttributeValues["desired_count"].(float64); ok {
					out[ServiceKey(r.Address, r.AttributeValues)] = n
				}
			}
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(p.PlannedValues.RootModule)
	return out
}
