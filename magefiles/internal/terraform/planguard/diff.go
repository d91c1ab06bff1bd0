package planguard

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Changed is one attribute a change alters.
type Changed struct {
	// Path is the attribute: "desired_count", "tags.Name",
	// "scalable_target_action[0].min_capacity"; inside a string holding
	// JSON (an SSM parameter's value, a policy) the JSON's own path follows
	// a colon: "value:services.gateway.desired_count".
	Path string
	// Unknown: the value is known only after apply.
	Unknown bool
}

// ChangedPaths compares a change's before and after (and after_unknown)
// down to the leaves, sorted by path. Values are never returned: only
// where they differ.
func ChangedPaths(c *tfjson.Change) []Changed {
	var out []Changed
	diff(nil, c.Before, c.After, c.AfterUnknown, false, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

type seg struct {
	key   string
	index int // -1 for a key
}

func diff(path []seg, before, after, unknown any, inJSON bool, out *[]Changed) {
	if u, ok := unknown.(bool); ok && u {
		*out = append(*out, Changed{Path: formatSegs(path), Unknown: true})
		return
	}
	switch a := after.(type) {
	case map[string]any:
		b, ok := before.(map[string]any)
		if !ok {
			if before != nil || len(a) > 0 {
				*out = append(*out, Changed{Path: formatSegs(path)})
			}
			return
		}
		um, _ := unknown.(map[string]any)
		keys := map[string]bool{}
		for k := range a {
			keys[k] = true
		}
		for k := range b {
			keys[k] = true
		}
		for k := range um {
			keys[k] = true // unknown attributes are absent from after
		}
		for k := range keys {
			diff(append(path[:len(path):len(path)], seg{key: k, index: -1}), b[k], a[k], um[k], inJSON, out)
		}
		return
	case []any:
		b, ok := before.([]any)
		if !ok || len(b) != len(a) {
			if before != nil || len(a) > 0 || (ok && len(b) > 0) {
				*out = append(*out, Changed{Path: formatSegs(path)})
			}
			return
		}
		ul, _ := unknown.([]any)
		for i := range a {
			var u any
			if i < len(ul) {
				u = ul[i]
			}
			diff(append(path[:len(path):len(path)], seg{index: i}), b[i], a[i], u, inJSON, out)
		}
		return
	case string:
		if b, ok := before.(string); ok && b != a && !inJSON {
			// JSON documents in strings (SSM parameters, policies): say
			// which part differs rather than "the whole value".
			var jb, ja any
			if json.Unmarshal([]byte(b), &jb) == nil && json.Unmarshal([]byte(a), &ja) == nil && isContainer(jb) && isContainer(ja) {
				n := len(*out)
				diff(path, jb, ja, nil, true, out)
				for i := n; i < len(*out); i++ {
					(*out)[i].Path = jsonPath(path, (*out)[i].Path)
				}
				return
			}
		}
	case nil:
		if before == nil {
			return
		}
		if b, ok := before.(map[string]any); ok && len(b) == 0 {
			return
		}
		if b, ok := before.([]any); ok && len(b) == 0 {
			return
		}
	}
	if !reflect.DeepEqual(before, after) {
		*out = append(*out, Changed{Path: formatSegs(path)})
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// jsonPath rewrites a path found inside a JSON string at attribute prefix:
// "value" + "services.gateway.desired_count" -> "value:services.gateway.desired_count".
func jsonPath(prefix []seg, full string) string {
	p := formatSegs(prefix)
	inner := strings.TrimPrefix(full, p)
	inner = strings.TrimPrefix(inner, ".")
	if inner == "" {
		return p
	}
	return p + ":" + inner
}

func formatSegs(path []seg) string {
	var b strings.Builder
	for i, s := range path {
		if s.index >= 0 && s.key == "" {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// FormatPath renders a replace_paths entry: ["engine_version"] ->
// "engine_version", ["ingress", 0, "from_port"] -> "ingress[0].from_port".
func FormatPath(path []any) string {
	var segs []seg
	for _, p := range path {
		switch v := p.(type) {
		case string:
			segs = append(segs, seg{key: v, index: -1})
		case float64:
			segs = append(segs, seg{index: int(v)})
		case int:
			segs = append(segs, seg{index: v})
		default:
			segs = append(segs, seg{key: fmt.Sprint(v), index: -1})
		}
	}
	return formatSegs(segs)
}
