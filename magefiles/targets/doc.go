// Package targets holds the kit's Mage targets. Each namespace (local, dev,
// staging, infra, seed, …) lives in its own file and stays thin: it validates
// its arguments and calls the library packages that do the work.
//
// Import it into another repository's magefile with
//
//	//mage:import
//	_ "github.com/equiptrack/release-kit/magefiles/targets"
package targets
