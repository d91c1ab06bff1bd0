package tfschema

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// These tests run the extractor on a small hand-written package shaped like
// cdktn's generated code, so every rule is checked without the registry.

const demoResourceJS = `"use strict";
const cdktn = __importStar(require("cdktn"));
function demoThingNetToHclTerraform(struct) {
    if (!cdktn.canInspect(struct) || cdktn.Tokenization.isResolvable(struct)) {
        return struct;
    }
    const attrs = {
        subnets: {
            value: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(struct.subnets),
            isBlock: false,
            type: "set",
            storageClassType: "stringList",
        },
        weight: {
            value: cdktn.numberToHclTerraform(struct.weight),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
        matrix: {
            value: cdktn.listMapperHcl(cdktn.listMapperHcl(cdktn.stringToHclTerraform, false), false)(struct.matrix),
            isBlock: false,
            type: "list",
            storageClassType: "stringListList",
        },
    };
    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}
class DemoThingNetOutputReference extends cdktn.ComplexObject {
    constructor(terraformResource, terraformAttribute) {
        super(terraformResource, terraformAttribute, false, 0);
    }
    // matrix - computed: false, optional: true, required: false
    _matrix;
    get matrix() {
        return this.interpolationForAttribute('matrix');
    }
    // subnets - computed: false, optional: false, required: true
    _subnets;
    get subnets() {
        return cdktn.Fn.tolist(this.getListAttribute('subnets'));
    }
    // weight - computed: false, optional: true, required: false
    _weight;
    get weight() {
        return this.getNumberAttribute('weight');
    }
}
class DemoThingEndpointOutputReference extends cdktn.ComplexObject {
    constructor(terraformResource, terraformAttribute, complexObjectIndex, complexObjectIsFromSet) {
        super(terraformResource, terraformAttribute, complexObjectIsFromSet, complexObjectIndex);
    }
    // address - computed: true, optional: false, required: false
    get address() {
        return this.getStringAttribute('address');
    }
    // ports - computed: true, optional: false, required: false
    get ports() {
        return cdktn.Token.asNumberList(cdktn.Fn.tolist(this.getNumberListAttribute('ports')));
    }
}
class DemoThingEndpointList extends cdktn.ComplexList {
    constructor(terraformResource, terraformAttribute, wrapsSet) {
        super(terraformResource, terraformAttribute, wrapsSet);
    }
    get(index) {
        return new DemoThingEndpointOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
    }
}
exports.DemoThingEndpointList = DemoThingEndpointList;
`

// Everything after the source map marker must be ignored.
const demoTrailer = `//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==
class Bogus extends cdktn.TerraformResource {
    static tfResourceType = "aws_bogus_after_source_map";
}
`

// The struct classes of big resources live in index-structs/structsN.js
// and are referenced through a module prefix (index_1.X).
const demoStructsJS = `"use strict";
function demoThingRuleToHclTerraform(struct) {
    const attrs = {
        name: {
            value: cdktn.stringToHclTerraform(struct.name),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
        statement: {
            value: cdktn.anyToHclTerraform(struct.statement),
            isBlock: false,
            type: "simple",
            storageClassType: "any",
        },
    };
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}
class DemoThingRuleOutputReference extends cdktn.ComplexObject {
    constructor(terraformResource, terraformAttribute, complexObjectIndex, complexObjectIsFromSet) {
        super(terraformResource, terraformAttribute, complexObjectIsFromSet, complexObjectIndex);
    }
    // name - computed: false, optional: false, required: true
    _name;
    get name() {
        return this.getStringAttribute('name');
    }
    // statement - computed: false, optional: true, required: false
    _statement;
    get statement() {
        return this.interpolationForAttribute('statement');
    }
}
class DemoThingRuleList extends cdktn.ComplexList {
    get(index) {
        return new DemoThingRuleOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
    }
}
class DemoThingTimeoutsOutputReference extends cdktn.ComplexObject {
    constructor(terraformResource, terraformAttribute) {
        super(terraformResource, terraformAttribute, false);
    }
    // create - computed: false, optional: true, required: false
    _create;
    get create() {
        return this.getStringAttribute('create');
    }
}
function demoThingTimeoutsToHclTerraform(struct) {
    const attrs = {
        create: {
            value: cdktn.stringToHclTerraform(struct.create),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}
`

