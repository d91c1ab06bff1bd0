package seeddata

// The cache-key contract between the application and the seeder.
//
// The application caches data derived from the seeded tables in Redis under
// CacheKeyPrefix (e.g. the reporting service's fleet summary at
// ReportingSummaryKey). After every seed run the seeder deletes every key
// matching CacheKeyPattern — with SCAN and UNLINK, never KEYS, so a large
// keyspace is neither blocked nor loaded at once — and leaves all other keys
// alone. Services must therefore put every cached view of these tables under
// the prefix, and may cache nothing else there that must survive a seed.
const (
	// CacheKeyPrefix starts every key the application caches seeded data under.
	CacheKeyPrefix = "equiptrack:cache:"
	// CacheKeyPattern is the Redis glob the seeder invalidates after seeding.
	CacheKeyPattern = CacheKeyPrefix + "*"
	// ReportingSummaryKey is where the reporting service caches its fleet summary.
	ReportingSummaryKey = CacheKeyPrefix + "reporting:summary"
)
