package awsenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// ServiceStatus is one service as `<env>:status` shows it.
type ServiceStatus struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Revision string `json:"revision"`
	Desired  int    `json:"desired"`
	Running  int    `json:"running"`
	Pending  int    `json:"pending"`
	Rollout  string `json:"rollout_state"`
}

// Status is what `<env>:status` prints (or writes as JSON).
type Status struct {
	Environment string             `json:"environment"`
	URL         string             `json:"url"`
	Released    string             `json:"released"`
	Services    []ServiceStatus    `json:"services"`
	Last        pipeline.Attempt   `json:"last_attempt"`
	Lease       *pipeline.Lease    `json:"lease,omitempty"`
	History     []pipeline.Attempt `json:"history,omitempty"`
}

// Status reads the services, the record, its history and the lease; it
// changes nothing.
func (e *Env) Status(ctx context.Context) (Status, error) {
	st := Status{Environment: e.o.Env, URL: e.Facts.URL}
	names := e.Facts.ServiceNames()
	svcs, err := e.describe(ctx, names)
	if err != nil {
		return st, err
	}
	for _, n := range names {
		s := svcs[n]
		if s == nil {
			return st, fmt.Errorf("service %s is missing from cluster %s", n, e.Facts.Cluster)
		}
		ss := ServiceStatus{Service: n, Revision: aws.ToString(s.TaskDefinition), Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount)}
		for _, d := range s.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				ss.Revision, ss.Rollout = aws.ToString(d.TaskDefinition), string(d.RolloutState)
			}
		}
		if td, err := e.tds.get(ctx, ss.Revision); err == nil {
			_, ss.Version, _ = containerOf(td, e.Facts.Services[n].Container)
		}
		st.Services = append(st.Services, ss)
	}
	rec, err := e.Load(ctx)
	if err != nil {
		return st, err
	}
	st.Released, st.Last = rec.Version, rec.Last
	if hist, err := e.History(ctx, 5); err == nil {
		for _, r := range hist {
			st.History = append(st.History, r.Last)
		}
	}
	if l, _, ok, err := e.readLease(ctx); err == nil && ok {
		st.Lease = &l
	}
	return st, nil
}

// WriteText prints the status for a terminal.
func (s Status) WriteText(w io.Writer, now time.Time) {
	fmt.Fprintf(w, "%s — %s\n", s.Environment, s.URL)
	if s.Released == "" {
		fmt.Fprintln(w, "released: nothing yet")
	} else {
		fmt.Fprintf(w, "released: %s\n", s.Released)
	}
	if s.Last.Kind != "" {
		line := fmt.Sprintf("last %s: %s %s at %s", s.Last.Kind, s.Last.Version, s.Last.Result, s.Last.Finished.UTC().Format("2006-01-02 15:04:05Z"))
		if s.Last.FailedStep != "" {
			line += fmt.Sprintf(" (at %s: %s", s.Last.FailedStep, s.Last.Error)
			switch {
			case s.Last.RolledBack:
				line += "; services restored"
			case s.Last.Restore == pipeline.RestorePartial:
				line += "; RESTORE INCOMPLETE"
			}
			line += ")"
		}
		fmt.Fprintln(w, line)
	}
	if s.Lease != nil {
		state := "held"
		if now.After(s.Lease.Expires) {
			state = "STALE (its holder stopped renewing it; <env>:unlock breaks it)"
		}
		fmt.Fprintf(w, "release lease: %s, %s\n", s.Lease, state)
	}
	fmt.Fprintf(w, "  %-10s %-10s %-9s %-12s %s\n", "service", "version", "d/r/p", "rollout", "revision")
	for _, ss := range s.Services {
		fmt.Fprintf(w, "  %-10s %-10s %-9s %-12s %s\n", ss.Service, orDash(ss.Version), fmt.Sprintf("%d/%d/%d", ss.Desired, ss.Running, ss.Pending), ss.Rollout, ss.Revision)
	}
}

