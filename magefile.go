//go:build ignore

// This file is the zero-install entry point: `go run magefile.go <target>` runs
// the kit's Mage targets without a mage binary on the machine. The targets
// themselves live in magefiles/ (thin) and the packages they import.
package main

import (
	"os"

	"github.com/magefile/mage/mage"
)

func main() { os.Exit(mage.Main()) }
