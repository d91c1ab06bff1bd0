package schema

import "testing"

func TestMigrationsEmbeddedInOrder(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 1 || ms[0].Version != 1 || ms[0].Name != "init" {
		t.Fatalf("first migration = %+v, want version 1 named init", ms[0])
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Version <= ms[i-1].Version {
			t.Fatalf("migrations out of order: %d after %d", ms[i].Version, ms[i-1].Version)
		}
	}
	if Latest() != ms[len(ms)-1].Version {
		t.Fatalf("Latest() = %d, want %d", Latest(), ms[len(ms)-1].Version)
	}
}
