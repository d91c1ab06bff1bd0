package targets

import (
	"fmt"
	"os"
	"strconv"
)

// The targets are the only readers of the environment: each variable is
// parsed here, once, and handed to the library as an option. A bad value
// is one line naming the variable, before any work.

func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1/0 or true/false", name, v)
	}
	return b, nil
}

// envInt returns $name as an integer from min to max, or def when unset.
func envInt(name string, def, min, max int, what string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%s=%q: want %s from %d to %d", name, v, what, min, max)
	}
	return n, nil
}

// envPort returns $name as a TCP port, or def when unset.
func envPort(name string, def int) (int, error) {
	return envInt(name, def, 1, 65535, "a port number")
}

// envPorts reads two ports, each with its default.
func envPorts(a string, defA int, b string, defB int) (int, int, error) {
	pa, err := envPort(a, defA)
	if err != nil {
		return 0, 0, err
	}
	pb, err := envPort(b, defB)
	return pa, pb, err
}
