package store

import "context"

// PackCascades lists, for the tests, what a pack copies along with a
// table's rows: "child.column" by parent table.
func PackCascades() map[string][]string {
	out := map[string][]string{}
	for parent, children := range packTree {
		for _, c := range children {
			if !c.link {
				out[parent] = append(out[parent], c.table+"."+c.col)
			}
		}
	}
	return out
}

// MigrateTo applies the migrations up to version, for the tests of one
// migration on data written before it.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
