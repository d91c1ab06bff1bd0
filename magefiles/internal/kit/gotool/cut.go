package gotool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// A Cut leaves some imports out of one file of a module that a tool's build
// compiles, so that the packages behind them — and everything only they
// import — are never compiled. It is for code a tool carries but the kit
// never runs: go-getter's Google Cloud Storage and S3 getters pull in two
// cloud SDKs, gRPC and OpenTelemetry, half of what trivy-iac and tflint
// compile, for module sources the kit does not use.
//
// The build compiles an edited copy of the module (ApplyCuts); the module
// cache is never written. In the file, a function
// whose body needs a cut import (or a declaration the cut removed) keeps
// its signature and returns an error saying it is not built in (or panics
// when it returns no error); an unexported declaration whose signature or
// type needs one is removed; imports left unused go. An exported
// declaration whose signature needs a cut import, or a file that does not
// import what the cut names, stops the build naming it: the release reads
// otherwise than the cut was written for.
type Cut struct {
	Module  string   // module path, e.g. "github.com/hashicorp/go-getter"
	File    string   // slash path inside the module, e.g. "get_gcs.go"
	Imports []string // import paths the file no longer uses
}

func (c Cut) String() string {
	return c.Module + "/" + c.File + " without " + strings.Join(c.Imports, ", ")
}

// GoGetterCloudGetters cuts go-getter's GCS and S3 getters: their SDKs
// (cloud.google.com/go/storage with gRPC and OpenTelemetry, aws-sdk-go-v2's
// S3) are about half of what trivy-iac and tflint compile and a sixth of
// OpenTofu. `gcs::` and `s3::` sources then fail with the cut's error; the
// kit's Terraform uses local modules, and no tool here downloads one (Trivy
// reads no network, TFLint's module rules only parse the source).
var GoGetterCloudGetters = []Cut{
	{Module: "github.com/hashicorp/go-getter", File: "get_gcs.go", Imports: []string{
		"cloud.google.com/go/storage", "golang.org/x/oauth2", "google.golang.org/api/iterator", "google.golang.org/api/option",
	}},
	{Module: "github.com/hashicorp/go-getter", File: "get_s3.go", Imports: []string{
		"github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/credentials",
		"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds", "github.com/aws/aws-sdk-go-v2/feature/ec2/imds",
		"github.com/aws/aws-sdk-go-v2/service/s3", "github.com/hashicorp/aws-sdk-go-base/v2/endpoints",
	}},
}

// errorsImport is the name the cut file imports "errors" under, chosen so
// that it cannot clash with a name of the file's own.
const errorsImport = "kitcutErrors"

