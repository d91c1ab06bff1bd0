// Package workflows reads the repository's GitHub Actions workflows and the
// setup action, and checks the promises a linter cannot see: actions pinned
// to full commit SHAs with their version in a comment, minimal permissions
// per job, deploy jobs in an environment with a concurrency group that never
// cancels a running job, a timeout on every job, no ${{ }} inside run:
// scripts, reusable workflows that resolve their setup action when another
// repository calls them. It also resolves what each trigger runs — the called reusable
// workflow's jobs with the trigger's inputs substituted — so a test can hold
// each deploy step to the Mage target it must call and each job's OIDC
// subject claim to the trust of the role it assumes.
package workflows

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Workflow is one file of .github/workflows.
type Workflow struct {
	File        string // base name, e.g. release-dev.yml
	Name        string
	On          map[string]Trigger // event name → filters and inputs
	Permissions map[string]string  // top level; nil when absent
	Jobs        map[string]*Job
	Raw         string
}

// Trigger is one event of on:.
type Trigger struct {
	Branches, Tags, Paths []string
	Inputs                map[string]Input // workflow_dispatch and workflow_call
}

// Input is a workflow_dispatch or workflow_call input.
type Input struct {
	Type     string
	Required bool
	Default  string
	Options  []string
}

// Job is one job; Uses is set for a call of a reusable workflow.
type Job struct {
	ID             string
	Name           string
	Uses           string
	With           map[string]string
	Permissions    map[string]string // nil when the job declares none
	Environment    string
	EnvironmentURL string
	Concurrency    *Concurrency
	TimeoutMinutes string
	Steps          []Step
}

// Concurrency is a job's concurrency block.
type Concurrency struct {
	Group            string
	CancelInProgress string // "" when absent
}

// Step is one step of a job or of a composite action.
type Step struct {
	ID, Name, If, Uses, Run string
	With, Env               map[string]string
}

// Action is a composite action (action.yml).
type Action struct {
	Path  string
	Steps []Step
	Raw   string
}

type rawWorkflow struct {
	Name        string               `yaml:"name"`
	On          yaml.Node            `yaml:"on"`
	Permissions yaml.Node            `yaml:"permissions"`
	Jobs        map[string]yaml.Node `yaml:"jobs"`
}

type rawJob struct {
	Name           string            `yaml:"name"`
	Uses           string            `yaml:"uses"`
	With           map[string]any    `yaml:"with"`
	Permissions    yaml.Node         `yaml:"permissions"`
	Environment    yaml.Node         `yaml:"environment"`
	Concurrency    yaml.Node         `yaml:"concurrency"`
	TimeoutMinutes any               `yaml:"timeout-minutes"`
	Steps          []rawStep         `yaml:"steps"`
	Env            map[string]string `yaml:"env"`
}

