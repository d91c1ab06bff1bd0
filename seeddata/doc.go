// Package seeddata is the equiptrack demo dataset (embedded data files) and its
// idempotent, deterministic seeder. See README.md for the data, the steps, the
// idempotency rules, the fingerprint and the cache-key contract.
package seeddata
