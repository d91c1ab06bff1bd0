package seeddata

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Step names, as the team knows them.
const (
	StepRoles     = "setup_default_roles"
	StepInventory = "reseed_complete_inventory"
	StepMovements = "generate_movements"
)

// AllSteps is the full seed, in order.
var AllSteps = []string{StepRoles, StepInventory, StepMovements}

// Record is one seed row in canonical text form: the natural-key fields and
// the value fields, with foreign keys as the referenced rows' natural keys.
// Generated ids and password hashes never appear here, which is what makes
// the fingerprint independent of the database it was computed on.
type Record struct {
	Key  []string
	Vals []string
}

// KeyString joins the natural-key fields; it is the ledger's natural_key.
func (r Record) KeyString() string { return strings.Join(r.Key, "|") }

func (r Record) canon(table string) string {
	return table + "\x1f" + strings.Join(r.Key, "\x1f") + "\x1e" + strings.Join(r.Vals, "\x1f")
}

// Hash is the SHA-256 (hex) of the row's canonical form in table; the ledger
// stores it to tell rows users edited from rows the seeder wrote.
func (r Record) Hash(table string) string {
	s := sha256.Sum256([]byte(r.canon(table)))
	return hex.EncodeToString(s[:])
}

// Table names, in the order the seeder writes them (parents before children).
const (
	TPermissions     = "permissions"
	TRoles           = "roles"
	TRolePermissions = "role_permissions"
	TUsers           = "users"
	TUserRoles       = "user_roles"
	TLocations       = "locations"
	TItemTypes       = "item_types"
	TComponents      = "item_type_components"
	TItems           = "items"
	TChildItems      = "child_items"
	TMovements       = "movements"
)

// Tables lists every seeded table in write order.
var Tables = []string{TPermissions, TRoles, TRolePermissions, TUsers, TUserRoles,
	TLocations, TItemTypes, TComponents, TItems, TChildItems, TMovements}

// StepTables maps each step to the tables it owns.
var StepTables = map[string][]string{
	StepRoles:     {TPermissions, TRoles, TRolePermissions, TUsers, TUserRoles},
	StepInventory: {TLocations, TItemTypes, TComponents, TItems, TChildItems},
	StepMovements: {TMovements},
}

// timeLayout is how timestamps appear in records (UTC, microseconds, the
// precision PostgreSQL keeps).
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// Records returns the dataset's rows per table in canonical form.
func (d *Dataset) Records() map[string][]Record {
	out := map[string][]Record{}
	add := func(t string, key []string, vals ...string) {
		out[t] = append(out[t], Record{Key: key, Vals: vals})
	}
	for _, p := range d.Permissions {
		add(TPermissions, []string{p.Name}, p.Description)
	}
	for _, r := range d.Roles {
		add(TRoles, []string{r.Name}, r.Description)
		for _, p := range r.Permissions {
			add(TRolePermissions, []string{r.Name, p})
		}
	}
	for _, u := range d.Users {
		add(TUsers, []string{u.Username}, u.DisplayName, u.Email, strconv.FormatBool(u.Active))
		for _, r := range u.Roles {
			add(TUserRoles, []string{u.Username, r})
		}
	}
	for _, l := range d.Locations {
		add(TLocations, []string{l.Code}, l.Name, l.Kind)
	}
	for _, t := range d.ItemTypes {
		add(TItemTypes, []string{t.Code}, t.Name, t.Description)
		for _, c := range t.Components {
			add(TComponents, []string{t.Code, c.Code}, c.Name, strconv.Itoa(c.Quantity))
		}
	}
	for _, it := range d.Items {
		add(TItems, []string{it.AssetTag}, it.TypeCode, it.CurrentLocation, it.Status)
	}
	for _, c := range d.Children {
		add(TChildItems, []string{c.Serial}, c.ParentTag, c.TypeCode, c.ComponentCode)
	}
	for _, m := range d.Movements {
		add(TMovements, []string{m.AssetTag, fmtTime(m.MovedAt)}, m.From, m.To, m.Reason)
	}
	return out
}

// fingerprintVersion prefixes the hashed text so a change of the canonical
// form is a change of every fingerprint.
const fingerprintVersion = "equiptrack-seed-fingerprint/v1\n"

// Fingerprint is the SHA-256 (64 hex digits) over the given rows of every
// table: tables in a fixed order, rows sorted by natural key, each in
// canonical form. It is what "staging has the same data as dev" compares.
func Fingerprint(rows map[string][]Record) string {
	h := sha256.New()
	h.Write([]byte(fingerprintVersion))
	for _, t := range Tables {
		lines := make([]string, 0, len(rows[t]))
		for _, r := range rows[t] {
			lines = append(lines, r.canon(t))
		}
		sort.Strings(lines)
		for _, l := range lines {
			h.Write([]byte(l))
			h.Write([]byte{'\n'})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
