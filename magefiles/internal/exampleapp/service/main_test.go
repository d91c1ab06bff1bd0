package service

import (
	"os"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/containertest"
)

// The integration tests share one PostgreSQL and one Redis container per
// package run (a database and a Redis DB per test). Under -short none start
// and those tests skip; without -short, no Docker is a failure.
func TestMain(m *testing.M) { os.Exit(containertest.Run(m, containertest.NeedBoth)) }
