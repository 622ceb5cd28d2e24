package records

// SetFailpoint installs the import's failpoint hook (nil removes it).
func SetFailpoint(f func(step string) error) { failpoint = f }
