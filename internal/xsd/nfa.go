package xsd

import "slices"

// nfa is a content model as a Thompson automaton over child element
// declarations: occurrence bounds are unrolled (maxOccurs="8" gives eight
// copies), so matching is a linear walk over the children with a set of
// states, with no backtracking.
type nfa struct {
	eps     [][]int
	edges   [][]edge
	final   int
	closure [][]int // epsilon closure of each state, sorted
	start   []int
}

type edge struct {
	elem int
	to   int
}

func buildNFA(p Particle) *nfa {
	n := &nfa{}
	s := n.state()
	n.final = n.repeat(p, s)
	n.closure = make([][]int, len(n.eps))
	for i := range n.eps {
		n.closure[i] = n.close([]int{i})
	}
	n.start = n.closure[s]
	return n
}

func (n *nfa) state() int {
	n.eps = append(n.eps, nil)
	n.edges = append(n.edges, nil)
	return len(n.eps) - 1
}

func (n *nfa) link(from, to int) { n.eps[from] = append(n.eps[from], to) }

// repeat adds p with its occurrence bounds from state s and returns the end
// state.
func (n *nfa) repeat(p Particle, s int) int {
	cur := s
	for range p.Min {
		cur = n.once(p, cur)
	}
	if p.Max == Unbounded {
		loop := n.state()
		n.link(cur, loop)
		back := n.once(p, loop)
		n.link(back, loop)
		return loop
	}
	end := n.state()
	for range p.Max - p.Min {
		n.link(cur, end)
		cur = n.once(p, cur)
	}
	n.link(cur, end)
	return end
}

// once adds one occurrence of p from s and returns its end state.
func (n *nfa) once(p Particle, s int) int {
	switch p.Kind {
	case Elem:
		e := n.state()
		n.edges[s] = append(n.edges[s], edge{elem: p.Elem, to: e})
		return e
	case Sequence:
		cur := s
		for _, it := range p.Items {
			cur = n.repeat(it, cur)
		}
		return cur
	case Choice:
		end := n.state()
		for _, it := range p.Items {
			n.link(n.repeat(it, s), end)
		}
		if len(p.Items) == 0 {
			// An empty choice matches nothing.
			return n.state()
		}
		return end
	}
	// Empty (and All, never nested: Compile refuses it).
	return s
}

func (n *nfa) close(set []int) []int {
	seen := make(map[int]bool, len(set))
	stack := append([]int(nil), set...)
	var out []int
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
		stack = append(stack, n.eps[x]...)
	}
	slices.Sort(out)
	return out
}

// step follows the child element name from states; it returns the new
// states, appended to next (a buffer that must not share memory with
// states), and the matched declaration, or -1.
func (n *nfa) step(s *Schema, states []int, name string, next []int) ([]int, int) {
	decl := -1
	for _, st := range states {
		for _, e := range n.edges[st] {
			if s.Elements[e.elem].Name != name {
				continue
			}
			if decl < 0 {
				decl = e.elem
			} else if e.elem != decl {
				continue // the schema's particles are unambiguous: first wins
			}
			for _, c := range n.closure[e.to] {
				if !slices.Contains(next, c) {
					next = append(next, c)
				}
			}
		}
	}
	return next, decl
}

func (n *nfa) accepts(states []int) bool { return slices.Contains(states, n.final) }

// expect lists the element names allowed next.
func (n *nfa) expect(s *Schema, states []int) []string {
	var names []string
	for _, st := range states {
		for _, e := range n.edges[st] {
			if nm := s.Elements[e.elem].Name; !slices.Contains(names, nm) {
				names = append(names, nm)
			}
		}
	}
	return names
}