const demoMainJS = `"use strict";
const index_1 = require("./index-structs/index");
class DemoThing extends cdktn.TerraformResource {
    static [JSII_RTTI_SYMBOL_1] = { fqn: "@cdktn/provider-aws.demoThing.DemoThing", version: "25.7.0" };
    // =================
    // STATIC PROPERTIES
    // =================
    static tfResourceType = "aws_demo_thing";
    // ==========
    // ATTRIBUTES
    // ==========
    // arn - computed: true, optional: false, required: false
    get arn() {
        return this.getStringAttribute('arn');
    }
    // name - computed: false, optional: false, required: true
    _name;
    get name() {
        return this.getStringAttribute('name');
    }
    set name(value) {
        this._name = value;
    }
    // Temporarily expose input value. Use with caution.
    get nameInput() {
        return this._name;
    }
    // tags_all - computed: true, optional: true, required: false
    _tagsAll;
    get tagsAll() {
        return this.getStringMapAttribute('tags_all');
    }
    // labels - computed: true, optional: false, required: false
    _labels = new cdktn.StringMap(this, "labels");
    get labels() {
        return this._labels;
    }
    // endpoint - computed: true, optional: false, required: false
    _endpoint = new DemoThingEndpointList(this, "endpoint", false);
    get endpoint() {
        return this._endpoint;
    }
    // net - computed: false, optional: false, required: true
    _net = new DemoThingNetOutputReference(this, "net");
    get net() {
        return this._net;
    }
    // rule - computed: false, optional: true, required: false
    _rule = new index_1.DemoThingRuleList(this, "rule", true);
    get rule() {
        return this._rule;
    }
    // attr_rule - computed: true, optional: true, required: false
    _attrRule = new index_1.DemoThingRuleList(this, "attr_rule", false);
    get attrRule() {
        return this._attrRule;
    }
    // timeouts - computed: false, optional: true, required: false
    _timeouts = new index_1.DemoThingTimeoutsOutputReference(this, "timeouts");
    get timeouts() {
        return this._timeouts;
    }
    // =========
    // SYNTHESIS
    // =========
    synthesizeHclAttributes() {
        const attrs = {
            name: {
                value: cdktn.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            tags_all: {
                value: cdktn.hashMapperHcl(cdktn.stringToHclTerraform)(this._tagsAll),
                isBlock: false,
                type: "map",
                storageClassType: "stringMap",
            },
            net: {
                value: demoThingNetToHclTerraform(this._net.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "DemoThingNetList",
            },
            rule: {
                value: cdktn.listMapperHcl(index_1.demoThingRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "set",
                storageClassType: "DemoThingRuleList",
            },
            attr_rule: {
                value: cdktn.listMapperHcl(index_1.demoThingRuleToHclTerraform, true)(this._attrRule.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "DemoThingRuleList",
            },
            timeouts: {
                value: index_1.demoThingTimeoutsToHclTerraform(this._timeouts.internalValue),
                isBlock: true,
                type: "struct",
                storageClassType: "DemoThingTimeouts",
            },
        };
        // remove undefined attributes
        return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
    }
}
exports.DemoThing = DemoThing;
`

const demoDataJS = `"use strict";
class DataAwsDemoThing extends cdktn.TerraformDataSource {
    static tfResourceType = "aws_demo_thing";
    // id - computed: true, optional: true, required: false
    _id;
    get id() {
        return this.getStringAttribute('id');
    }
    // json - computed: true, optional: false, required: false
    get json() {
        return this.getStringAttribute('json');
    }
    synthesizeHclAttributes() {
        const attrs = {
            id: {
                value: cdktn.stringToHclTerraform(this._id),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
        };
        return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
    }
}
`

const demoProviderJS = `"use strict";
function awsProviderDefaultTagsToHclTerraform(struct) {
    const attrs = {
        tags: {
            value: cdktn.hashMapperHcl(cdktn.stringToHclTerraform)(struct.tags),
            isBlock: false,
            type: "map",
            storageClassType: "stringMap",
        },
    };
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}
class AwsProvider extends cdktn.TerraformProvider {
    static tfResourceType = "aws";
    // region - computed: false, optional: true, required: false
    _region;
    get region() {
        return this._region;
    }
    // alias - computed: false, optional: true, required: false
    _alias;
    get alias() {
        return this._alias;
    }
    // default_tags - computed: false, optional: true, required: false
    _defaultTags;
    get defaultTags() {
        return this._defaultTags;
    }
    synthesizeHclAttributes() {
        const attrs = {
            region: {
                value: cdktn.stringToHclTerraform(this._region),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            alias: {
                value: cdktn.stringToHclTerraform(this._alias),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            default_tags: {
                value: cdktn.listMapperHcl(awsProviderDefaultTagsToHclTerraform, false)(this._defaultTags),
                isBlock: true,
                type: "list",
                storageClassType: "AwsProviderDefaultTagsList",
            },
        };
        return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
    }
}
`

