package tfdriver

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Incompatibility is a construct OpenTofu accepts and Terraform does not.
type Incompatibility struct {
	File    string // relative to the scanned root
	Line    int
	Message string
}

func (i Incompatibility) String() string {
	return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Message)
}

// terraformCompat scans a tree for OpenTofu-only constructs, so that the
// configuration checked with OpenTofu here still runs with Terraform where
// the real provider is used (GitHub Actions, a developer's laptop):
//
//   - .tofu / .tofutest.hcl files (Terraform ignores them),
//   - terraform { encryption { … } } (state encryption),
//   - for_each on provider blocks,
//   - lifecycle { enabled = … } (conditional resources and modules),
//   - module source or version that is not a literal string, and backend
//     arguments that are not literals (OpenTofu's early evaluation),
//   - deprecated = … on variables.
//
// A file that does not parse is reported too (validate names the details).
func terraformCompat(root string) ([]Incompatibility, error) {
	var out []Incompatibility
	err := walkFiles(root, func(p string, d fs.DirEntry) error {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		switch {
		case strings.HasSuffix(name, ".tofu"), strings.HasSuffix(name, ".tofutest.hcl"), strings.HasSuffix(name, ".tofu.json"):
			out = append(out, Incompatibility{rel, 1, "OpenTofu-only file extension (Terraform ignores the file)"})
			return nil
		case !strings.HasSuffix(name, ".tf"):
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, diags := hclsyntax.ParseConfig(src, rel, hcl.InitialPos)
		if diags.HasErrors() {
			out = append(out, Incompatibility{rel, line(diags[0].Subject), "does not parse: " + diags[0].Summary})
			return nil
		}
		out = append(out, scanBody(rel, f.Body.(*hclsyntax.Body))...)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, err
}

func line(r *hcl.Range) int {
	if r == nil {
		return 1
	}
	return r.Start.Line
}

func scanBody(file string, body *hclsyntax.Body) []Incompatibility {
	var out []Incompatibility
	add := func(r hcl.Range, msg string) { out = append(out, Incompatibility{file, r.Start.Line, msg}) }
	for _, b := range body.Blocks {
		switch b.Type {
		case "terraform":
			for _, inner := range b.Body.Blocks {
				switch inner.Type {
				case "encryption":
					add(inner.TypeRange, "terraform { encryption } is OpenTofu-only (state encryption)")
				case "backend":
					for name, a := range inner.Body.Attributes {
						if !isLiteral(a.Expr) {
							add(a.SrcRange, fmt.Sprintf("backend argument %q is not a literal: Terraform does not evaluate expressions there", name))
						}
					}
				}
			}
		case "provider":
			if a, ok := b.Body.Attributes["for_each"]; ok {
				add(a.SrcRange, "for_each on a provider block is OpenTofu-only")
			}
		case "module":
			for _, name := range []string{"source", "version"} {
				if a, ok := b.Body.Attributes[name]; ok && !isLiteral(a.Expr) {
					add(a.SrcRange, fmt.Sprintf("module %s is not a literal string: Terraform requires one", name))
				}
			}
		case "variable":
			if a, ok := b.Body.Attributes["deprecated"]; ok {
				add(a.SrcRange, "deprecated on a variable is OpenTofu-only")
			}
		}
		switch b.Type {
		case "resource", "data", "module", "ephemeral":
			for _, inner := range b.Body.Blocks {
				if inner.Type != "lifecycle" {
					continue
				}
				if a, ok := inner.Body.Attributes["enabled"]; ok {
					add(a.SrcRange, "lifecycle { enabled } is OpenTofu-only: use count = condition ? 1 : 0")
				}
			}
		}
	}
	return out
}

// isLiteral: a constant, or a template without interpolations.
func isLiteral(e hclsyntax.Expression) bool {
	switch x := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		return x.IsStringLiteral()
	case *hclsyntax.TemplateWrapExpr, *hclsyntax.FunctionCallExpr:
		return false
	}
	return len(e.Variables()) == 0
}
