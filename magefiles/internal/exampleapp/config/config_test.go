package config

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"pgregory.net/rapid"
)

func env(kv map[string]string) Getenv { return func(k string) string { return kv[k] } }

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"SERVICE": "inventory", "DATABASE_URL": "postgres://u:p@db:5432/equiptrack", "REDIS_HOST": "cache",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.Env != "unknown" || c.Version != "unknown" || c.ShutdownTimeout != 20*time.Second {
		t.Errorf("defaults: port %d env %q version %q shutdown %s", c.Port, c.Env, c.Version, c.ShutdownTimeout)
	}
	if c.RedisURL != "redis://cache:6379/0" {
		t.Errorf("redis URL %q", c.RedisURL)
	}
	want := map[string]string{
		"inventory": "http://inventory:8080", "location": "http://location:8080",
		"user": "http://user:8080", "reporting": "http://reporting:8080",
	}
	if len(c.Upstreams) != len(want) {
		t.Errorf("upstreams %v", c.Upstreams)
	}
	for s, u := range want {
		if got := c.Upstreams[s]; got == nil || got.String() != u {
			t.Errorf("upstream %s = %v, want %s", s, got, u)
		}
	}
}

func TestFromEnvEverything(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"SERVICE": "gateway", "APP_ENV": "staging", "APP_VERSION": "v1.2.3", "PORT": "9090",
		"DB_HOST": "db.internal", "DB_PORT": "6543", "DB_NAME": "et", "DB_USER": "app", "DB_PASSWORD": "p@ss word/?",
		"DB_SSLMODE": "require", "REDIS_URL": "rediss://cache.internal:6380/2",
		"SERVICE_DOMAIN": "equiptrack.local", "UPSTREAM_USER": "http://10.0.0.9:81", "SHUTDOWN_TIMEOUT": "5s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Service != "gateway" || c.Env != "staging" || c.Version != "v1.2.3" || c.Port != 9090 || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("got %+v", c)
	}
	if c.DatabaseURL != "postgres://app:p%40ss%20word%2F%3F@db.internal:6543/et?sslmode=require" {
		t.Errorf("database URL %q", c.DatabaseURL)
	}
	if c.RedisURL != "rediss://cache.internal:6380/2" {
		t.Errorf("redis URL %q", c.RedisURL)
	}
	for s, u := range map[string]string{
		"inventory": "http://inventory.equiptrack.local:8080", "location": "http://location.equiptrack.local:8080",
		"user": "http://10.0.0.9:81", "reporting": "http://reporting.equiptrack.local:8080",
	} {
		if got := c.Upstreams[s].String(); got != u {
			t.Errorf("upstream %s = %s, want %s", s, got, u)
		}
	}
}

