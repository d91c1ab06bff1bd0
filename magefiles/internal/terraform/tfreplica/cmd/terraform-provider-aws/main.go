// Command terraform-provider-aws is the kit's schema replica of the
// hashicorp/aws provider (see package provider). It reads the schema JSON
// from $TFREPLICA_SCHEMA or, by default, from schema.json next to its own
// executable (where tfreplica.Ensure installs both in the mirror). With
// $TFREPLICA_TYPES it serves only the types listed in that file.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/provider"
)

func main() {
	path := os.Getenv("TFREPLICA_SCHEMA")
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "terraform-provider-aws (replica):", err)
			os.Exit(1)
		}
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		path = filepath.Join(filepath.Dir(exe), provider.SchemaFileName)
	}
	var keep func(string) bool
	if f := os.Getenv(provider.TypesEnv); f != "" {
		var err error
		if keep, err = provider.KeepFromFile(f); err != nil {
			fmt.Fprintln(os.Stderr, "terraform-provider-aws (replica):", err)
			os.Exit(1)
		}
	}
	schema, err := provider.LoadSchema(path, keep)
	if err != nil {
		fmt.Fprintf(os.Stderr, "terraform-provider-aws (replica): %s: %v\n", path, err)
		os.Exit(1)
	}
	srv := provider.NewServer(schema)
	if err := tf6server.Serve(provider.ProviderAddress, func() tfprotov6.ProviderServer { return srv }); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-aws (replica):", err)
		os.Exit(1)
	}
}
