//go:build !linux

package blob

// freeSpace is unknown off Linux (-1): only writability is checked.
func freeSpace(string) (int64, error) { return -1, nil }