const demoPackageJSON = `{"name":"@cdktn/provider-aws","version":"99.1.0",
 "cdktn":{"isDeprecated":false,"provider":{"name":"registry.terraform.io/hashicorp/aws","version":"6.99.1"}}}`

func demoTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func demoFiles() map[string]string {
	return map[string]string{
		"package/package.json":                               demoPackageJSON,
		"package/.jsii":                                      `{"not":"read"}`,
		"package/lib/index.js":                               `exports.demoThing = require("./demo-thing");`,
		"package/lib/demo-thing/index.js":                    demoResourceJS + demoMainJS + demoTrailer,
		"package/lib/demo-thing/index-structs/structs0.js":   demoStructsJS,
		"package/lib/demo-thing/index.d.ts":                  `class Ignored extends cdktn.TerraformResource {`,
		"package/lib/data-aws-demo-thing/index.js":           demoDataJS,
		"package/lib/provider/index.js":                      demoProviderJS,
		"package/lib/provider/index.js.map-not-a-module.txt": "ignored",
	}
}

func TestExtractDemoPackage(t *testing.T) {
	ps, meta, stats, err := extract(context.Background(), bytes.NewReader(demoTarball(t, demoFiles())))
	if err != nil {
		t.Fatal(err)
	}
	if meta.ProviderVersion != "6.99.1" || meta.PackageVersion != "99.1.0" {
		t.Errorf("meta = %+v", meta)
	}
	got, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand from the rules: computed objects are attributes,
	// OutputReference blocks are lists of at most one, a required block has
	// min_items 1, timeouts is single, set blocks lose dynamic types, the
	// provider's alias is dropped, nothing after the source map is read.
	want := `{"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/aws":{` +
		`"provider":{"version":0,"block":{"attributes":{"region":{"type":"string","optional":true}},` +
		`"block_types":{"default_tags":{"nesting_mode":"list","block":{"attributes":{"tags":{"type":["map","string"],"optional":true}}}}}}},` +
		`"resource_schemas":{"aws_demo_thing":{"version":0,"block":{"attributes":{` +
		`"arn":{"type":"string","computed":true},` +
		`"attr_rule":{"type":["list",["object",{"name":"string","statement":"dynamic"}]],"optional":true,"computed":true},` +
		`"endpoint":{"type":["list",["object",{"address":"string","ports":["set","number"]}]],"computed":true},` +
		`"labels":{"type":["map","string"],"computed":true},` +
		`"name":{"type":"string","required":true},` +
		`"tags_all":{"type":["map","string"],"optional":true,"computed":true}},` +
		`"block_types":{` +
		`"net":{"nesting_mode":"list","block":{"attributes":{"matrix":{"type":["list",["list","string"]],"optional":true},"subnets":{"type":["set","string"],"required":true},"weight":{"type":"number","optional":true}}},"min_items":1,"max_items":1},` +
		`"rule":{"nesting_mode":"set","block":{"attributes":{"name":{"type":"string","required":true},"statement":{"type":"string","optional":true}}}},` +
		`"timeouts":{"nesting_mode":"single","block":{"attributes":{"create":{"type":"string","optional":true}}}}}}}},` +
		`"data_source_schemas":{"aws_demo_thing":{"version":0,"block":{"attributes":{"id":{"type":"string","optional":true,"computed":true},"json":{"type":"string","computed":true}}}}}}}}`
	if string(got) != want {
		t.Errorf("schema:\n got %s\nwant %s", got, want)
	}
	if stats.Resources != 1 || stats.DataSources != 1 || stats.DynamicInSets != 1 {
		t.Errorf("stats = %+v", stats)
	}
	s := &Schema{*ps}
	if err := s.Validate(); err != nil {
		t.Errorf("demo schema fails validation: %v", err)
	}
}