// cutFile returns src without the imports named, as Cut describes; what
// names the cut in the error a stubbed function returns.
func cutFile(src []byte, imports []string, what string) ([]byte, error) {
	fset := token.NewFileSet()
	// Comments are left out of the rewritten body (those of removed
	// declarations would be left stranded); the header before the package
	// clause — the licence and any build constraint — is kept verbatim.
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	header := src[:fset.Position(f.Package).Offset]

	cut := map[string]bool{} // local names of the cut imports
	for _, p := range imports {
		spec := findImport(f, p)
		if spec == nil {
			return nil, fmt.Errorf("does not import %q", p)
		}
		name, err := importName(spec)
		if err != nil {
			return nil, err
		}
		cut[name] = true
	}

	// needs reports whether n uses a cut import or a removed declaration.
	removed := map[string]bool{}
	needs := func(n ast.Node) bool {
		if n == nil {
			return false
		}
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && cut[id.Name] {
					found = true
				}
				if removed[x.Sel.Name] {
					found = true
				}
			case *ast.Ident:
				if removed[x.Name] {
					found = true
				}
			}
			return !found
		})
		return found
	}

	stubbed := map[*ast.FuncDecl]bool{}
	for changed := true; changed; {
		changed = false
		var kept []ast.Decl
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if (d.Recv != nil && needs(d.Recv)) || needs(d.Type) {
					if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
						return nil, fmt.Errorf("exported %s needs a cut import in its signature", funcName(d))
					}
					removed[d.Name.Name] = true
					changed = true
					continue
				}
				if !stubbed[d] && d.Body != nil && needs(d.Body) {
					d.Body = stubBody(d.Type, what+": "+funcName(d)+" is not built into this binary")
					stubbed[d] = true
					changed = true
				}
			case *ast.GenDecl:
				if d.Tok != token.IMPORT {
					var specs []ast.Spec
					for _, s := range d.Specs {
						if !needs(s) {
							specs = append(specs, s)
							continue
						}
						for _, name := range specNames(s) {
							if ast.IsExported(name) {
								return nil, fmt.Errorf("exported %s needs a cut import", name)
							}
							removed[name] = true
						}
						changed = true
					}
					if len(specs) == 0 {
						continue
					}
					d.Specs = specs
				}
			}
			kept = append(kept, d)
		}
		f.Decls = kept
	}

	// Drop the imports nothing uses any more (the cut ones among them);
	// blank and dot imports stay unless cut.
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if x, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := x.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		g.Specs = slices.DeleteFunc(g.Specs, func(s ast.Spec) bool {
			spec := s.(*ast.ImportSpec)
			p, _ := strconv.Unquote(spec.Path.Value)
			if slices.Contains(imports, p) {
				return true
			}
			if spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".") {
				return false
			}
			name, err := importName(spec)
			return err == nil && !used[name]
		})
		if len(g.Specs) > 0 {
			g.Lparen = 1 // keep the parenthesised form
		}
	}
	f.Decls = slices.DeleteFunc(f.Decls, func(d ast.Decl) bool {
		g, ok := d.(*ast.GenDecl)
		return ok && g.Tok == token.IMPORT && len(g.Specs) == 0
	})
	if len(stubbed) > 0 {
		f.Decls = slices.Insert(f.Decls, 0, ast.Decl(&ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{&ast.ImportSpec{
			Name: ast.NewIdent(errorsImport), Path: &ast.BasicLit{Kind: token.STRING, Value: `"errors"`},
		}}}))
	}

	var body bytes.Buffer
	if err := format.Node(&body, token.NewFileSet(), f); err != nil {
		return nil, err
	}
	return append(append([]byte{}, header...), body.Bytes()...), nil
}

// stubBody is a body returning the zero value of every result and an error
// saying msg, or panicking with msg when the last result is not an error.
func stubBody(ft *ast.FuncType, msg string) *ast.BlockStmt {
	var results []ast.Expr
	if ft.Results != nil {
		for _, field := range ft.Results.List {
			n := max(len(field.Names), 1)
			for range n {
				results = append(results, field.Type)
			}
		}
	}
	lit := &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(msg)}
	if len(results) == 0 || !isIdent(results[len(results)-1], "error") {
		return &ast.BlockStmt{List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent("panic"), Args: []ast.Expr{lit}}}}}
	}
	var ret []ast.Expr
	for _, t := range results[:len(results)-1] {
		// *new(T) is the zero value of any type T.
		ret = append(ret, &ast.StarExpr{X: &ast.CallExpr{Fun: ast.NewIdent("new"), Args: []ast.Expr{t}}})
	}
	ret = append(ret, &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent(errorsImport), Sel: ast.NewIdent("New")}, Args: []ast.Expr{lit}})
	return &ast.BlockStmt{List: []ast.Stmt{&ast.ReturnStmt{Results: ret}}}
}

func findImport(f *ast.File, p string) *ast.ImportSpec {
	for _, s := range f.Imports {
		if v, _ := strconv.Unquote(s.Path.Value); v == p {
			return s
		}
	}
	return nil
}

