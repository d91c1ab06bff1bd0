//go:build ignore

// This file is the zero-install entry point: `go run magefile.go <target>` runs
// the kit's Mage targets without a mage binary on the machine. The targets
// themselves live in magefiles/ (thin) and the packages they import.
package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/magefile/mage/mage"
)

func main() {
	// Two compiles at once per core, where go's default is one, for mage's
	// build of the targets and the go commands they run (unless GOFLAGS
	// already sets -p). A machine busy with other work shares its CPU out
	// per runnable thread, and a build graph often narrows to a package
	// waiting for its imports: with one compile per core the other work
	// then took most of the machine. Beside two busy loops on 2 cores, the
	// cold build of the targets took 173 s with -p=6 instead of 210 s, the
	// loops 101 CPU-seconds instead of 177 (docs/development.md, "The cold
	// run").
	if flags := os.Getenv("GOFLAGS"); !strings.Contains(" "+flags, " -p=") {
		os.Setenv("GOFLAGS", strings.TrimSpace(flags+" -p="+strconv.Itoa(2*runtime.GOMAXPROCS(0))))
	}
	os.Exit(mage.Main())
}