func TestExtractRejects(t *testing.T) {
	for name, mutate := range map[string]func(map[string]string){
		"no package.json": func(f map[string]string) { delete(f, "package/package.json") },
		"other provider": func(f map[string]string) {
			f["package/package.json"] = strings.ReplaceAll(demoPackageJSON, "hashicorp/aws", "hashicorp/google")
		},
		"no provider class": func(f map[string]string) { delete(f, "package/lib/provider/index.js") },
		"resource twice": func(f map[string]string) {
			f["package/lib/demo-thing-again/index.js"] = strings.ReplaceAll(demoMainJS, "class DemoThing ", "class DemoThingAgain ")
		},
		"class twice": func(f map[string]string) {
			f["package/lib/demo-thing-copy/index.js"] = demoStructsJS
		},
	} {
		t.Run(name, func(t *testing.T) {
			files := demoFiles()
			mutate(files)
			if _, _, _, err := extract(context.Background(), bytes.NewReader(demoTarball(t, files))); err == nil {
				t.Error("extract accepted it")
			}
		})
	}
	if _, _, _, err := extract(context.Background(), strings.NewReader("not gzip")); err == nil {
		t.Error("extract accepted a non-gzip stream")
	}
}

func TestValidateCatches(t *testing.T) {
	ps, _, _, err := extract(context.Background(), bytes.NewReader(demoTarball(t, demoFiles())))
	if err != nil {
		t.Fatal(err)
	}
	s := &Schema{*ps}
	b := s.Resource("aws_demo_thing").Block
	b.NestedBlocks["rule"].Block.Attributes["statement"].AttributeType = cty.DynamicPseudoType
	b.Attributes["name"].Computed = true
	b.Attributes["BadName"] = b.Attributes["arn"]
	b.NestedBlocks["timeouts"].MaxItems = 1
	err = s.Validate()
	for _, want := range []string{
		"aws_demo_thing.rule: set block with a dynamic type",
		"aws_demo_thing.name: both computed and required",
		"aws_demo_thing.BadName: invalid attribute name",
		"aws_demo_thing.timeouts: single block with min_items/max_items",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestStorageType(t *testing.T) {
	b := &builder{}
	for _, c := range []struct{ storage, typ, want string }{
		{"string", "simple", `"string"`},
		{"boolean", "simple", `"bool"`},
		{"any", "simple", `"dynamic"`},
		{"stringList", "list", `["list","string"]`},
		{"numberList", "set", `["set","number"]`},
		{"stringMap", "map", `["map","string"]`},
		{"stringMapList", "list", `["list",["map","string"]]`},
		{"stringListList", "set", `["set",["list","string"]]`},
		{"stringListMap", "map", `["map",["list","string"]]`},
		{"stringMapMap", "map", `["map",["map","string"]]`},
	} {
		ty := b.storageType(hclAttr{name: "x", storage: c.storage, typ: c.typ})
		got, _ := ty.MarshalJSON()
		if string(got) != c.want {
			t.Errorf("storageType(%s, %s) = %s, want %s", c.storage, c.typ, got, c.want)
		}
	}
	if ty := b.storageType(hclAttr{name: "x", storage: "weird", typ: "simple"}); !ty.Equals(cty.DynamicPseudoType) || len(b.stats.Warnings) != 1 {
		t.Errorf("unknown storage class: %#v, warnings %v", ty, b.stats.Warnings)
	}
}

func TestParsePackageJSON(t *testing.T) {
	m, err := parsePackageJSON([]byte(`{"name":"@cdktn/provider-aws","version":"24.1.0","cdktf":{"provider":{"name":"registry.terraform.io/hashicorp/aws","version":"6.40.0"}}}`))
	if err != nil || m.ProviderVersion != "6.40.0" {
		t.Errorf("cdktf-era package.json: %+v, %v", m, err)
	}
	if _, err := parsePackageJSON([]byte(`{"name":"x","version":"1.0.0"}`)); err == nil {
		t.Error("package.json without a provider accepted")
	}
	if _, err := parsePackageJSON([]byte(`{`)); err == nil {
		t.Error("broken package.json accepted")
	}
}

func TestCheckIntegrity(t *testing.T) {
	p := filepath.Join(t.TempDir(), tarballName())
	if err := os.WriteFile(p, []byte("not the package"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkIntegrity(p); err == nil || !strings.Contains(err.Error(), "integrity") {
		t.Errorf("checkIntegrity(wrong file) = %v", err)
	}
	if err := checkIntegrity(filepath.Join(t.TempDir(), "missing.tgz")); !os.IsNotExist(err) {
		t.Errorf("checkIntegrity(missing) = %v, want not-exist", err)
	}
	if got, want := tarballName(), "cdktn-provider-aws-25.7.0.tgz"; got != want {
		t.Errorf("tarballName() = %s, want %s", got, want)
	}
}
