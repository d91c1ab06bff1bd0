package seeddata

import (
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

//go:embed data/*.json data/*.csv
var dataFiles embed.FS

// Permission, Role, User, … are the dataset's rows, addressed by natural key.
type (
	Permission struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	Role struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Permissions []string `json:"permissions"`
	}
	User struct {
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		Email       string   `json:"email"`
		Active      bool     `json:"active"`
		Roles       []string `json:"roles"`
	}
	Location struct {
		Code string `json:"code"`
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	Component struct {
		Code     string `json:"code"`
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	}
	ItemType struct {
		Code        string      `json:"code"`
		Name        string      `json:"name"`
		Description string      `json:"description"`
		Components  []Component `json:"components"`
	}
	// Item is a parent item; CurrentLocation is where its movement chain ends.
	Item struct {
		AssetTag        string
		TypeCode        string
		CurrentLocation string
		Status          string
	}
	// ChildItem is one instance of a component of its parent's type. Serials
	// are derived: <parent asset tag>-<component code>-<n>, n from 1 to the
	// component's quantity.
	ChildItem struct {
		Serial        string
		ParentTag     string
		TypeCode      string
		ComponentCode string
	}
)

// MovementParams are the generator's inputs from data/movements.json.
type MovementParams struct {
	RandomSeed   uint64    `json:"random_seed"`
	Anchor       time.Time `json:"anchor"`
	MinMovements int       `json:"min_movements"`
	MaxPerItem   int       `json:"max_per_item"`
}

// Dataset is the whole demo dataset, fully expanded (children and movements
// generated), in a fixed order.
type Dataset struct {
	Permissions []Permission
	Roles       []Role
	Users       []User
	Locations   []Location
	ItemTypes   []ItemType
	Items       []Item
	Children    []ChildItem
	Movements   []Movement
	Params      MovementParams
}

// Load parses the embedded data files, validates them and expands children
// and movements. The result is the same on every call.
func Load() (*Dataset, error) {
	var d Dataset
	var rolesFile struct {
		Permissions []Permission `json:"permissions"`
		Roles       []Role       `json:"roles"`
		Users       []User       `json:"users"`
	}
	if err := readJSON("data/roles.json", &rolesFile); err != nil {
		return nil, err
	}
	d.Permissions, d.Roles, d.Users = rolesFile.Permissions, rolesFile.Roles, rolesFile.Users
	var invFile struct {
		Locations []Location `json:"locations"`
		ItemTypes []ItemType `json:"item_types"`
	}
	if err := readJSON("data/inventory.json", &invFile); err != nil {
		return nil, err
	}
	d.Locations, d.ItemTypes = invFile.Locations, invFile.ItemTypes
	if err := readJSON("data/movements.json", &d.Params); err != nil {
		return nil, err
	}
	items, err := readItems("data/items.csv")
	if err != nil {
		return nil, err
	}
	d.Items = items
	if err := d.validate(); err != nil {
		return nil, err
	}
	d.expandChildren()
	if err := d.generateMovements(); err != nil {
		return nil, err
	}
	return &d, nil
}

func readJSON(name string, v any) error {
	b, err := dataFiles.ReadFile(name)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("dataset %s: %w", name, err)
	}
	return nil
}

func readItems(name string) ([]Item, error) {
	b, err := dataFiles.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = 2
	head, err := r.Read()
	if err != nil || head[0] != "asset_tag" || head[1] != "item_type" {
		return nil, fmt.Errorf("dataset %s: header must be asset_tag,item_type", name)
	}
	var out []Item
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", name, err)
		}
		out = append(out, Item{AssetTag: rec[0], TypeCode: rec[1], Status: "active"})
	}
	return out, nil
}

