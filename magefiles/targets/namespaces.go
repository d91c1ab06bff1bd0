package targets

import "github.com/magefile/mage/mg"

// The namespaces are declared once here; each one's targets live in a file
// named after it (local.go, seed.go, infra.go, …).

// Local rehearses the release flow on this machine's Docker.
type Local mg.Namespace

// Dev operates the dev environment (AWS us-west-2).
type Dev mg.Namespace

// Staging operates the staging environment (AWS us-east-1).
type Staging mg.Namespace

// Infra validates, tests and plans the Terraform offline.
type Infra mg.Namespace

// Seed runs the demo-data seeder against DATABASE_URL / REDIS_URL.
type Seed mg.Namespace

// Docker makes a Docker engine and the kit's base images available.
type Docker mg.Namespace