type rawStep struct {
	ID   string         `yaml:"id"`
	Name string         `yaml:"name"`
	If   any            `yaml:"if"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
	Env  map[string]any `yaml:"env"`
}

// Load reads every *.yml and *.yaml under dir (a .github/workflows directory).
func Load(dir string) (map[string]*Workflow, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("workflows: no workflow under %s", dir)
	}
	out := map[string]*Workflow{}
	for _, f := range files {
		w, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		out[w.File] = w
	}
	return out, nil
}

// LoadFile reads one workflow file.
func LoadFile(path string) (*Workflow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Workflow, error) { return nil, fmt.Errorf("%s: %w", path, err) }
	var r rawWorkflow
	if err := yaml.Unmarshal(b, &r); err != nil {
		return fail(err)
	}
	w := &Workflow{File: filepath.Base(path), Name: r.Name, Jobs: map[string]*Job{}, Raw: string(b)}
	if w.On, err = triggers(&r.On); err != nil {
		return fail(err)
	}
	if w.Permissions, err = permissions(&r.Permissions); err != nil {
		return fail(err)
	}
	for id, node := range r.Jobs {
		var rj rawJob
		if err := node.Decode(&rj); err != nil {
			return fail(fmt.Errorf("job %s: %w", id, err))
		}
		j := &Job{ID: id, Name: rj.Name, Uses: rj.Uses, With: strMap(rj.With)}
		if j.Permissions, err = permissions(&rj.Permissions); err != nil {
			return fail(fmt.Errorf("job %s: %w", id, err))
		}
		switch rj.Environment.Kind {
		case yaml.ScalarNode:
			j.Environment = rj.Environment.Value
		case yaml.MappingNode:
			var e struct{ Name, URL string }
			if err := rj.Environment.Decode(&e); err != nil {
				return fail(fmt.Errorf("job %s: environment: %w", id, err))
			}
			j.Environment, j.EnvironmentURL = e.Name, e.URL
		}
		switch rj.Concurrency.Kind {
		case yaml.ScalarNode:
			j.Concurrency = &Concurrency{Group: rj.Concurrency.Value}
		case yaml.MappingNode:
			var c struct {
				Group            string `yaml:"group"`
				CancelInProgress any    `yaml:"cancel-in-progress"`
			}
			if err := rj.Concurrency.Decode(&c); err != nil {
				return fail(fmt.Errorf("job %s: concurrency: %w", id, err))
			}
			j.Concurrency = &Concurrency{Group: c.Group, CancelInProgress: scalar(c.CancelInProgress)}
		}
		j.TimeoutMinutes = scalar(rj.TimeoutMinutes)
		j.Steps = steps(rj.Steps)
		w.Jobs[id] = j
	}
	return w, nil
}

// LoadAction reads a composite action's action.yml.
func LoadAction(path string) (*Action, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r struct {
		Runs struct {
			Using string    `yaml:"using"`
			Steps []rawStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Runs.Using != "composite" {
		return nil, fmt.Errorf("%s: runs.using = %q, want composite", path, r.Runs.Using)
	}
	return &Action{Path: path, Steps: steps(r.Runs.Steps), Raw: string(b)}, nil
}

func steps(raw []rawStep) []Step {
	var out []Step
	for _, s := range raw {
		out = append(out, Step{ID: s.ID, Name: s.Name, If: scalar(s.If), Uses: s.Uses, Run: s.Run, With: strMap(s.With), Env: strMap(s.Env)})
	}
	return out
}

func triggers(n *yaml.Node) (map[string]Trigger, error) {
	out := map[string]Trigger{}
	switch n.Kind {
	case yaml.ScalarNode:
		out[n.Value] = Trigger{}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			out[e.Value] = Trigger{}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var t struct {
				Branches []string `yaml:"branches"`
				Tags     []string `yaml:"tags"`
				Paths    []string `yaml:"paths"`
				Inputs   map[string]struct {
					Type     string   `yaml:"type"`
					Required bool     `yaml:"required"`
					Default  any      `yaml:"default"`
					Options  []string `yaml:"options"`
				} `yaml:"inputs"`
			}
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
				if err := v.Decode(&t); err != nil {
					return nil, fmt.Errorf("on.%s: %w", n.Content[i].Value, err)
				}
			}
			tr := Trigger{Branches: t.Branches, Tags: t.Tags, Paths: t.Paths}
			if t.Inputs != nil {
				tr.Inputs = map[string]Input{}
				for name, in := range t.Inputs {
					tr.Inputs[name] = Input{Type: in.Type, Required: in.Required, Default: scalar(in.Default), Options: in.Options}
				}
			}
			out[n.Content[i].Value] = tr
		}
	default:
		return nil, fmt.Errorf("on: missing")
	}
	return out, nil
}

// permissions decodes a permissions block: nil when absent, an empty map for
// {} ; "read-all"/"write-all" become the single key "*".
func permissions(n *yaml.Node) (map[string]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		return map[string]string{"*": n.Value}, nil
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return nil, fmt.Errorf("permissions: %w", err)
		}
		if m == nil {
			m = map[string]string{}
		}
		return m, nil
	}
	return nil, fmt.Errorf("permissions: unexpected YAML")
}

func strMap(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = scalar(v)
	}
	return out
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

// ---------------------------------------------------------------- checks

var (
	usesLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@]+)?@[0-9a-f]{40}$`)
	version  = regexp.MustCompile(`^\s*#\s*v\d+\.\d+\.\d+\s*$`)
)