// importName is the name an import is referred to by: its explicit name,
// or the last element of its path (a version element such as v2 skipped),
// which is the package name of every import a cut names.
func importName(s *ast.ImportSpec) (string, error) {
	if s.Name != nil {
		return s.Name.Name, nil
	}
	p, _ := strconv.Unquote(s.Path.Value)
	base := path.Base(p)
	if regexp.MustCompile(`^v\d+$`).MatchString(base) {
		base = path.Base(path.Dir(p))
	}
	if !token.IsIdentifier(base) {
		return "", fmt.Errorf("import %q: its package name is not its last path element; name the import", p)
	}
	return base, nil
}

func specNames(s ast.Spec) []string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return []string{s.Name.Name}
	case *ast.ValueSpec:
		var names []string
		for _, n := range s.Names {
			names = append(names, n.Name)
		}
		return names
	}
	return nil
}

func exportedRecv(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil {
		return d.Name.Name
	}
	var b bytes.Buffer
	_ = format.Node(&b, token.NewFileSet(), d.Recv.List[0].Type)
	return "(" + b.String() + ")." + d.Name.Name
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// ApplyCuts makes the build of the module at dir — a writable copy, the
// main module of the build — compile the cut files. A cut in that module
// edits its file in place. A cut in a dependency copies the version of it
// that the build selects under work, edits the copy and adds a replace
// directive to dir's go.mod (the go command reads no overlay of a file in
// the module cache, and never writes there).
func ApplyCuts(ctx context.Context, o sh.Options, cuts []Cut, dir, work string) error {
	if len(cuts) == 0 {
		return nil
	}
	o.Dir = dir
	o.Combined = false // stdout is JSON; stderr says what it downloads
	out, err := o.Run(ctx, "go", "list", "-m", "-json")
	if err != nil {
		return fmt.Errorf("cut: %w", err)
	}
	var main struct{ Path string }
	if err := json.Unmarshal([]byte(out), &main); err != nil {
		return fmt.Errorf("cut: go list -m: %w", err)
	}
	copies := map[string]string{} // module path -> its writable copy
	var replaces []string
	for _, c := range cuts {
		root, ok := copies[c.Module]
		switch {
		case ok:
		case c.Module == main.Path:
			root = dir
		default:
			// The version the build selects, downloaded (on a cold
			// machine nothing is yet).
			out, err := o.Run(ctx, "go", "mod", "download", "-json", c.Module)
			if err != nil {
				return fmt.Errorf("cut %s: %w", c, err)
			}
			var m struct{ Path, Version, Dir, Error string }
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				return fmt.Errorf("cut %s: go mod download: %w", c, err)
			}
			if m.Error != "" || m.Dir == "" || m.Version == "" {
				return fmt.Errorf("cut %s: the build selects no version of %s to download: %s", c, c.Module, m.Error)
			}
			root = filepath.Join(work, "cut", strings.ReplaceAll(m.Path, "/", "_")+"@"+m.Version)
			if err := CopyTree(m.Dir, root); err != nil {
				return fmt.Errorf("cut %s: %w", c, err)
			}
			replaces = append(replaces, fmt.Sprintf("replace %s %s => %s\n", m.Path, m.Version, root))
		}
		copies[c.Module] = root
		file := filepath.Join(root, filepath.FromSlash(c.File))
		src, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("cut %s: %w", c, err)
		}
		edited, err := cutFile(src, c.Imports, "cut by the equiptrack kit's build")
		if err != nil {
			return fmt.Errorf("cut %s: %w", c, err)
		}
		if err := os.WriteFile(file, edited, 0o644); err != nil {
			return err
		}
	}
	if len(replaces) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.Join(replaces, ""))
	return errors.Join(err, f.Close())
}

// CopyTree copies the directories and regular files under from to to,
// writable (the module cache's are read-only): how a build gets a module it
// may edit.
func CopyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case !d.Type().IsRegular():
			return nil // a module zip holds nothing else
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
