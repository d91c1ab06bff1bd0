package tfschema

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// The cdktn code generator emits very regular JavaScript: one class per
// resource, data source and nested struct, each attribute introduced by a
// comment carrying the schema's flags, and one `…ToHclTerraform` function per
// struct listing the Terraform names with `isBlock`, `type` and
// `storageClassType`. A line scanner over that output is enough; nothing here
// tries to understand JavaScript in general.

// hclAttr is one entry of a `…ToHclTerraform` function or of a resource's
// `synthesizeHclAttributes()`: what cdktn writes into HCL for an argument.
type hclAttr struct {
	name    string
	isBlock bool
	typ     string // "simple", "list", "set", "map", "struct"
	storage string // "string", "stringList", "EcsServiceAlarmsList", …
}

// attrSeg is one `// <name> - computed: …, optional: …, required: …`
// comment and the code that follows it up to the next such comment.
type attrSeg struct {
	name                         string
	computed, optional, required bool
	newClass                     string // `_x = new <Class>(this, "x"[, wrapsSet])`
	newArg                       string // "true"/"false" (wrapsSet) or ""
	ret                          string // the getter's return expression
}

// jsClass is one generated class.
type jsClass struct {
	name, base string
	tfType     string // `static tfResourceType = "aws_…"`
	attrs      []attrSeg
	hcl        []hclAttr // synthesizeHclAttributes(), main classes only
	superArgs  int       // arguments after (terraformResource, terraformAttribute)
	elemClass  string    // ComplexList/ComplexMap: the class get() returns
}

// jsModule is every class and struct function of one lib/<dir>/ folder;
// large resources spread theirs over index-structs/structsN.js.
type jsModule struct {
	dir     string
	classes map[string]*jsClass
	hclFunc map[string][]hclAttr // keyed by struct name, e.g. EcsServiceAlarms
}

var (
	reClass    = regexp.MustCompile(`^class (\w+) extends ([\w.]+) \{$`)
	reHclFunc  = regexp.MustCompile(`^function (\w+)ToHclTerraform\(struct\) \{$`)
	reTfType   = regexp.MustCompile(`^    static tfResourceType = "([\w-]+)";$`)
	reComment  = regexp.MustCompile(`^    // (\S+) - computed: (true|false), optional: (true|false), required: (true|false)$`)
	reNew      = regexp.MustCompile(`^    _\w+ = new ([\w.]+)\(this, "[^"]+"(?:, (true|false))?\);$`)
	reGetter   = regexp.MustCompile(`^    get \w+\(\) \{$`)
	reReturn   = regexp.MustCompile(`^\s+return (.*);$`)
	reSuper    = regexp.MustCompile(`^\s+super\(terraformResource, terraformAttribute(.*)\);$`)
	reElemNew  = regexp.MustCompile(`^\s+return new ([\w.]+)\(`)
	reHclEntry = regexp.MustCompile(`^\s+"?([A-Za-z0-9_]+)"?: \{$`)
	reHclField = regexp.MustCompile(`^\s+(isBlock|type|storageClassType): "?(\w+)"?,$`)
)

// sourceMapMarker starts the inline base64 source map that ends every
// generated file; it is larger than the code, so it is cut before scanning.
var sourceMapMarker = []byte("\n//# sourceMappingURL=")

// stripSourceMap returns src without its trailing inline source map.
func stripSourceMap(src []byte) []byte {
	if i := bytes.Index(src, sourceMapMarker); i >= 0 {
		return src[:i+1]
	}
	return src
}

// localName drops a module prefix such as `index_1.` or `structs0_1.` from a
// class reference: classes are looked up by name within the module folder.
func localName(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 && !strings.HasPrefix(s, "cdktn.") {
		return s[i+1:]
	}
	return s
}

// parseJS adds the classes and struct functions of one file to m.
func (m *jsModule) parseJS(src []byte) {
	src = stripSourceMap(src)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)

	var (
		cls      *jsClass
		seg      *attrSeg
		hclList  *[]hclAttr // where entries go: a struct function or a class's synthesizeHclAttributes
		inHclFn  string
		prevLine string
		inHclMth bool
	)
	for sc.Scan() {
		line := sc.Text()
		prev := prevLine
		prevLine = line

		if line == "}" { // end of a top-level function or class
			if inHclFn != "" {
				m.hclFunc[inHclFn] = *hclList
			}
			cls, seg, hclList, inHclFn, inHclMth = nil, nil, nil, "", false
			continue
		}
		if strings.HasPrefix(line, "function ") {
			if mm := reHclFunc.FindStringSubmatch(line); mm != nil {
				inHclFn = upperFirst(mm[1])
				hclList = new([]hclAttr)
			}
			continue
		}
		if strings.HasPrefix(line, "class ") {
			if mm := reClass.FindStringSubmatch(line); mm != nil {
				cls = &jsClass{name: mm[1], base: mm[2]}
				m.classes[cls.name] = cls
			}
			continue
		}
		if hclList != nil && (inHclFn != "" || inHclMth) {
			if mm := reHclEntry.FindStringSubmatch(line); mm != nil {
				*hclList = append(*hclList, hclAttr{name: mm[1]})
				continue
			}
			if mm := reHclField.FindStringSubmatch(line); mm != nil && len(*hclList) > 0 {
				e := &(*hclList)[len(*hclList)-1]
				switch mm[1] {
				case "isBlock":
					e.isBlock = mm[2] == "true"
				case "type":
					e.typ = mm[2]
				case "storageClassType":
					e.storage = mm[2]
				}
				continue
			}
			if inHclMth && line == "    }" {
				cls.hcl = *hclList
				hclList, inHclMth = nil, false
			}
			continue
		}
		if cls == nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "    static tfResourceType"):
			if mm := reTfType.FindStringSubmatch(line); mm != nil {
				cls.tfType = mm[1]
			}
		case strings.HasPrefix(line, "    // ") && strings.Contains(line, " - computed: "):
			if mm := reComment.FindStringSubmatch(line); mm != nil {
				cls.attrs = append(cls.attrs, attrSeg{
					name: mm[1], computed: mm[2] == "true", optional: mm[3] == "true", required: mm[4] == "true",
				})
				seg = &cls.attrs[len(cls.attrs)-1]
			}
		case line == "    synthesizeHclAttributes() {":
			seg = nil
			inHclMth = true
			hclList = new([]hclAttr)
		case strings.Contains(line, "super(terraformResource, terraformAttribute"):
			if mm := reSuper.FindStringSubmatch(line); mm != nil {
				cls.superArgs = strings.Count(mm[1], ",")
			}
		case prev == "    get(index) {" || prev == "    get(key) {":
			if mm := reElemNew.FindStringSubmatch(line); mm != nil {
				cls.elemClass = localName(mm[1])
			}
		case seg != nil && seg.newClass == "" && seg.ret == "" && strings.HasPrefix(line, "    _"):
			if mm := reNew.FindStringSubmatch(line); mm != nil {
				seg.newClass, seg.newArg = localName(mm[1]), mm[2]
			}
		case seg != nil && seg.newClass == "" && seg.ret == "" && strings.HasPrefix(prev, "    get ") && reGetter.MatchString(prev):
			if mm := reReturn.FindStringSubmatch(line); mm != nil {
				seg.ret = mm[1]
			}
		}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
