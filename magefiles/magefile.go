//go:build mage

// equiptrack release kit: `local:up` rehearses a release on this machine's
// Docker; `test` (alias of test:all) runs every test. The targets live in an
// ordinary, importable package so that an application repository can pull
// them into its own magefile the same way (see README).
package main

import (
	//mage:import
	"github.com/equiptrack/release-kit/magefiles/targets"
)

// Aliases: `test` is the one command that runs every test (README, .ci/run).
var Aliases = map[string]interface{}{
	"test": targets.Test.All,
}
