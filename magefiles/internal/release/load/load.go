// Package load runs a bounded demo load against one environment's public URL
// and judges it against the release budgets: N virtual users for a fixed
// duration over a weighted mix of the application's API calls and page
// loads, with vegeta (as a library) doing the requests and the statistics.
//
// The decisions it owns:
//   - what a virtual user is: a closed loop that sends its next request as
//     soon as the previous one answered (vegeta's worker, no think time), so
//     N users are harsher than N people clicking through a demo — a pass
//     here leaves headroom;
//   - where requests may go: only to paths of the environment's own base
//     URL. A mix entry that names another host, a scheme or a protocol-
//     relative path is refused before any request is sent;
//   - the verdict: API p95 under the budget (500 ms by default) and no
//     errors (a transport error or a status >= 400) anywhere.
package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Request is one entry of the mix: a path under the environment's URL and
// its weight (how many of every sum-of-weights requests go to it).
type Request struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Weight int    `json:"weight"`
	// API marks the requests the p95 budget applies to (the page and its
	// static assets are judged by the browser check, not here).
	API bool `json:"api"`
}

// Options say what to run. BaseURL and Mix are required; zero values of the
// rest take the defaults in brackets.
type Options struct {
	BaseURL  string
	Mix      []Request
	Users    int           // virtual users [20]
	Duration time.Duration // [60s]
	// Timeout bounds one request [10s]; a request that takes longer is an
	// error.
	Timeout time.Duration
	// APIBudget is the p95 the API requests must stay under [500ms].
	APIBudget time.Duration
	// Client, when set, sends the requests (tests; custom TLS roots).
	Client *http.Client
}

// Limits on what a load run may ask for: a demo-sized run, not a stress test
// that could hurt a shared environment.
const (
	MaxUsers    = 200
	MaxDuration = 30 * time.Minute
)

func (o Options) withDefaults() Options {
	if o.Users == 0 {
		o.Users = 20
	}
	if o.Duration == 0 {
		o.Duration = 60 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.APIBudget == 0 {
		o.APIBudget = 500 * time.Millisecond
	}
	return o
}

// Validate checks the options before any request: a bad value is one error
// naming it.
func (o Options) Validate() error {
	o = o.withDefaults()
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("load: base URL %q: want http(s)://host[:port]", o.BaseURL)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// Redacted: a URL with credentials is refused without echoing them.
		return fmt.Errorf("load: base URL %q: want the environment's root URL, without path, query or credentials", u.Redacted())
	}
	if o.Users < 1 || o.Users > MaxUsers {
		return fmt.Errorf("load: users %d: want 1-%d", o.Users, MaxUsers)
	}
	if o.Duration < time.Second || o.Duration > MaxDuration {
		return fmt.Errorf("load: duration %s: want 1s-%s", o.Duration, MaxDuration)
	}
	if len(o.Mix) == 0 {
		return errors.New("load: the request mix is empty")
	}
	for _, r := range o.Mix {
		if r.Weight < 1 {
			return fmt.Errorf("load: request %q: weight %d: want >= 1", r.Name, r.Weight)
		}
		if !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "//") || strings.Contains(r.Path, "://") || strings.ContainsAny(r.Path, " \\") {
			return fmt.Errorf("load: request %q: path %q: want a path under the environment's URL (starting with one /)", r.Name, r.Path)
		}
	}
	return nil
}

