package directory

// SetWriters sets how many establishments an AAF import writes at once on
// PostgreSQL (1: one at a time, as on SQLite).
func SetWriters(im *Importer, n int) { im.writers = n }