// Uses is one `uses:` line of a file: what it names and its trailing comment.
type Uses struct {
	File, Ref, Comment string
	Line               int
}

// AllUses lists the `uses:` lines of a file's text, in order.
func AllUses(file, text string) []Uses {
	var out []Uses
	for _, m := range usesLine.FindAllStringSubmatchIndex(text, -1) {
		out = append(out, Uses{
			File:    file,
			Ref:     strings.Trim(text[m[2]:m[3]], `"'`),
			Comment: text[m[4]:m[5]],
			Line:    strings.Count(text[:m[0]], "\n") + 1,
		})
	}
	return out
}

// CheckPinned reports every `uses:` of another repository that is not
// pinned to a full 40-hex commit SHA followed by a `# vX.Y.Z` comment.
// Local actions and workflows (./...) are the same commit by definition.
func CheckPinned(uses []Uses) []string {
	var problems []string
	for _, u := range uses {
		if strings.HasPrefix(u.Ref, "./") {
			continue
		}
		if !pinned.MatchString(u.Ref) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s is not pinned to a full commit SHA", u.File, u.Line, u.Ref))
			continue
		}
		if !version.MatchString(u.Comment) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s has no # vX.Y.Z comment naming its release", u.File, u.Line, u.Ref))
		}
	}
	return problems
}

// ReachesAWS says whether a job obtains AWS credentials: a step of
// aws-actions/configure-aws-credentials, or a setup action given a role.
func ReachesAWS(j *Job) bool {
	_, role := RoleVariable(j)
	return role
}

var roleVar = regexp.MustCompile(`^\$\{\{\s*vars\.([A-Z0-9_]+)\s*\}\}$`)

// RoleVariable returns the GitHub variable a job takes its AWS role from
// (e.g. AWS_DEPLOY_ROLE_ARN) and whether the job assumes a role at all.
func RoleVariable(j *Job) (string, bool) {
	for _, s := range j.Steps {
		v := ""
		switch {
		case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
			v = s.With["role-to-assume"]
		case strings.HasSuffix(s.Uses, "/.github/actions/setup") || strings.Contains(s.Uses, "/.github/actions/setup@"):
			v = s.With["aws-role-arn"]
		}
		if v == "" {
			continue
		}
		if m := roleVar.FindStringSubmatch(v); m != nil {
			return m[1], true
		}
		return v, true
	}
	return "", false
}