// WriteJSON writes the status as indented JSON.
func (s Status) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Plan is what a release or rollback would do (-dryRun=true): every line is
// read from AWS, nothing is changed and the lease is not taken.
type Plan struct {
	Lines []string
}

// DryRun reads what a release (or rollback, build=false) of version would
// build, push, register and roll.
func (e *Env) DryRun(ctx context.Context, version string, images []string, services []string, build bool) (Plan, error) {
	var p Plan
	add := func(f string, a ...any) { p.Lines = append(p.Lines, fmt.Sprintf(f, a...)) }
	arts, err := e.Resolve(ctx, version, images)
	if err != nil {
		return p, err
	}
	missing := arts.Missing(images)
	if !build && len(missing) > 0 {
		return p, fmt.Errorf("%s is not in ECR for %s: a rollback only redeploys images already there", version, strings.Join(missing, ", "))
	}
	for _, n := range images {
		ref, _ := e.ImageRef(n, version)
		if a := arts[n]; a.Present() {
			add("reuse  %s (%s): already in ECR, not rebuilt", ref, a.Digest)
		} else {
			add("build  %s, then push it to ECR", ref)
		}
	}
	cur, err := e.Current(ctx)
	if err != nil {
		return p, err
	}
	for _, n := range images {
		sf, _ := e.Facts.image(n)
		add("register a %s revision: a clone of %s with image %s and %s=%s", sf.Family, sf.TaskDefinition, imageOrPending(sf, arts[n]), VersionEnv, version)
	}
	for _, n := range services {
		c := cur[n]
		add("roll   %s: %s (%s, %d running) → the new %s revision, %d desired", n, c.Revision.ID, orDash(c.Revision.Version), c.Running, e.Facts.Services[n].Family, e.Facts.Services[n].DesiredCount)
	}
	return p, nil
}

func imageOrPending(sf ServiceFacts, a pipeline.Artifact) string {
	if a.Present() {
		return sf.Repository + "@" + a.Digest
	}
	return sf.Repository + "@<digest of the new build>"
}

// Markdown is the GitHub job summary of a release, rollback or seed:
// version, URL, what runs (images with digests and revisions), step times.
func (e *Env) Markdown(ctx context.Context, kind, version string, rep pipeline.Report, runErr error) string {
	var b strings.Builder
	result := "succeeded"
	if runErr != nil {
		result = "FAILED"
	}
	fmt.Fprintf(&b, "## %s %s of %s %s\n\n", e.o.Env, kind, version, result)
	fmt.Fprintf(&b, "URL: %s\n\n", e.Facts.URL)
	if runErr != nil {
		fmt.Fprintf(&b, "```\n%s\n```\n\n", runErr)
	}
	if len(rep.Steps) > 0 {
		b.WriteString("| step | time |\n|---|---|\n")
		for _, s := range rep.Steps {
			d := s.Duration.Round(10 * time.Millisecond).String()
			if s.Skipped {
				d = "skipped"
			}
			if s.Err != nil {
				d += " (failed)"
			}
			fmt.Fprintf(&b, "| %s | %s |\n", s.Step, d)
		}
		fmt.Fprintf(&b, "| total | %s |\n\n", rep.Total.Round(10*time.Millisecond))
	}
	st, err := e.Status(ctx)
	if err != nil {
		fmt.Fprintf(&b, "(status unavailable: %v)\n", err)
		return b.String()
	}
	b.WriteString("| service | version | image | revision | running |\n|---|---|---|---|---|\n")
	for _, ss := range st.Services {
		img := ""
		if td, err := e.tds.get(ctx, ss.Revision); err == nil {
			img, _, _ = containerOf(td, e.Facts.Services[ss.Service].Container)
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` | %d/%d |\n", ss.Service, orDash(ss.Version), img, ss.Revision, ss.Running, ss.Desired)
	}
	return b.String()
}
