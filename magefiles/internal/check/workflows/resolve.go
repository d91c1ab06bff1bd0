package workflows

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Run is one job as a trigger runs it: for a call of a reusable workflow,
// the called job with the caller's inputs substituted.
type Run struct {
	Workflow     string // the trigger's file
	Job          string // job id; "caller/called" for a reusable workflow's job
	Event        string // the event that starts it: push, pull_request, workflow_dispatch
	Ref          string // the ref it runs on when the trigger fixes it (refs/heads/main, refs/tags/v*.*.*)
	Environment  string // GitHub environment, "" when none
	URL          string // the environment's url: expression
	Concurrency  *Concurrency
	RoleVariable string   // GitHub variable holding the role it assumes; "" when none
	Commands     []string // the `go run magefile.go …` lines its steps run, values substituted
}

var inputExpr = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// substitute replaces ${{ inputs.X }} by the value given for X; unknown
// inputs stay as written.
func substitute(s string, values map[string]string) string {
	return inputExpr.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := values[inputExpr.FindStringSubmatch(m)[1]]; ok {
			return v
		}
		return m
	})
}

var ifInput = regexp.MustCompile(`^(!?)\s*inputs\.([A-Za-z0-9_-]+)$`)

// runs evaluates a step's if: as far as inputs decide it: `inputs.X` and
// `!inputs.X` for a boolean input; anything else (status functions) runs.
func runs(cond string, values map[string]string) bool {
	c := strings.TrimSpace(cond)
	c = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(c, "${{"), "}}"))
	m := ifInput.FindStringSubmatch(c)
	if m == nil {
		return true
	}
	v, ok := values[m[2]]
	if !ok {
		return true
	}
	return (v == "true") != (m[1] == "!")
}

var shellVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// commands returns the Mage invocations of a job's steps whose if: holds,
// with the steps' env: values expanded and shell quotes removed.
func commands(steps []Step, values map[string]string) []string {
	var out []string
	for _, s := range steps {
		if s.Run == "" || !runs(s.If, values) {
			continue
		}
		for _, line := range strings.Split(s.Run, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "go run magefile.go") {
				continue
			}
			line = shellVar.ReplaceAllStringFunc(line, func(m string) string {
				sm := shellVar.FindStringSubmatch(m)
				name := sm[1] + sm[2]
				if v, ok := s.Env[name]; ok {
					return substitute(v, values)
				}
				return m
			})
			out = append(out, strings.NewReplacer(`"`, "", `'`, "").Replace(line))
		}
	}
	return out
}

// Resolve lists what trigger workflow file runs. dispatch gives the values
// of its workflow_dispatch inputs (a choice, a boolean); inputs not given
// keep their ${{ inputs.X }} text. Calls of local reusable workflows
// (./.github/workflows/X.yml) are followed into the called jobs.
func Resolve(all map[string]*Workflow, file string, dispatch map[string]string) ([]Run, error) {
	w := all[file]
	if w == nil {
		return nil, fmt.Errorf("no workflow %s", file)
	}
	var event, ref string
	for _, e := range []string{"push", "pull_request", "workflow_dispatch"} {
		t, ok := w.On[e]
		if !ok {
			continue
		}
		if event != "" {
			return nil, fmt.Errorf("%s: starts on %s and %s: resolve one event per workflow", file, event, e)
		}
		event = e
		switch {
		case len(t.Branches) == 1:
			ref = "refs/heads/" + t.Branches[0]
		case len(t.Tags) == 1:
			ref = "refs/tags/" + t.Tags[0]
		}
	}
	if event == "" {
		return nil, fmt.Errorf("%s: no push, pull_request or workflow_dispatch trigger", file)
	}
	var out []Run
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		if j.Uses == "" {
			out = append(out, run(file, id, event, ref, j, dispatch))
			continue
		}
		calledFile, ok := strings.CutPrefix(j.Uses, "./.github/workflows/")
		if !ok || all[calledFile] == nil {
			return nil, fmt.Errorf("%s: job %s calls %s, not a workflow of this repository", file, id, j.Uses)
		}
		called := all[calledFile]
		ct, ok := called.On["workflow_call"]
		if !ok {
			return nil, fmt.Errorf("%s: job %s calls %s, which has no workflow_call trigger", file, id, calledFile)
		}
		values := map[string]string{}
		for name, in := range ct.Inputs {
			if in.Default != "" || in.Type == "boolean" {
				values[name] = in.Default
				if in.Type == "boolean" && in.Default == "" {
					values[name] = "false"
				}
			}
		}
		for name, v := range j.With {
			if _, declared := ct.Inputs[name]; !declared {
				return nil, fmt.Errorf("%s: job %s passes %s, which %s does not declare", file, id, name, calledFile)
			}
			values[name] = substitute(v, dispatch)
		}
		for name, in := range ct.Inputs {
			if _, ok := values[name]; !ok && in.Required {
				return nil, fmt.Errorf("%s: job %s does not pass %s, required by %s", file, id, name, calledFile)
			}
		}
		for _, cid := range slices.Sorted(maps.Keys(called.Jobs)) {
			r := run(file, id+"/"+cid, event, ref, called.Jobs[cid], values)
			out = append(out, r)
		}
	}
	return out, nil
}

func run(file, id, event, ref string, j *Job, values map[string]string) Run {
	r := Run{Workflow: file, Job: id, Event: event, Ref: ref, Environment: substitute(j.Environment, values), URL: j.EnvironmentURL, Commands: commands(j.Steps, values)}
	if j.Concurrency != nil {
		c := *j.Concurrency
		c.Group = substitute(c.Group, values)
		r.Concurrency = &c
	}
	r.RoleVariable, _ = RoleVariable(j)
	return r
}

// Subject is the sub claim of the OIDC token GitHub gives a job of repo
// (owner/name): its environment when it runs in one, else pull_request for
// pull-request events, else its ref.
func Subject(repo string, r Run) string {
	switch {
	case r.Environment != "":
		return "repo:" + repo + ":environment:" + r.Environment
	case r.Event == "pull_request":
		return "repo:" + repo + ":pull_request"
	default:
		return "repo:" + repo + ":ref:" + r.Ref
	}
}