// CheckPermissions holds the permission rules (called: the workflows of this
// repository by file name, to see what a reusable workflow's jobs reach): the workflow's top level grants
// at most contents: read; a job that reaches AWS (directly or through the
// reusable workflow it calls) declares id-token: write and contents: read,
// and only it asks for id-token; no job asks for any other write.
func CheckPermissions(w *Workflow, called map[string]*Workflow) []string {
	var problems []string
	if w.Permissions == nil {
		problems = append(problems, fmt.Sprintf("%s: no top-level permissions (the default token may write)", w.File))
	}
	for k, v := range w.Permissions {
		if !(k == "contents" && v == "read") {
			problems = append(problems, fmt.Sprintf("%s: top-level permissions %s: %s, want at most contents: read", w.File, k, v))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		aws := ReachesAWS(j)
		if c := called[strings.TrimPrefix(j.Uses, "./.github/workflows/")]; c != nil {
			for _, cj := range c.Jobs {
				aws = aws || ReachesAWS(cj)
			}
		}
		where := fmt.Sprintf("%s: job %s", w.File, id)
		for k, v := range j.Permissions {
			switch {
			case k == "contents" && v == "read":
			case k == "id-token" && v == "write" && aws:
			case k == "id-token" && v == "write":
				problems = append(problems, where+": id-token: write, but the job reaches no AWS role")
			default:
				problems = append(problems, fmt.Sprintf("%s: permission %s: %s is more than it needs", where, k, v))
			}
		}
		if aws && (j.Permissions["id-token"] != "write" || j.Permissions["contents"] != "read") {
			problems = append(problems, where+": reaches AWS, so it must declare exactly contents: read and id-token: write")
		}
	}
	return problems
}

// CheckJobs holds the per-job rules: timeout-minutes on every job that runs
// steps; every job in an environment in a concurrency group naming that
// environment that never cancels a running job; no ${{ }} in run: scripts
// (values reach the shell through env:).
func CheckJobs(w *Workflow) []string {
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		where := fmt.Sprintf("%s: job %s", w.File, id)
		if j.Uses != "" {
			continue // the called workflow's jobs carry their own
		}
		if j.TimeoutMinutes == "" {
			problems = append(problems, where+": no timeout-minutes")
		}
		if j.Environment != "" {
			switch {
			case j.Concurrency == nil:
				problems = append(problems, where+": runs in environment "+j.Environment+" without a concurrency group")
			case !strings.Contains(j.Concurrency.Group, strings.TrimSuffix(j.Environment, "-infra")):
				problems = append(problems, fmt.Sprintf("%s: concurrency group %q does not name environment %s", where, j.Concurrency.Group, j.Environment))
			case j.Concurrency.CancelInProgress != "false":
				problems = append(problems, fmt.Sprintf("%s: concurrency cancel-in-progress is %q, want false: a running release is never cancelled", where, j.Concurrency.CancelInProgress))
			}
		}
		problems = append(problems, CheckRunExpressions(where, j.Steps)...)
	}
	return problems
}

// CheckRunExpressions reports a ${{ }} inside a run: script: expanded before
// the shell sees it, a value could inject commands. Values go through env:.
func CheckRunExpressions(where string, steps []Step) []string {
	var problems []string
	for i, s := range steps {
		if strings.Contains(s.Run, "${{") {
			problems = append(problems, fmt.Sprintf("%s: step %d (%s): ${{ }} in run:, pass it through env:", where, i+1, s.Name))
		}
	}
	return problems
}

// KitPath is where a reusable workflow checks the kit out to reach its
// setup action: a ./ path in a workflow called from another repository
// resolves in the caller's checkout, not in the kit.
const KitPath = ".kit"

// CheckReusable holds a workflow_call workflow to what makes it work from
// another repository: every local action it uses lives under ./.kit/, and
// the job first checks the kit out there, from the kit's repository at the
// kit-ref input when one is given.
func CheckReusable(w *Workflow) []string {
	if _, ok := w.On["workflow_call"]; !ok {
		return nil
	}
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		where := fmt.Sprintf("%s: job %s", w.File, id)
		if strings.HasPrefix(j.Uses, "./") {
			problems = append(problems, where+": calls "+j.Uses+", which resolves in the caller's repository")
		}
		kit := false
		for i, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["path"] == KitPath {
				if !strings.Contains(s.With["repository"], "inputs.kit-ref") || !strings.Contains(s.With["repository"], "'equiptrack/release-kit'") || !strings.Contains(s.With["ref"], "inputs.kit-ref") {
					problems = append(problems, fmt.Sprintf("%s: step %d checks out %s without taking repository and ref from inputs.kit-ref", where, i+1, KitPath))
				}
				kit = true
				continue
			}
			if !strings.HasPrefix(s.Uses, "./") {
				continue
			}
			switch {
			case !strings.HasPrefix(s.Uses, "./"+KitPath+"/"):
				problems = append(problems, fmt.Sprintf("%s: step %d uses %s, which resolves in the caller's checkout: use ./%s/…", where, i+1, s.Uses, KitPath))
			case !kit:
				problems = append(problems, fmt.Sprintf("%s: step %d uses %s before the kit is checked out to %s", where, i+1, s.Uses, KitPath))
			}
		}
	}
	return problems
}