// Stat is one endpoint's figures (or the overall line).
type Stat struct {
	Name       string        `json:"name"`
	Path       string        `json:"path,omitempty"`
	API        bool          `json:"api"`
	Requests   uint64        `json:"requests"`
	Errors     uint64        `json:"errors"`
	ErrorRate  float64       `json:"error_rate"`
	Throughput float64       `json:"throughput_per_s"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	// FirstErrors are up to three distinct error texts, to say why.
	FirstErrors []string `json:"first_errors,omitempty"`
}

// Report is the outcome of one run.
type Report struct {
	BaseURL   string        `json:"base_url"`
	Users     int           `json:"users"`
	Duration  time.Duration `json:"duration_ns"`
	APIBudget time.Duration `json:"api_budget_ns"`
	Endpoints []Stat        `json:"endpoints"`
	API       Stat          `json:"api"`
	Overall   Stat          `json:"overall"`
	Pass      bool          `json:"pass"`
	Verdict   string        `json:"verdict"`
}

// Run sends the load and returns the report. The error is for a run that
// could not be made (bad options, ctx cancelled before the end); a run that
// missed its budgets returns Pass false and a nil error.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.Validate(); err != nil {
		return Report{}, err
	}
	o = o.withDefaults()
	base := strings.TrimSuffix(o.BaseURL, "/")

	// The weighted mix, spread out so no endpoint comes in one burst:
	// weights 3,1 give a a b a a b … rather than a a a b.
	var targets []vegeta.Target
	byURL := map[string]int{}
	total := 0
	for _, r := range o.Mix {
		total += r.Weight
	}
	emitted := make([]int, len(o.Mix))
	for n := 0; n < total; n++ {
		best, bestScore := 0, -1.0
		for i, r := range o.Mix {
			score := float64(r.Weight)*float64(n+1)/float64(total) - float64(emitted[i])
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		emitted[best]++
		targets = append(targets, vegeta.Target{Method: http.MethodGet, URL: base + o.Mix[best].Path,
			Header: http.Header{"User-Agent": {"equiptrack-kit-load"}}})
	}
	for i, r := range o.Mix {
		byURL[base+r.Path] = i
	}

	opts := []func(*vegeta.Attacker){
		vegeta.Workers(uint64(o.Users)), vegeta.MaxWorkers(uint64(o.Users)),
		vegeta.Timeout(o.Timeout), vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow),
		vegeta.Connections(o.Users), vegeta.MaxBody(0),
	}
	if o.Client != nil {
		opts = append(opts, vegeta.Client(o.Client))
	}
	atk := vegeta.NewAttacker(opts...)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	per := make([]vegeta.Metrics, len(o.Mix))
	var api, all vegeta.Metrics
	firstErrs := make([][]string, len(o.Mix))
	for res := range atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.ConstantPacer{}, o.Duration, "load") {
		i, ok := byURL[res.URL]
		if !ok {
			continue // cannot happen: every target is one of the mix
		}
		per[i].Add(res)
		all.Add(res)
		if o.Mix[i].API {
			api.Add(res)
		}
		if res.Error != "" && len(firstErrs[i]) < 3 && !contains(firstErrs[i], res.Error) {
			firstErrs[i] = append(firstErrs[i], res.Error)
		}
	}
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("load: stopped before the end: %w", err)
	}

	rep := Report{BaseURL: base, Users: o.Users, Duration: o.Duration, APIBudget: o.APIBudget}
	for i, r := range o.Mix {
		per[i].Close()
		s := stat(r.Name, &per[i])
		s.Path, s.API, s.FirstErrors = r.Path, r.API, firstErrs[i]
		rep.Endpoints = append(rep.Endpoints, s)
	}
	api.Close()
	all.Close()
	rep.API = stat("api", &api)
	rep.API.API = true
	rep.Overall = stat("overall", &all)
	rep.Pass, rep.Verdict = verdict(rep)
	return rep, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func stat(name string, m *vegeta.Metrics) Stat {
	s := Stat{Name: name, Requests: m.Requests, Throughput: m.Throughput,
		P50: m.Latencies.P50, P95: m.Latencies.P95, P99: m.Latencies.P99, Max: m.Latencies.Max}
	// vegeta counts a response as a success when 200 <= code < 400.
	s.Errors = m.Requests - uint64(float64(m.Requests)*m.Success+0.5)
	if m.Requests > 0 {
		s.ErrorRate = float64(s.Errors) / float64(m.Requests)
	}
	return s
}

func verdict(r Report) (bool, string) {
	var why []string
	if r.Overall.Requests == 0 {
		why = append(why, "no request completed")
	}
	if r.API.Requests > 0 && r.API.P95 >= r.APIBudget {
		why = append(why, fmt.Sprintf("API p95 %s over the %s budget", ms(r.API.P95), ms(r.APIBudget)))
	}
	if r.Overall.Errors > 0 {
		why = append(why, fmt.Sprintf("%d errors in %d requests", r.Overall.Errors, r.Overall.Requests))
	}
	if len(why) > 0 {
		return false, "load: FAIL: " + strings.Join(why, "; ")
	}
	return true, fmt.Sprintf("load: PASS: %d users for %s, API p95 %s (budget %s), 0 errors in %d requests (%.1f/s)",
		r.Users, r.Duration, ms(r.API.P95), ms(r.APIBudget), r.Overall.Requests, r.Overall.Throughput)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
}

// WriteText prints the report as a table, then the verdict on the last line.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "endpoint\tpath\trequests\treq/s\tp50\tp95\tp99\terrors\t\n")
	rows := append([]Stat(nil), r.Endpoints...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Requests > rows[j].Requests })
	for _, s := range append(rows, r.API, r.Overall) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%s\t%s\t%s\t%d (%.1f%%)\t\n",
			s.Name, s.Path, s.Requests, s.Throughput, ms(s.P50), ms(s.P95), ms(s.P99), s.Errors, 100*s.ErrorRate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Endpoints {
		for _, e := range s.FirstErrors {
			fmt.Fprintf(w, "  %s: %s\n", s.Name, e)
		}
	}
	_, err := fmt.Fprintln(w, r.Verdict)
	return err
}

// WriteJSON prints the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
