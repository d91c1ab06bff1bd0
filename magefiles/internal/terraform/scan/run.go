package scan

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// ErrFindings is returned (wrapped) by Run when the scan found anything.
var ErrFindings = errors.New("security scan found problems")

// scanTimeout bounds one scanner run over the repository's Terraform.
const scanTimeout = 10 * time.Minute

//go:embed tflint.hcl
var tflintConfig []byte

// Finding is one problem reported by a scanner, or an inline skip without a
// justification.
type Finding struct {
	Tool     string // "trivy", "tflint" or "skip-policy"
	ID       string // check id (AWS-0086, terraform_typed_variables, …)
	Severity string
	File     string // relative to the scanned directory
	Line     int
	Message  string
	// Roots are the scans that reported it (trivy): "tree" (the whole
	// terraform/ without variable values) and/or "envs/<env>" (that root
	// with its values).
	Roots []string
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	s := fmt.Sprintf("%s %s [%s] %s: %s", f.Tool, f.ID, f.Severity, loc, f.Message)
	if len(f.Roots) > 0 {
		s += " (in " + strings.Join(f.Roots, ", ") + ")"
	}
	return s
}

// Result is what Run found, with the time each step took.
type Result struct {
	Findings []Finding
	Skips    []Skip // the accepted, justified inline skips
	Timings  map[string]time.Duration
}

// Options tunes Run; the zero value builds/uses the cached scanners.
type Options struct {
	Trivy  string // trivy-iac binary; empty: EnsureTrivy
	TFLint string // tflint binary; empty: EnsureTFLint
	Logf   sh.Logf
}

// Run scans the Terraform under dir with Trivy (misconfigurations, the
// checks embedded in the binary, no network) and TFLint (bundled terraform
// ruleset, recommended preset plus documentation rules), and checks that
// every inline skip is justified. It returns the findings and, when there
// are any, an error wrapping ErrFindings.
func Run(ctx context.Context, dir string, opt Options) (*Result, error) {
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("scan: %s is not a directory", dir)
	}
	res := &Result{Timings: map[string]time.Duration{}}
	timed := func(name string, fn func() error) error {
		t := time.Now()
		err := fn()
		res.Timings[name] = time.Since(t)
		return err
	}

	trivy, tflint := opt.Trivy, opt.TFLint
	if trivy == "" {
		if err := timed("ensure trivy", func() (err error) { trivy, err = EnsureTrivy(ctx, logf); return }); err != nil {
			return nil, err
		}
	}
	if tflint == "" {
		if err := timed("ensure tflint", func() (err error) { tflint, err = EnsureTFLint(ctx, logf); return }); err != nil {
			return nil, err
		}
	}

	var skips []Skip
	if err := timed("skip policy", func() (err error) {
		var bad []Finding
		skips, bad, err = checkSkips(abs)
		res.Findings = append(res.Findings, bad...)
		return err
	}); err != nil {
		return nil, fmt.Errorf("scan: skip policy: %w", err)
	}
	res.Skips = skips
	logf("scan: %d inline skips, %d without a justification", len(skips), len(res.Findings))

	if err := timed("trivy", func() error {
		f, err := runTrivy(ctx, trivy, abs)
		res.Findings = append(res.Findings, f...)
		return err
	}); err != nil {
		return nil, err
	}
	logf("scan: trivy done in %s", res.Timings["trivy"].Round(100*time.Millisecond))

	if err := timed("tflint", func() error {
		f, err := runTFLint(ctx, tflint, abs)
		res.Findings = append(res.Findings, f...)
		return err
	}); err != nil {
		return nil, err
	}
	logf("scan: tflint done in %s", res.Timings["tflint"].Round(100*time.Millisecond))

	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if len(res.Findings) > 0 {
		return res, fmt.Errorf("%w: %d finding(s) in %s", ErrFindings, len(res.Findings), dir)
	}
	return res, nil
}

// trivyArgs are the arguments of trivy-iac's scan of dir, with the
// variable files tfvars (none: variables stay unknown, and checks that
// depend on them do not fire) and skipDirs (relative to dir) left out: the
// environment roots that get a scan of their own with their variables.
// trivy-iac has no network code to turn off: the checks are the ones
// embedded in Trivy's module, remote modules are never downloaded.
func trivyArgs(dir string, tfvars, skipDirs []string) []string {
	var args []string
	for _, f := range tfvars {
		args = append(args, "-tf-vars", f)
	}
	for _, d := range skipDirs {
		args = append(args, "-skip-dirs", d)
	}
	return append(args, dir)
}

type trivyReport struct {
	Results []struct {
		Target            string
		Misconfigurations []struct {
			ID            string
			AVDID         string
			Title         string
			Message       string
			Severity      string
			Status        string
			CauseMetadata struct {
				Resource  string
				StartLine int
			}
		}
	}
}

