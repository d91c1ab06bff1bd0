//go:build ignore

// Command trivy-iac is Trivy's Terraform misconfiguration scanner on its
// own: the engine and the checks of `trivy config --misconfig-scanners
// terraform`, built from the same module version, without the image,
// filesystem, Kubernetes and cloud scanners that make up most of the trivy
// binary (a cold build of the whole command took 17 of the 29 minutes of
// a cold test run's provisioning here). It reads no network: the checks are the ones embedded in
// the module, remote modules are not downloaded.
//
// Usage: trivy-iac [-tf-vars file]... [-skip-dirs dir]... dir
//
// It prints the JSON report of `trivy config --format json` restricted to
// the fields the kit reads: Results[].Target and their Misconfigurations
// (ID, AVDID, Title, Message, Severity, Status, CauseMetadata.Resource and
// StartLine), Target relative to dir.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aquasecurity/trivy/pkg/iac/rego"
	"github.com/aquasecurity/trivy/pkg/iac/scan"
	"github.com/aquasecurity/trivy/pkg/iac/scanners/options"
	"github.com/aquasecurity/trivy/pkg/iac/scanners/terraform"
	"github.com/aquasecurity/trivy/pkg/log"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

type cause struct {
	Resource  string `json:",omitempty"`
	StartLine int    `json:",omitempty"`
}

type misconf struct {
	ID, AVDID, Title, Message, Severity, Status string
	CauseMetadata                               cause
}

type result struct {
	Target            string
	Misconfigurations []misconf
}

func main() {
	var tfvars, skipDirs list
	flag.Var(&tfvars, "tf-vars", "a variables file (repeatable)")
	flag.Var(&skipDirs, "skip-dirs", "a directory under dir to leave out (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: trivy-iac [-tf-vars file]... [-skip-dirs dir]... dir")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), tfvars, skipDirs); err != nil {
		fmt.Fprintln(os.Stderr, "trivy-iac:", err)
		os.Exit(1)
	}
}

func run(dir string, tfvars, skipDirs []string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// The report is the output; the scanner's log lines would only mix in.
	log.InitLogger(false, true)
	// The filesystem is rooted at / so that modules outside dir (an
	// environment root's ../../modules) resolve as they do for OpenTofu.
	root := strings.TrimPrefix(abs, "/")
	// Skipped directories are not there at all, as for `trivy config
	// --skip-dirs`: an environment root left out must not make the module
	// it calls a child instead of a root of its own.
	fsys := hiding{FS: os.DirFS("/"), hidden: map[string]bool{}}
	for _, d := range skipDirs {
		fsys.hidden[filepath.ToSlash(filepath.Join(root, d))] = true
	}
	opts := []options.ScannerOption{
		rego.WithEmbeddedPolicies(true),
		rego.WithEmbeddedLibraries(true),
		terraform.ScannerWithAllDirectories(true),
		terraform.ScannerWithDownloadsAllowed(false),
	}
	if len(tfvars) > 0 {
		var paths []string
		for _, v := range tfvars {
			a, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			paths = append(paths, strings.TrimPrefix(a, "/"))
		}
		opts = append(opts, terraform.ScannerWithTFVarsPaths(paths...), terraform.ScannerWithConfigsFileSystem(os.DirFS("/")))
	}
	results, err := terraform.New(opts...).ScanFS(context.Background(), fsys, root)
	if err != nil {
		return err
	}
	byFile := map[string]*result{}
	for _, r := range results {
		if r.Status() != scan.StatusFailed { // passed, or ignored inline
			continue
		}
		f := r.Flatten()
		target, err := filepath.Rel(abs, "/"+f.Location.Filename)
		if err != nil {
			return err
		}
		target = filepath.ToSlash(target)
		res := byFile[target]
		if res == nil {
			res = &result{Target: target}
			byFile[target] = res
		}
		rule := r.Rule()
		res.Misconfigurations = append(res.Misconfigurations, misconf{
			ID: rule.ID, AVDID: rule.AVDID, Title: rule.Summary, Message: f.Description,
			Severity: string(f.Severity), Status: "FAIL",
			CauseMetadata: cause{Resource: f.Resource, StartLine: f.Location.StartLine},
		})
	}
	var report struct{ Results []result }
	for _, r := range byFile {
		sort.Slice(r.Misconfigurations, func(i, j int) bool {
			a, b := r.Misconfigurations[i], r.Misconfigurations[j]
			if a.CauseMetadata.StartLine != b.CauseMetadata.StartLine {
				return a.CauseMetadata.StartLine < b.CauseMetadata.StartLine
			}
			return a.ID < b.ID
		})
		report.Results = append(report.Results, *r)
	}
	sort.Slice(report.Results, func(i, j int) bool { return report.Results[i].Target < report.Results[j].Target })
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// hiding is a filesystem without the directories in hidden (slash paths
// from its root) and everything under them.
type hiding struct {
	fs.FS
	hidden map[string]bool
}

func (h hiding) isHidden(name string) bool {
	for p := name; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if h.hidden[p] {
			return true
		}
	}
	return false
}

func (h hiding) Open(name string) (fs.File, error) {
	if h.isHidden(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return h.FS.Open(name)
}

func (h hiding) Stat(name string) (fs.FileInfo, error) {
	if h.isHidden(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fs.Stat(h.FS, name)
}

func (h hiding) ReadDir(name string) ([]fs.DirEntry, error) {
	if h.isHidden(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	entries, err := fs.ReadDir(h.FS, name)
	kept := entries[:0]
	for _, e := range entries {
		if !h.isHidden(path.Join(name, e.Name())) {
			kept = append(kept, e)
		}
	}
	return kept, err
}