func (d *Dataset) validate() error {
	uniq := func(what string, keys []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, k := range keys {
			if strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("dataset: empty %s", what)
			}
			if m[k] {
				return nil, fmt.Errorf("dataset: duplicate %s %q", what, k)
			}
			m[k] = true
		}
		return m, nil
	}
	perms, err := uniq("permission", mapSlice(d.Permissions, func(p Permission) string { return p.Name }))
	if err != nil {
		return err
	}
	roles, err := uniq("role", mapSlice(d.Roles, func(r Role) string { return r.Name }))
	if err != nil {
		return err
	}
	for _, r := range d.Roles {
		if _, err := uniq("permission of role "+r.Name, r.Permissions); err != nil {
			return err
		}
		for _, p := range r.Permissions {
			if !perms[p] {
				return fmt.Errorf("dataset: role %q grants unknown permission %q", r.Name, p)
			}
		}
	}
	if _, err := uniq("user", mapSlice(d.Users, func(u User) string { return u.Username })); err != nil {
		return err
	}
	for _, u := range d.Users {
		for _, r := range u.Roles {
			if !roles[r] {
				return fmt.Errorf("dataset: user %q has unknown role %q", u.Username, r)
			}
		}
	}
	if _, err := uniq("location code", mapSlice(d.Locations, func(l Location) string { return l.Code })); err != nil {
		return err
	}
	if _, err := uniq("location name", mapSlice(d.Locations, func(l Location) string { return l.Name })); err != nil {
		return err
	}
	for _, l := range d.Locations {
		if l.Kind != KindHospital && l.Kind != KindWarehouse && l.Kind != KindQuarantine {
			return fmt.Errorf("dataset: location %q has unknown kind %q", l.Code, l.Kind)
		}
	}
	types, err := uniq("item type code", mapSlice(d.ItemTypes, func(t ItemType) string { return t.Code }))
	if err != nil {
		return err
	}
	if _, err := uniq("item type name", mapSlice(d.ItemTypes, func(t ItemType) string { return t.Name })); err != nil {
		return err
	}
	for _, t := range d.ItemTypes {
		if len(t.Components) == 0 {
			return fmt.Errorf("dataset: item type %q has no components", t.Code)
		}
		if _, err := uniq("component of "+t.Code, mapSlice(t.Components, func(c Component) string { return c.Code })); err != nil {
			return err
		}
		for _, c := range t.Components {
			if c.Quantity < 1 {
				return fmt.Errorf("dataset: component %s/%s has quantity %d", t.Code, c.Code, c.Quantity)
			}
		}
	}
	if _, err := uniq("asset tag", mapSlice(d.Items, func(i Item) string { return i.AssetTag })); err != nil {
		return err
	}
	for _, it := range d.Items {
		if !types[it.TypeCode] {
			return fmt.Errorf("dataset: item %q has unknown type %q", it.AssetTag, it.TypeCode)
		}
	}
	if d.Params.Anchor.IsZero() || d.Params.MinMovements < 1 || d.Params.MaxPerItem < 1 {
		return fmt.Errorf("dataset: movements.json needs anchor, min_movements and max_per_item")
	}
	return nil
}

func (d *Dataset) expandChildren() {
	comps := map[string][]Component{}
	for _, t := range d.ItemTypes {
		comps[t.Code] = t.Components
	}
	for _, it := range d.Items {
		for _, c := range comps[it.TypeCode] {
			for n := 1; n <= c.Quantity; n++ {
				d.Children = append(d.Children, ChildItem{
					Serial:        it.AssetTag + "-" + c.Code + "-" + strconv.Itoa(n),
					ParentTag:     it.AssetTag,
					TypeCode:      it.TypeCode,
					ComponentCode: c.Code,
				})
			}
		}
	}
}

// GenInput returns the movement generator's input for this dataset.
func (d *Dataset) GenInput() GenInput {
	in := GenInput{
		Seed:       d.Params.RandomSeed,
		Anchor:     d.Params.Anchor,
		MinTotal:   d.Params.MinMovements,
		MaxPerItem: d.Params.MaxPerItem,
	}
	for _, it := range d.Items {
		in.AssetTags = append(in.AssetTags, it.AssetTag)
	}
	for _, l := range d.Locations {
		switch l.Kind {
		case KindHospital:
			in.Hospitals = append(in.Hospitals, l.Code)
		case KindWarehouse:
			in.Warehouses = append(in.Warehouses, l.Code)
		case KindQuarantine:
			in.Quarantines = append(in.Quarantines, l.Code)
		}
	}
	return in
}

func (d *Dataset) generateMovements() error {
	res, err := GenerateMovements(d.GenInput())
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	d.Movements = res.Movements
	for i := range d.Items {
		d.Items[i].CurrentLocation = res.Current[d.Items[i].AssetTag]
	}
	return nil
}

func mapSlice[T any](s []T, f func(T) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}
