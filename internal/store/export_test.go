package store

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
