package seeddata

// tableSQL says how to read and write one table in Record form. load returns
// every row (seed-owned or not) as the row's ctid (to disown it in the same
// transaction), the natural-key fields, the value fields, all text, then
// seed_owned. insert and update take the key fields then the value
// fields as text parameters ($1…); each must affect exactly one row, so a
// missing referenced row is an error, not a silent no-op.
type tableSQL struct {
	nkeys, nvals int
	load         string
	insert       string
	update       string // sets the values and seed_owned = true, by natural key
}

const tsFmt = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

var tableSQLs = map[string]tableSQL{
	TPermissions: {1, 1,
		`SELECT ctid::text, name, description, seed_owned FROM permissions`,
		`INSERT INTO permissions (name, description, seed_owned) VALUES ($1, $2, true)`,
		`UPDATE permissions SET description = $2 WHERE name = $1 AND seed_owned`},
	TRoles: {1, 1,
		`SELECT ctid::text, name, description, seed_owned FROM roles`,
		`INSERT INTO roles (name, description, seed_owned) VALUES ($1, $2, true)`,
		`UPDATE roles SET description = $2 WHERE name = $1 AND seed_owned`},
	TRolePermissions: {2, 0,
		`SELECT rp.ctid::text, r.name, p.name, rp.seed_owned FROM role_permissions rp
		 JOIN roles r ON r.id = rp.role_id JOIN permissions p ON p.id = rp.permission_id`,
		`INSERT INTO role_permissions (role_id, permission_id, seed_owned)
		 SELECT r.id, p.id, true FROM roles r, permissions p WHERE r.name = $1 AND p.name = $2 AND r.seed_owned AND p.seed_owned`,
		`UPDATE role_permissions SET seed_owned = true
		 WHERE seed_owned AND role_id = (SELECT id FROM roles WHERE name = $1 AND seed_owned)
		 AND permission_id = (SELECT id FROM permissions WHERE name = $2 AND seed_owned)`},
	// users.insert takes the password hash as an extra last parameter.
	TUsers: {1, 3,
		`SELECT ctid::text, username, display_name, email, active::text, seed_owned FROM users`,
		`INSERT INTO users (username, display_name, email, active, password_hash, seed_owned) VALUES ($1, $2, $3, $4::boolean, $5, true)`,
		`UPDATE users SET display_name = $2, email = $3, active = $4::boolean WHERE username = $1 AND seed_owned`},
	TUserRoles: {2, 0,
		`SELECT ur.ctid::text, u.username, r.name, ur.seed_owned FROM user_roles ur
		 JOIN users u ON u.id = ur.user_id JOIN roles r ON r.id = ur.role_id`,
		`INSERT INTO user_roles (user_id, role_id, seed_owned)
		 SELECT u.id, r.id, true FROM users u, roles r WHERE u.username = $1 AND r.name = $2 AND u.seed_owned AND r.seed_owned`,
		`UPDATE user_roles SET seed_owned = true
		 WHERE seed_owned AND user_id = (SELECT id FROM users WHERE username = $1 AND seed_owned)
		 AND role_id = (SELECT id FROM roles WHERE name = $2 AND seed_owned)`},
	TLocations: {1, 2,
		`SELECT ctid::text, code, name, kind, seed_owned FROM locations`,
		`INSERT INTO locations (code, name, kind, seed_owned) VALUES ($1, $2, $3, true)`,
		`UPDATE locations SET name = $2, kind = $3 WHERE code = $1 AND seed_owned`},
	TItemTypes: {1, 2,
		`SELECT ctid::text, code, name, description, seed_owned FROM item_types`,
		`INSERT INTO item_types (code, name, description, seed_owned) VALUES ($1, $2, $3, true)`,
		`UPDATE item_types SET name = $2, description = $3 WHERE code = $1 AND seed_owned`},
	TComponents: {2, 2,
		`SELECT c.ctid::text, t.code, c.code, c.name, c.quantity::text, c.seed_owned FROM item_type_components c
		 JOIN item_types t ON t.id = c.item_type_id`,
		`INSERT INTO item_type_components (item_type_id, code, name, quantity, seed_owned)
		 SELECT t.id, $2, $3, $4::integer, true FROM item_types t WHERE t.code = $1 AND t.seed_owned`,
		`UPDATE item_type_components SET name = $3, quantity = $4::integer
		 WHERE seed_owned AND item_type_id = (SELECT id FROM item_types WHERE code = $1 AND seed_owned) AND code = $2`},
	TItems: {1, 3,
		`SELECT i.ctid::text, i.asset_tag, t.code, l.code, i.status, i.seed_owned FROM items i
		 JOIN item_types t ON t.id = i.item_type_id JOIN locations l ON l.id = i.current_location_id`,
		`INSERT INTO items (asset_tag, item_type_id, current_location_id, status, seed_owned)
		 SELECT $1, t.id, l.id, $4, true FROM item_types t, locations l WHERE t.code = $2 AND l.code = $3 AND t.seed_owned AND l.seed_owned`,
		`UPDATE items SET item_type_id = t.id, current_location_id = l.id, status = $4
		 FROM item_types t, locations l WHERE items.asset_tag = $1 AND items.seed_owned AND t.code = $2 AND l.code = $3 AND t.seed_owned AND l.seed_owned`},
	TChildItems: {1, 3,
		`SELECT ch.ctid::text, ch.serial, i.asset_tag, t.code, c.code, ch.seed_owned FROM child_items ch
		 JOIN items i ON i.id = ch.parent_item_id JOIN item_type_components c ON c.id = ch.component_id
		 JOIN item_types t ON t.id = c.item_type_id`,
		`INSERT INTO child_items (serial, parent_item_id, component_id, seed_owned)
		 SELECT $1, i.id, c.id, true FROM items i, item_type_components c JOIN item_types t ON t.id = c.item_type_id
		 WHERE i.asset_tag = $2 AND t.code = $3 AND c.code = $4 AND i.seed_owned AND c.seed_owned`,
		`UPDATE child_items SET parent_item_id = i.id, component_id = c.id
		 FROM items i, item_type_components c JOIN item_types t ON t.id = c.item_type_id
		 WHERE child_items.serial = $1 AND child_items.seed_owned AND i.asset_tag = $2 AND t.code = $3 AND c.code = $4
		 AND i.seed_owned AND c.seed_owned`},
	TMovements: {2, 3,
		`SELECT m.ctid::text, i.asset_tag, to_char(m.moved_at AT TIME ZONE 'UTC', ` + tsFmt + `), f.code, t.code, m.reason, m.seed_owned
		 FROM movements m JOIN items i ON i.id = m.item_id
		 JOIN locations f ON f.id = m.from_location_id JOIN locations t ON t.id = m.to_location_id`,
		`INSERT INTO movements (item_id, moved_at, from_location_id, to_location_id, reason, seed_owned)
		 SELECT i.id, $2::timestamptz, f.id, t.id, $5, true FROM items i, locations f, locations t
		 WHERE i.asset_tag = $1 AND f.code = $3 AND t.code = $4 AND i.seed_owned AND f.seed_owned AND t.seed_owned`,
		`UPDATE movements SET from_location_id = f.id, to_location_id = t.id, reason = $5
		 FROM items i, locations f, locations t
		 WHERE movements.item_id = i.id AND movements.moved_at = $2::timestamptz AND movements.seed_owned
		 AND i.asset_tag = $1 AND f.code = $3 AND t.code = $4 AND i.seed_owned AND f.seed_owned AND t.seed_owned`},
}

// parentRefs returns the rows a record of table refers to, as (table,
// natural key) pairs: a record can be written only when every one of them is
// a seed row.
func parentRefs(table string, r Record) [][2]string {
	switch table {
	case TRolePermissions:
		return [][2]string{{TRoles, r.Key[0]}, {TPermissions, r.Key[1]}}
	case TUserRoles:
		return [][2]string{{TUsers, r.Key[0]}, {TRoles, r.Key[1]}}
	case TComponents:
		return [][2]string{{TItemTypes, r.Key[0]}}
	case TItems:
		return [][2]string{{TItemTypes, r.Vals[0]}, {TLocations, r.Vals[1]}}
	case TChildItems:
		return [][2]string{{TItems, r.Vals[0]}, {TComponents, r.Vals[1] + "|" + r.Vals[2]}}
	case TMovements:
		return [][2]string{{TItems, r.Key[0]}, {TLocations, r.Vals[0]}, {TLocations, r.Vals[1]}}
	}
	return nil
}

// uniqueName says which tables have a second unique column besides the
// natural key (Vals[0] in record form): a row users added may hold a seed
// row's name under another key.
var uniqueName = map[string]bool{TLocations: true, TItemTypes: true}