// ECS injects the Secrets Manager secret as one JSON string; RDS-managed
// secrets hold only username and password, hand-written ones more.
func TestDBSecret(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"rds managed", map[string]string{"DB_SECRET": `{"username":"etadmin","password":"s3cr:t"}`, "DB_HOST": "rds", "DB_NAME": "equiptrack"},
			"postgres://etadmin:s3cr%3At@rds:5432/equiptrack?sslmode=require"},
		{"full secret, numeric port", map[string]string{"DB_SECRET": `{"username":"u","password":"p","host":"h","port":5433,"dbname":"d","engine":"postgres"}`},
			"postgres://u:p@h:5433/d?sslmode=require"},
		{"string port", map[string]string{"DB_SECRET": `{"username":"u","password":"p","host":"h","port":"5434","dbname":"d"}`},
			"postgres://u:p@h:5434/d?sslmode=require"},
		{"plain vars win", map[string]string{"DB_SECRET": `{"username":"u","password":"p","host":"h","dbname":"d"}`, "DB_USER": "v", "DB_HOST": "k", "DB_PASSWORD": "q"},
			"postgres://v:q@k:5432/d?sslmode=require"},
		{"no password", map[string]string{"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u", "DB_SSLMODE": "disable"},
			"postgres://u@h:5432/d?sslmode=disable"},
		{"ipv6 host", map[string]string{"DB_HOST": "::1", "DB_NAME": "d", "DB_USER": "u"},
			"postgres://u@[::1]:5432/d?sslmode=require"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DatabaseURL(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestFromEnvErrors(t *testing.T) {
	good := map[string]string{"SERVICE": "ui", "DATABASE_URL": "postgres://u:p@h/d", "REDIS_URL": "redis://r:6379/0"}
	cases := []struct {
		name    string
		set     map[string]string
		unset   []string
		wantErr []string // substrings, every one must appear
		noLeak  string   // must not appear in the error
	}{
		{"no service", nil, []string{"SERVICE"}, []string{"SERVICE is not set"}, ""},
		{"bad service", map[string]string{"SERVICE": "billing"}, nil, []string{`SERVICE="billing" is not one of gateway, inventory`}, ""},
		{"bad port", map[string]string{"PORT": "80x"}, nil, []string{`PORT="80x"`}, ""},
		{"port range", map[string]string{"PORT": "70000"}, nil, []string{`PORT="70000" is not an integer in [1, 65535]`}, ""},
		{"no database", nil, []string{"DATABASE_URL"}, []string{"set DATABASE_URL, or DB_HOST, DB_USER (or DB_SECRET username), DB_NAME"}, ""},
		{"bad database URL hides password", map[string]string{"DATABASE_URL": "mysql://u:hunter2@h/d"}, nil, []string{"DATABASE_URL is not a postgres://"}, "hunter2"},
		{"bad secret hides it", map[string]string{"DB_SECRET": `{"username":"u","password":"hunter2"`, "DB_HOST": "h", "DB_NAME": "d"}, []string{"DATABASE_URL"}, []string{"DB_SECRET is not a JSON object"}, "hunter2"},
		{"bad db port", map[string]string{"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u", "DB_PORT": "0"}, []string{"DATABASE_URL"}, []string{`DB_PORT="0"`}, ""},
		{"bad sslmode", map[string]string{"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u", "DB_SSLMODE": "on"}, []string{"DATABASE_URL"}, []string{`DB_SSLMODE="on"`}, ""},
		{"no redis", nil, []string{"REDIS_URL"}, []string{"set REDIS_URL or REDIS_HOST"}, ""},
		{"bad redis URL", map[string]string{"REDIS_URL": "http://r"}, nil, []string{"REDIS_URL is not a redis://"}, ""},
		{"bad redis port", map[string]string{"REDIS_HOST": "r", "REDIS_PORT": "-1"}, []string{"REDIS_URL"}, []string{`REDIS_PORT="-1"`}, ""},
		{"bad upstream", map[string]string{"UPSTREAM_LOCATION": "location:8080"}, nil, []string{`UPSTREAM_LOCATION="location:8080"`}, ""},
		{"upstream with path", map[string]string{"UPSTREAM_USER": "http://u:8080/v1"}, nil, []string{`UPSTREAM_USER="http://u:8080/v1"`}, ""},
		{"bad shutdown", map[string]string{"SHUTDOWN_TIMEOUT": "-3s"}, nil, []string{`SHUTDOWN_TIMEOUT="-3s"`}, ""},
		{"several at once", map[string]string{"SERVICE": "x", "PORT": "y"}, []string{"REDIS_URL"}, []string{`SERVICE="x"`, `PORT="y"`, "set REDIS_URL"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range good {
				m[k] = v
			}
			for k, v := range c.set {
				m[k] = v
			}
			for _, k := range c.unset {
				delete(m, k)
			}
			_, err := FromEnv(env(m))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if c.noLeak != "" && strings.Contains(err.Error(), c.noLeak) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

// Whatever the credentials hold, the assembled URL gives them back to pgx
// unchanged: escaping is complete.
func TestDatabaseURLRoundTripsCredentials(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		user := rapid.StringMatching(`[^\x00]{1,20}`).Draw(t, "user")
		password := rapid.StringMatching(`[^\x00]{1,30}`).Draw(t, "password")
		name := rapid.StringMatching(`[a-z_][a-z0-9_]{0,15}`).Draw(t, "dbname")
		port := rapid.IntRange(1, 65535).Draw(t, "port")
		sec := `{"username":` + jsonString(user) + `,"password":` + jsonString(password) + `}`
		got, err := DatabaseURL(env(map[string]string{
			"DB_SECRET": sec, "DB_HOST": "db.example", "DB_NAME": name, "DB_PORT": itoa(port), "DB_SSLMODE": "disable",
		}))
		if strings.TrimSpace(user) == "" {
			if err == nil {
				t.Fatalf("blank user %q accepted", user)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Fatalf("pgx cannot parse %q: %v", got, err)
		}
		if cfg.User != strings.TrimSpace(user) || cfg.Password != password || cfg.Database != name ||
			cfg.Host != "db.example" || int(cfg.Port) != port {
			t.Fatalf("round trip: user %q password %q db %q host %q port %d", cfg.User, cfg.Password, cfg.Database, cfg.Host, cfg.Port)
		}
	})
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