// runTrivy scans the whole tree (modules and bootstrap as they stand), then
// each environment root envs/<env> on its own (its values are literals in its
// module call; a terraform.tfvars is passed when present), so that checks see
// the values the environment really uses (dev's backup
// retention, dev's mutable tags, …). Findings are merged: one per check and
// place, with the roots that produced it.
func runTrivy(ctx context.Context, bin, dir string) ([]Finding, error) {
	type scanRun struct {
		root     string // relative to dir; "" is the whole tree
		tfvars   []string
		skipDirs []string
	}
	runs := []scanRun{{root: ""}}
	// The roots hold their values as literals in main.tf (a root may still take a
	// terraform.tfvars: it is passed when present).
	envRoots, err := filepath.Glob(filepath.Join(dir, "envs", "*", "main.tf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(envRoots)
	for _, m := range envRoots {
		root := rel(dir, filepath.Dir(m))
		// The whole-tree scan leaves this root to its own scan.
		runs[0].skipDirs = append(runs[0].skipDirs, root)
		r := scanRun{root: root}
		if v := filepath.Join(filepath.Dir(m), "terraform.tfvars"); fileExists(v) {
			r.tfvars = []string{v}
		}
		runs = append(runs, r)
	}
	var all []Finding
	for _, r := range runs {
		target := filepath.Join(dir, filepath.FromSlash(r.root))
		out, err := trivyJSON(ctx, bin, target, r.tfvars, r.skipDirs)
		if err != nil {
			return nil, err
		}
		fs, err := parseTrivy(out, target)
		if err != nil {
			return nil, err
		}
		root := r.root
		if root == "" {
			root = "tree"
		}
		all = mergeFindings(all, fs, dir, target, root)
	}
	return all, nil
}

// mergeFindings adds the findings of one scan (files relative to target)
// to all (files relative to dir): a finding already reported at the same
// check and place only gains the root's name.
func mergeFindings(all, found []Finding, dir, target, root string) []Finding {
	for _, f := range found {
		// Targets of an environment scan are relative to the environment
		// (../../modules/…): name them from dir like the rest.
		f.File = rel(dir, filepath.Join(target, filepath.FromSlash(f.File)))
		i := slices.IndexFunc(all, func(g Finding) bool { return g.ID == f.ID && g.File == f.File && g.Line == f.Line })
		if i >= 0 {
			if !slices.Contains(all[i].Roots, root) {
				all[i].Roots = append(all[i].Roots, root)
			}
			continue
		}
		f.Roots = []string{root}
		all = append(all, f)
	}
	return all
}

func trivyJSON(ctx context.Context, bin, target string, tfvars, skipDirs []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	o := sh.Options{Dir: target, TailLines: 10, WaitDelay: 10 * time.Second}
	out, err := o.Run(ctx, bin, trivyArgs(target, tfvars, skipDirs)...)
	if err != nil {
		return nil, fmt.Errorf("trivy-iac %s: %w", target, err)
	}
	return []byte(out), nil
}

func parseTrivy(out []byte, dir string) ([]Finding, error) {
	var rep trivyReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("trivy: parse report: %w", err)
	}
	var fs []Finding
	for _, r := range rep.Results {
		for _, m := range r.Misconfigurations {
			if m.Status != "FAIL" {
				continue
			}
			id := m.ID
			if id == "" {
				id = m.AVDID
			}
			msg := m.Title
			if m.Message != "" {
				msg = m.Title + " — " + m.Message
			}
			if m.CauseMetadata.Resource != "" {
				msg = m.CauseMetadata.Resource + ": " + msg
			}
			fs = append(fs, Finding{Tool: "trivy", ID: id, Severity: m.Severity, File: rel(dir, r.Target), Line: m.CauseMetadata.StartLine, Message: msg})
		}
	}
	return fs, nil
}

// tflintArgs are the arguments of the lint of every module under the
// working directory with the given config file.
func tflintArgs(config string) []string {
	return []string{"--recursive", "--config=" + config, "--format=json", "--no-color"}
}

type tflintReport struct {
	Issues []struct {
		Rule struct {
			Name     string
			Severity string
		}
		Message string
		Range   struct {
			Filename string
			Start    struct{ Line int }
		}
	}
	Errors []struct {
		Message  string
		Severity string
		Range    *struct {
			Filename string
			Start    struct{ Line int }
		}
	}
}

func runTFLint(ctx context.Context, bin, dir string) ([]Finding, error) {
	cfg, err := os.CreateTemp("", "tflint-*.hcl")
	if err != nil {
		return nil, fmt.Errorf("tflint: %w", err)
	}
	defer os.Remove(cfg.Name())
	if _, err := cfg.Write(tflintConfig); err != nil {
		cfg.Close()
		return nil, fmt.Errorf("tflint: %w", err)
	}
	if err := cfg.Close(); err != nil {
		return nil, fmt.Errorf("tflint: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	// The bundled terraform ruleset only: no plugin directory of the caller,
	// no GitHub token (nothing is downloaded).
	o := sh.Options{
		Dir:       dir,
		Env:       filterEnv(os.Environ(), "TFLINT_"),
		ExtraEnv:  []string{"TFLINT_PLUGIN_DIR=" + filepath.Join(os.TempDir(), "tflint-no-plugins")},
		TailLines: 10,
		WaitDelay: 10 * time.Second,
	}
	out, err := o.Run(ctx, bin, tflintArgs(cfg.Name())...)
	// Exit status 2 means "issues found", reported in the JSON; 1 or a
	// report that does not parse is a failure of the run itself.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 2) && out == "" {
		return nil, fmt.Errorf("tflint %s: %w", dir, err)
	}
	return parseTFLint([]byte(out), dir)
}

func parseTFLint(out []byte, dir string) ([]Finding, error) {
	var rep tflintReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("tflint: parse report: %w", err)
	}
	var fs []Finding
	for _, i := range rep.Issues {
		if thinRootExempt(rel(dir, i.Range.Filename), i.Rule.Name) {
			continue
		}
		fs = append(fs, Finding{Tool: "tflint", ID: i.Rule.Name, Severity: strings.ToUpper(i.Rule.Severity), File: rel(dir, i.Range.Filename), Line: i.Range.Start.Line, Message: i.Message})
	}
	for _, e := range rep.Errors {
		f := Finding{Tool: "tflint", ID: "error", Severity: "ERROR", Message: e.Message}
		if e.Range != nil {
			f.File, f.Line = rel(dir, e.Range.Filename), e.Range.Start.Line
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// rootExemptRules are the module-contract rules an environment root is
// exempt from: a root is not a module but a thin caller of
// modules/environment (envtest's TestRootsAreThin holds it to provider,
// backend, one module call and pass-through outputs). Its outputs are
// described where they are defined, in the module, and it declares no
// variables, so it has no variables.tf.
var rootExemptRules = map[string]bool{
	"terraform_documented_outputs":        true,
	"terraform_standard_module_structure": true,
}

// thinRootExempt says whether a tflint finding in file (relative to the
// scanned terraform/ directory) is a root's exemption.
func thinRootExempt(file, rule string) bool {
	return rootExemptRules[rule] && strings.HasPrefix(filepath.ToSlash(file), "envs/")
}

// Skip is one inline scanner skip and the justification written with it.
type Skip struct {
	File          string
	Line          int
	ID            string
	Justification string
}

var skipRe = regexp.MustCompile(`^\s*(?:#|//)\s*(trivy:ignore:|tflint-ignore:)\s*([A-Za-z0-9_.,:-]+(?:\[[^\]]*\])?)\s*(.*)$`)

// checkSkips finds every inline skip (`#trivy:ignore:<id>`, `# tflint-ignore: <rule>`)
// in the .tf files under dir and demands a justification for each: text
// after the id on the same line, or a comment on the line directly above
// that is not itself a skip. It returns the skips and a finding per skip
// without one.
func checkSkips(dir string) ([]Skip, []Finding, error) {
	var skips []Skip
	var bad []Finding
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".tf") {
			return nil
		}
		s, b, err := fileSkips(p, rel(dir, p))
		skips, bad = append(skips, s...), append(bad, b...)
		return err
	})
	return skips, bad, err
}

func fileSkips(path, name string) ([]Skip, []Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var skips []Skip
	var bad []Finding
	prevComment := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1024*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := skipRe.FindStringSubmatch(line)
		if m == nil {
			prevComment = commentText(line)
			continue
		}
		tool := strings.TrimSuffix(strings.TrimSuffix(m[1], ":ignore:"), "-ignore:")
		id := m[2]
		just := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(m[3]), "-—: "))
		if just == "" {
			just = prevComment
		}
		if just == "" {
			bad = append(bad, Finding{Tool: "skip-policy", ID: tool + ":" + id, Severity: "HIGH", File: name, Line: n,
				Message: "inline skip without a justification (write why on the comment line above)"})
		} else {
			skips = append(skips, Skip{File: name, Line: n, ID: tool + ":" + id, Justification: just})
		}
		// Several skips in a row may share the justification above them:
		// prevComment is left as it is.
	}
	return skips, bad, sc.Err()
}

// commentText returns the text of a comment-only line ("" otherwise).
func commentText(line string) string {
	t := strings.TrimSpace(line)
	for _, p := range []string{"#", "//"} {
		if strings.HasPrefix(t, p) {
			return strings.TrimSpace(strings.TrimPrefix(t, p))
		}
	}
	return ""
}

func rel(dir, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	if r, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func filterEnv(env []string, prefix string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// Summary renders a result as the lines a person reads: one per finding,
// then the counts per tool.
func Summary(r *Result) string {
	var b strings.Builder
	counts := map[string]int{}
	for _, f := range r.Findings {
		fmt.Fprintln(&b, f.String())
		counts[f.Tool]++
	}
	fmt.Fprintf(&b, "scan: %d finding(s): trivy %d, tflint %d, unjustified skips %d; %d justified skip(s)\n",
		len(r.Findings), counts["trivy"], counts["tflint"], counts["skip-policy"], len(r.Skips))
	return b.String()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
