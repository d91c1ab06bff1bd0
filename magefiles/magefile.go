//go:build mage

// The kit's targets are defined in an ordinary, importable package so that an
// application repository can pull them into its own magefile the same way.
package main

import (
	//mage:import
	"github.com/equiptrack/release-kit/magefiles/targets"
)

// Aliases: `test` is the one command that runs every test (README, .ci/run).
var Aliases = map[string]interface{}{
	"test": targets.Test.All,
}
