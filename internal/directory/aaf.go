package directory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/xmlfile"
)

// AAFResult is what an AAF import did: one report per establishment found
// in the files, and what could not be attached to an establishment.
type AAFResult struct {
	Reports  []*Report          `json:"etablissements"`
	Ignored  []IgnoredStructure `json:"structures_ignorees"`
	Files    int                `json:"fichiers"`
	Requests int                `json:"enregistrements"`
	// Relatives are counted over the whole run, each relative once.
	Relatives RunRelatives `json:"responsables"`
	// Unrouted counts the records whose structure is neither in the files'
	// EtabEducNat nor known to Sillage.
	Unrouted int      `json:"enregistrements_sans_etablissement"`
	Rejects  []Reject `json:"rejets"`
	Warnings []string `json:"avertissements"`
}

// RunRelatives counts the relatives the students of the files name.
type RunRelatives struct {
	Referenced int `json:"references"`          // distinct relatives named by a student
	Legal      int `json:"responsables_legaux"` // of which legal guardian of at least one student
	Found      int `json:"presents"`            // referenced and present in the PersRelEleve files
}

// IgnoredStructure is an AAF structure whose records were not imported.
type IgnoredStructure struct {
	JoinID  string `json:"identifiant"`
	UAI     string `json:"uai"`
	Name    string `json:"nom"`
	Reason  string `json:"motif"`
	Records int    `json:"enregistrements"`
}

// Refused reports whether an establishment was refused or held, or a
// structure ignored: the command line exits with 1.
func (r *AAFResult) Refused() bool {
	if len(r.Ignored) > 0 {
		return true
	}
	for _, rep := range r.Reports {
		if rep.Status == StatusRefused || rep.Status == StatusHeld {
			return true
		}
	}
	return false
}

// AAFFiles lists the AAF files of paths (files, or folders whose AAF files
// are taken), in the order an import applies them.
func AAFFiles(paths []string) ([]aaf.File, error) {
	var files []aaf.File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("%s introuvable", p))
		}
		if st.IsDir() {
			fs, err := aaf.ListDir(p)
			if err != nil {
				return nil, err
			}
			files = append(files, fs...)
			continue
		}
		name, err := aaf.ParseFileName(p)
		if err != nil {
			return nil, err
		}
		files = append(files, aaf.File{Path: p, Name: name})
	}
	if len(files) == 0 {
		return nil, sillage.Errorf(sillage.KindInvalid, "aucun fichier AAF (…_Complet_…_Eleve_0000.xml, …) parmi les fichiers donnés")
	}
	aaf.SortFiles(files)
	return files, nil
}

// relBuckets is how many hash buckets hold the relatives and the links
// while the relatives are routed to their establishments: one bucket's
// links are in memory at a time.
const relBuckets = 64

// AAF imports AAF files (ficAlimMENESR, Complet or Delta), which cover any
// number of establishments. The records are first spilled to temporary
// files, one per establishment (so memory does not grow with the files),
// then each establishment is imported in one transaction of its own. The
// files of one date form one import; several dates are imported one after
// the other, in date order.
//
// Establishments are found through the files' EtabEducNat structures (or,
// in a Delta, the structures of earlier imports). A structure whose UAI is
// invalid (a wrong check letter, as in every public sample) is ignored,
// with its records, unless opts.UAIMap gives its establishment. An unknown
// establishment with a valid UAI is created from its EtabEducNat record.
//
// When opts.UAI is set (an administrator's upload), only that
// establishment is imported: the records of the others are left aside.
func (im *Importer) AAF(ctx context.Context, paths []string, opts Options) (*AAFResult, error) {
	files, err := AAFFiles(paths)
	if err != nil {
		return nil, err
	}
	return im.ImportAAF(ctx, files, opts)
}

// ImportAAF imports AAF files already listed: their Name says what each
// holds (the web page keeps uploads under names of its own).
func (im *Importer) ImportAAF(ctx context.Context, files []aaf.File, opts Options) (*AAFResult, error) {
	if err := im.checkKeyring(); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, sillage.Errorf(sillage.KindInvalid, "aucun fichier AAF à importer")
	}
	files = append([]aaf.File(nil), files...)
	aaf.SortFiles(files)
	res := &AAFResult{Reports: []*Report{}, Ignored: []IgnoredStructure{}, Rejects: []Reject{}, Warnings: []string{}}
	var read int64
	for len(files) > 0 {
		n := 1
		for n < len(files) && files[n].Name.Date.Equal(files[0].Name.Date) && files[n].Name.Complete == files[0].Name.Complete {
			n++
		}
		run := &aafRun{im: im, ctx: ctx, opts: opts, res: res, files: files[:n], complete: files[0].Name.Complete, date: files[0].Name.Date,
			read: &read}
		err := run.run()
		if err != nil {
			return res, err
		}
		files = files[n:]
	}
	return res, nil
}

// aafRun is the import of the files of one date.
type aafRun struct {
	im       *Importer
	ctx      context.Context
	opts     Options
	res      *AAFResult
	files    []aaf.File
	complete bool
	date     time.Time
	read     *int64

	sp       *spill
	has      map[aaf.Category]bool
	structs  map[string]*aaf.Structure
	joinEst  map[string]int // structure join id → establishment index; -1: none
	ests     []*aafEst
	estByUAI map[sillage.UAI]int
	ignored  map[string]*IgnoredStructure
	unknown  map[string]bool // structures cited but known nowhere
	mefs     map[string]string
	subjects map[string]string
	buf      []byte
	// rejected are the person records the run could not decode: the
	// persons they name are left as they are where they already are.
	rejected []rejectedRecord
	// lookups are the records waiting for where the persons they name
	// already are (a Delta's).
	lookups lookupBatch
}

// rejectedRecord is a person record rejected as a whole.
type rejectedRecord struct {
	id       string
	category aaf.Category
	reject   Reject
	personID int64 // the person in the establishment it is attached to
}

// aafEst is an establishment of the run.
type aafEst struct {
	uai    sillage.UAI
	create *sillage.Establishment // unknown to Sillage: created from its EtabEducNat record
	joins  map[string]string      // its structures: join id → name
	kept   []rejectedRecord       // rejected records naming one of its persons
	// described: one of its structures is described by the run's
	// EtabEducNat records, or mapped by the operator.
	described bool
}

// completeFor reports whether the run's Complet is complete for e: a
// Complet whose EtabEducNat files do not describe an establishment (one a
// pupil of another establishment also attends, in a set packaged per
// establishment) holds only some of its people.
func (r *aafRun) completeFor(e *aafEst) bool {
	return r.complete && (e.described || !r.has[aaf.CategoryStructure])
}

func (r *aafRun) fileLabel() string {
	if len(r.files) == 1 {
		return filepath.Base(r.files[0].Path)
	}
	kind := "Delta"
	if r.complete {
		kind = "Complet"
	}
	if r.date.IsZero() {
		return fmt.Sprintf("%d fichiers AAF %s", len(r.files), kind)
	}
	return fmt.Sprintf("%d fichiers AAF %s du %s", len(r.files), kind, r.date.Format("02/01/2006"))
}

func (r *aafRun) run() error {
	sp, err := newSpill(r.im.TempDir)
	if err != nil {
		return err
	}
	defer sp.remove()
	r.sp = sp
	r.lookups = lookupBatch{r: r}
	r.has = map[aaf.Category]bool{}
	r.structs = map[string]*aaf.Structure{}
	r.joinEst = map[string]int{}
	r.estByUAI = map[sillage.UAI]int{}
	r.ignored = map[string]*IgnoredStructure{}
	r.unknown = map[string]bool{}
	r.mefs, r.subjects = map[string]string{}, map[string]string{}
	// Phase 1: read every file, spill each record under its establishment
	// (students, staff) or its hash bucket (relatives, and the students'
	// links to them). A file that fails to parse stops the run here,
	// before anything is written.
	if err := r.parseAll(); err != nil {
		return err
	}
	// Establishments named by an EtabEducNat record but by no record.
	ids := make([]string, 0, len(r.structs))
	for id := range r.structs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, err := r.estOf(id); err != nil {
			return err
		}
	}
	// Phase 2: route the relatives to the establishments of the students
	// who name them, one bucket at a time.
	if err := r.routeRelatives(); err != nil {
		return err
	}
	if err := r.routeRejected(); err != nil {
		return err
	}
	for _, ig := range r.ignored {
		r.res.Ignored = append(r.res.Ignored, *ig)
	}
	sort.Slice(r.res.Ignored, func(i, j int) bool { return r.res.Ignored[i].JoinID < r.res.Ignored[j].JoinID })
	if len(r.unknown) > 0 {
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%d structures citées par des personnes sont inconnues (absentes des fichiers EtabEducNat et de Sillage) : "+
			"ces rattachements sont ignorés", len(r.unknown)))
	}
	// Phase 3: each establishment in its own transaction.
	order := make([]int, len(r.ests))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return r.ests[order[i]].uai < r.ests[order[j]].uai })
	skipped := 0
	var todo []int
	for _, i := range order {
		if r.opts.UAI != "" && r.ests[i].uai != r.opts.UAI {
			r.sp.drop(estKey(i))
			skipped++
			continue
		}
		todo = append(todo, i)
	}
	if err := r.applyAll(todo); err != nil {
		return err
	}
	if skipped > 0 {
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%d autres établissements présents dans les fichiers : non importés ici", skipped))
	}
	if r.opts.UAI != "" && len(r.res.Reports) == 0 {
		return sillage.Errorf(sillage.KindInvalid, "les fichiers ne contiennent aucun enregistrement de l'établissement %s : import refusé, rien n'a été enregistré", r.opts.UAI)
	}
	return nil
}

// countingReader reports the bytes read (by several parsers at once).
type countingReader struct {
	r    io.Reader
	own  int64 // read through this one
	n    *int64
	tick func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.own += int64(n)
	total := atomic.AddInt64(c.n, int64(n))
	if c.tick != nil && n > 0 {
		c.tick(total)
	}
	return n, err
}

// parseAll reads the files category by category, in the import order. The
// chunks of one category of a Complet set are parsed by two goroutines at
// once (the XML decoding is most of the reading); the records are routed
// by this one. The order they arrive in does not matter: an
// establishment's records are sorted back into file order when it is
// imported.
func (r *aafRun) parseAll() error {
	workers := min(2, runtime.GOMAXPROCS(0))
	files := r.files
	for len(files) > 0 {
		n := 1
		for n < len(files) && files[n].Name.Category == files[0].Name.Category {
			n++
		}
		group := files[:n]
		files = files[n:]
		r.has[group[0].Name.Category] = true
		r.res.Files += len(group)
		if !r.complete || workers < 2 || len(group) < 2 {
			for _, f := range group {
				if err := r.parseInto(r.ctx, f, r.route); err != nil {
					return err
				}
				// The records of a Delta waiting for where their persons
				// already are (route).
				if err := r.lookups.flush(); err != nil {
					return sillage.Wrap(sillage.KindOf(err), err, fmt.Sprintf("%s : import refusé, rien n'a été enregistré", filepath.Base(f.Path)))
				}
			}
			continue
		}
		if err := r.parseParallel(group, workers); err != nil {
			return err
		}
	}
	return nil
}

func (r *aafRun) parseParallel(group []aaf.File, workers int) error {
	type item struct {
		file string
		req  *aaf.Request
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	items := make(chan item, 256)
	jobs := make(chan aaf.File)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				err := r.parseInto(ctx, f, func(file string, req *aaf.Request) error {
					select {
					case items <- item{file, req}:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				if err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range group {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(items)
	}()
	var first error
	for it := range items {
		if first != nil {
			continue // drain
		}
		if err := r.route(it.file, it.req); err != nil {
			first = err
			cancel()
		}
	}
	close(errc)
	for err := range errc {
		if first == nil || errors.Is(first, context.Canceled) {
			first = err
		}
	}
	return first
}

// parseInto reads one file and hands each request to emit.
func (r *aafRun) parseInto(ctx context.Context, f aaf.File, emit func(file string, req *aaf.Request) error) error {
	// The fast scanner may open the file a second time (aaf.ParseOpen):
	// the bytes of the first reading are then no longer counted as read.
	var counted *countingReader
	open := func() (io.ReadCloser, error) {
		xf, err := xmlfile.OpenFile(f.Path, r.im.MaxExpanded)
		if err != nil {
			return nil, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("fichier AAF %s illisible", filepath.Base(f.Path)))
		}
		if counted != nil {
			atomic.AddInt64(r.read, -counted.own)
		}
		counted = &countingReader{r: xf, n: r.read, tick: r.opts.Progress}
		return struct {
			io.Reader
			io.Closer
		}{counted, xf}, nil
	}
	first, err := open()
	if err != nil {
		return err
	}
	base := filepath.Base(f.Path)
	_, err = aaf.ParseOpen(func() (io.ReadCloser, error) {
		if rc := first; rc != nil {
			first = nil
			return rc, nil
		}
		return open()
	}, func(req *aaf.Request) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if req.Category != f.Name.Category {
			return sillage.Errorf(sillage.KindInvalid, "ligne %d : enregistrement %s dans un fichier de catégorie %s", req.Line, req.Category, f.Name.Category)
		}
		if f.Name.Complete && req.Op != aaf.OpAdd {
			return sillage.Errorf(sillage.KindInvalid, "ligne %d : %s dans un fichier Complet, qui ne peut contenir que des addRequest", req.Line, req.Op)
		}
		return emit(base, req)
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return sillage.Wrap(sillage.KindOf(err), err, fmt.Sprintf("%s : import refusé, rien n'a été enregistré", base))
	}
	return nil
}

func (r *aafRun) reject(file string, req *aaf.Request, err error) {
	r.res.Rejects = append(r.res.Rejects, Reject{Location: fmt.Sprintf("%s, ligne %d", file, req.Line), Reason: sillage.Message(err)})
}

// rejectPerson keeps a person record that cannot be used: the person it
// names is in the file, so they are not deactivated (rule 1).
func (r *aafRun) rejectPerson(file string, req *aaf.Request, err error) {
	if req.ID == "" {
		r.reject(file, req, err)
		return
	}
	name := strings.TrimSpace(strings.Join(append(append([]string(nil), req.Attrs[aaf.AttrLastName]...), req.Attrs[aaf.AttrFirstName]...), " "))
	r.rejected = append(r.rejected, rejectedRecord{id: req.ID, category: req.Category,
		reject: Reject{Location: fmt.Sprintf("%s, ligne %d", file, req.Line), Name: name, Reason: sillage.Message(err)}})
}

// routeRejected attaches each rejected person record to the
// establishments of the run where the person it names already is; the
// others are the run's rejects.
func (r *aafRun) routeRejected() error {
	if len(r.rejected) == 0 {
		return nil
	}
	ids := make([]string, 0, len(r.rejected))
	for _, rj := range r.rejected {
		ids = append(ids, rj.id)
	}
	var locs []sillage.PersonLocation
	err := r.im.Store.Read(r.ctx, func(tx *store.Tx) (err error) {
		locs, err = tx.CrossTenant().FindAAFPersons(r.ctx, ids)
		return err
	})
	if err != nil {
		return err
	}
	byID := map[string][]sillage.PersonLocation{}
	for _, l := range locs {
		byID[l.AAFID] = append(byID[l.AAFID], l)
	}
	for _, rj := range r.rejected {
		attached := false
		for _, l := range byID[rj.id] {
			switch {
			case rj.category == aaf.CategoryStudent && l.Role != sillage.RoleStudent,
				rj.category == aaf.CategoryRelative && l.Role != sillage.RoleParent,
				rj.category == aaf.CategoryStaff && (l.Role == sillage.RoleStudent || l.Role == sillage.RoleParent):
				continue
			}
			i, ok := r.estByUAI[l.UAI]
			if !ok && !r.complete {
				// A Delta touches only whom it names: the establishment's
				// report shows the record, nothing else changes there.
				i, ok = r.est(l.UAI, nil), true
			}
			if !ok {
				// A Complet without this establishment's records does
				// not import it.
				continue
			}
			if n := len(r.ests[i].kept); n == 0 || r.ests[i].kept[n-1].id != rj.id {
				k := rj
				k.personID = l.ID
				r.ests[i].kept = append(r.ests[i].kept, k)
			}
			attached = true
		}
		if !attached {
			r.res.Rejects = append(r.res.Rejects, rj.reject)
		}
	}
	return nil
}

// route spills one record.
func (r *aafRun) route(file string, req *aaf.Request) error {
	r.res.Requests++
	switch req.Category {
	case aaf.CategoryStructure:
		s, err := aaf.DecodeStructure(req)
		if err != nil {
			r.reject(file, req, err)
			return nil
		}
		if req.Op == aaf.OpDelete {
			r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%s, ligne %d : suppression de la structure %s ignorée (un établissement ne se supprime pas par un import)", file, req.Line, req.ID))
			return nil
		}
		r.structs[s.ID] = s
	case aaf.CategoryMEF:
		m, err := aaf.DecodeMEF(req)
		if err != nil {
			r.reject(file, req, err)
			return nil
		}
		r.mefs[m.ID] = m.Label
	case aaf.CategorySubject:
		s, err := aaf.DecodeSubject(req)
		if err != nil {
			r.reject(file, req, err)
			return nil
		}
		r.subjects[s.ID] = s.Label
	case aaf.CategoryStudent:
		s, err := aaf.DecodeStudent(req)
		if err != nil {
			r.rejectPerson(file, req, err)
			return nil
		}
		spill := func(locs []sillage.PersonLocation) error {
			ests, err := r.targets(req, s.Structures, sillage.RoleStudent, locs)
			if err != nil {
				return err
			}
			for _, e := range ests {
				if err := r.spillRequest(estKey(e), file, req); err != nil {
					return err
				}
				for _, l := range s.Relatives {
					if err := r.spillLink(l.RelativeID, e, l.Legal == aaf.RespLegal); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if req.Op != aaf.OpAdd {
			return r.lookups.add(req.ID, spill)
		}
		return spill(nil)
	case aaf.CategoryRelative:
		if _, err := aaf.DecodeRelative(req); err != nil {
			r.rejectPerson(file, req, err)
			return nil
		}
		return r.spillRequest(relKey(req.ID), file, req)
	case aaf.CategoryStaff:
		s, err := aaf.DecodeStaff(req)
		if err != nil {
			r.rejectPerson(file, req, err)
			return nil
		}
		structures := append([]string(nil), s.Structures...)
		for _, f := range s.Functions {
			structures = append(structures, f.StructureID)
		}
		for _, tg := range append(append([]aaf.Teaching(nil), s.ClassTeachings...), s.GroupTeachings...) {
			structures = append(structures, tg.StructureID)
		}
		for _, m := range s.HeadTeacherOf {
			structures = append(structures, m.StructureID)
		}
		spill := func(locs []sillage.PersonLocation) error {
			ests, err := r.targets(req, structures, sillage.RoleTeacher, locs)
			if err != nil {
				return err
			}
			for _, e := range ests {
				if err := r.spillRequest(estKey(e), file, req); err != nil {
					return err
				}
			}
			return nil
		}
		if req.Op != aaf.OpAdd {
			return r.lookups.add(req.ID, spill)
		}
		return spill(nil)
	}
	return nil
}

func estKey(i int) string { return fmt.Sprintf("e%d", i) }

func bucketOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % relBuckets)
}

func relKey(id string) string  { return fmt.Sprintf("r%d", bucketOf(id)) }
func linkKey(id string) string { return fmt.Sprintf("l%d", bucketOf(id)) }
func (r *aafRun) spillLink(rel string, est int, legal bool) error {
	r.buf = appendString(r.buf[:0], rel)
	r.buf = binary.AppendUvarint(r.buf, uint64(est))
	if legal {
		r.buf = append(r.buf, 1)
	} else {
		r.buf = append(r.buf, 0)
	}
	return r.sp.append(linkKey(rel), r.buf)
}

// spillRequest stores a request with the file it came from.
func (r *aafRun) spillRequest(key, file string, req *aaf.Request) error {
	r.buf = appendString(r.buf[:0], file)
	r.buf = encodeRequest(r.buf, req)
	return r.sp.append(key, r.buf)
}

func decodeSpilled(rec []byte) (string, *aaf.Request, error) {
	d := decoder{b: rec}
	file := d.string()
	if d.err != nil {
		return "", nil, d.err
	}
	req, err := decodeRequest(d.b)
	return file, req, err
}

// targets returns the establishments a person's record goes to: those of
// the structures it names; for a modification or a deletion, also those
// where the person already is, locs (a Delta names the person by join id
// only).
func (r *aafRun) targets(req *aaf.Request, structures []string, role sillage.Role, locs []sillage.PersonLocation) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, s := range structures {
		if s == "" {
			continue
		}
		i, err := r.estOf(s)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			if ig := r.ignored[s]; ig != nil {
				ig.Records++
			}
			continue
		}
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	if req.Op != aaf.OpAdd {
		for _, l := range locs {
			student := l.Role == sillage.RoleStudent
			if (role == sillage.RoleStudent) != student || l.Role == sillage.RoleParent {
				continue
			}
			i := r.est(l.UAI, nil)
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	if len(out) == 0 {
		r.res.Unrouted++
	}
	return out, nil
}

// lookupBatch is the lookups of where persons already are (by AAF join
// id) that a Delta's records need, made 500 at a time: a Delta can name
// hundreds of thousands of persons, and one query each made the reads the
// largest part of its import.
type lookupBatch struct {
	r   *aafRun
	ids []string
	// then are called in order with the locations of ids[i].
	then []func([]sillage.PersonLocation) error
}

// lookupBatchSize is a batch's size: FindAAFPersons' chunk.
const lookupBatchSize = 500

// add queues fn, to be called with the locations of id; a full batch is
// looked up at once.
func (b *lookupBatch) add(id string, fn func([]sillage.PersonLocation) error) error {
	b.ids = append(b.ids, id)
	b.then = append(b.then, fn)
	if len(b.ids) >= lookupBatchSize {
		return b.flush()
	}
	return nil
}

// flush looks up the queued ids and calls their functions, in order.
func (b *lookupBatch) flush() error {
	if len(b.ids) == 0 {
		return nil
	}
	ids, then := b.ids, b.then
	b.ids, b.then = nil, nil
	var locs []sillage.PersonLocation
	err := b.r.im.Store.Read(b.r.ctx, func(tx *store.Tx) (err error) {
		locs, err = tx.CrossTenant().FindAAFPersons(b.r.ctx, ids)
		return err
	})
	if err != nil {
		return err
	}
	b.r.im.aafLookups.Add(1)
	byID := make(map[string][]sillage.PersonLocation, len(ids))
	for _, l := range locs {
		byID[l.AAFID] = append(byID[l.AAFID], l)
	}
	for i, fn := range then {
		if err := fn(byID[ids[i]]); err != nil {
			return err
		}
	}
	return nil
}

// est returns the index of an establishment of the run.
func (r *aafRun) est(uai sillage.UAI, create *sillage.Establishment) int {
	if i, ok := r.estByUAI[uai]; ok {
		if create != nil && r.ests[i].create == nil {
			r.ests[i].create = create
		}
		return i
	}
	r.ests = append(r.ests, &aafEst{uai: uai, create: create, joins: map[string]string{}})
	r.estByUAI[uai] = len(r.ests) - 1
	return len(r.ests) - 1
}

// estOf resolves a structure join id: through the run's EtabEducNat
// record (its UAI, or the mapping the operator gave), else through the
// structures of earlier imports. -1: no establishment.
func (r *aafRun) estOf(join string) (int, error) {
	if i, ok := r.joinEst[join]; ok {
		return i, nil
	}
	s := r.structs[join]
	if mapped, ok := r.opts.UAIMap[join]; ok && s == nil {
		// The operator names the establishment of a structure the files
		// cite without describing it.
		if _, err := sillage.ParseUAI(string(mapped)); err != nil {
			r.ignored[join] = &IgnoredStructure{JoinID: join, UAI: string(mapped), Reason: sillage.Message(err)}
			r.joinEst[join] = -1
			return -1, nil
		}
		i := r.est(mapped, nil)
		r.ests[i].joins[join] = ""
		r.ests[i].described = true
		r.joinEst[join] = i
		return i, nil
	}
	if s == nil {
		var found []sillage.AAFStructure
		err := r.im.Store.Read(r.ctx, func(tx *store.Tx) (err error) {
			found, err = tx.CrossTenant().FindAAFStructures(r.ctx, []string{join})
			return err
		})
		if err != nil {
			return 0, err
		}
		switch {
		case len(found) == 1:
			i := r.est(found[0].UAI, nil)
			r.ests[i].joins[join] = found[0].Name
			r.joinEst[join] = i
			return i, nil
		case len(found) > 1:
			r.ignored[join] = &IgnoredStructure{JoinID: join, Reason: "structure rattachée à plusieurs établissements de Sillage : ambiguë"}
		default:
			r.unknown[join] = true
		}
		r.joinEst[join] = -1
		return -1, nil
	}
	raw := s.UAI
	uai, mapped := r.opts.UAIMap[raw]
	if !mapped {
		uai, mapped = r.opts.UAIMap[join]
	}
	var err error
	if !mapped {
		uai, err = sillage.ParseUAI(raw)
	} else {
		_, err = sillage.ParseUAI(string(uai))
	}
	if err != nil {
		r.ignored[join] = &IgnoredStructure{JoinID: join, UAI: raw, Name: s.Name,
			Reason: sillage.Message(err) + " : la structure et ses personnes ne sont pas importées (associez-la à un établissement : --uai-map " + raw + "=UAI)"}
		r.joinEst[join] = -1
		return -1, nil
	}
	name := strings.TrimSpace(s.Name)
	if name == "" {
		name = "Établissement " + string(uai)
	}
	i := r.est(uai, &sillage.Establishment{UAI: uai, Name: name, Kind: kindOfStructure(s)})
	r.ests[i].joins[join] = s.Name
	r.ests[i].described = true
	r.joinEst[join] = i
	return i, nil
}

// kindOfStructure guesses the kind of a new establishment: from the
// nature d'UAI code (ENTStructureCodeTypeStruct, or a type that is a code),
// then from the type's words (ENTStructureTypeStruct: "COLLEGE"), then from
// the name ("CLG JEAN MOULIN") only when the type says nothing ("SANS
// OBJET"). What none of them tells is left unknown for the operator to set
// rather than guessed a lycée.
func kindOfStructure(s *aaf.Structure) sillage.EstablishmentKind {
	for _, code := range []string{s.TypeCode, s.Type} {
		if k, ok := kindOfNature(strings.TrimSpace(code)); ok {
			return k
		}
	}
	if k := kindOfWords(s.Type); k != sillage.KindUnknown {
		return k
	}
	return kindOfWords(s.Name)
}

// kindOfWords reads an establishment's kind from the words of its type or
// name.
func kindOfWords(text string) sillage.EstablishmentKind {
	t := " " + strings.ToUpper(strings.TrimSpace(text)) + " "
	switch {
	case strings.Contains(t, "PROFESSIONNEL") || strings.Contains(t, "LYCEE PROF") || strings.Contains(t, " LYC PROF") ||
		strings.Contains(t, " LP ") || strings.Contains(t, " SEP "):
		return sillage.KindLP
	case strings.Contains(t, "COLLEGE") || strings.Contains(t, " CLG "):
		return sillage.KindCollege
	case strings.Contains(t, "ECOLE") || strings.Contains(t, "ELEMENTAIRE") || strings.Contains(t, "MATERNELLE"):
		return sillage.KindEcole
	case strings.Contains(t, "LYCEE") || strings.Contains(t, " LYC ") || strings.Contains(t, " LGT "):
		return sillage.KindLGT
	}
	return sillage.KindUnknown
}

// kindOfNature reads the national "nature d'UAI" code some AAF feeds give
// as the structure's type (340: collège): 1xx are écoles, 300–306 lycées
// généraux et technologiques, 320 and 390 (SEP) lycées professionnels, 340,
// 350 and 352 collèges. Other codes (EREA…) leave the kind to the operator.
func kindOfNature(code string) (sillage.EstablishmentKind, bool) {
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 {
		return "", false
	}
	switch {
	case n >= 100 && n < 200:
		return sillage.KindEcole, true
	case n >= 300 && n <= 306:
		return sillage.KindLGT, true
	case n == 320 || n == 390:
		return sillage.KindLP, true
	case n == 340 || n == 350 || n == 352:
		return sillage.KindCollege, true
	}
	return sillage.KindUnknown, true
}

// routeRelatives sends each relative to the establishments where a
// student names them as legal guardian (and, for a Delta's modification,
// where they already are). One bucket of links is in memory at a time.
func (r *aafRun) routeRelatives() error {
	type target struct {
		est   int
		legal bool
	}
	for b := 0; b < relBuckets; b++ {
		links := map[string][]target{}
		err := r.sp.read(fmt.Sprintf("l%d", b), func(rec []byte) error {
			d := decoder{b: rec}
			rel := d.string()
			est := int(d.uint())
			if d.err != nil || len(d.b) != 1 {
				return errSpillCorrupt
			}
			legal := d.b[0] == 1
			ts := links[rel]
			for i := range ts {
				if ts[i].est == est {
					ts[i].legal = ts[i].legal || legal
					return nil
				}
			}
			links[rel] = append(ts, target{est, legal})
			return nil
		})
		if err != nil {
			return err
		}
		r.sp.drop(fmt.Sprintf("l%d", b))
		for _, ts := range links {
			r.res.Relatives.Referenced++
			for _, t := range ts {
				if t.legal {
					r.res.Relatives.Legal++
					break
				}
			}
		}
		found := map[string]bool{}
		err = r.sp.read(fmt.Sprintf("r%d", b), func(rec []byte) error {
			file, req, err := decodeSpilled(rec)
			if err != nil {
				return err
			}
			sent := map[int]bool{}
			if _, ok := links[req.ID]; ok && !found[req.ID] {
				found[req.ID] = true
				r.res.Relatives.Found++
			}
			for _, t := range links[req.ID] {
				if t.legal && !sent[t.est] {
					sent[t.est] = true
					if err := r.spillRequest(estKey(t.est), file, req); err != nil {
						return err
					}
				}
			}
			if req.Op != aaf.OpAdd || !r.complete {
				return r.lookups.add(req.ID, func(locs []sillage.PersonLocation) error {
					for _, l := range locs {
						if l.Role != sillage.RoleParent {
							continue
						}
						i := r.est(l.UAI, nil)
						if !sent[i] {
							sent[i] = true
							if err := r.spillRequest(estKey(i), file, req); err != nil {
								return err
							}
						}
					}
					return nil
				})
			}
			return nil
		})
		if err == nil {
			err = r.lookups.flush()
		}
		if err != nil {
			return err
		}
		r.sp.drop(fmt.Sprintf("r%d", b))
	}
	return nil
}

// applyAll imports the establishments todo, in this order, each in its
// own transaction. The records of the next ones are read back from the
// spill and decoded by another goroutine while the current transactions
// run: decoding and writing use the two cores. On PostgreSQL two
// establishments are written at once (writers); their reports are kept in
// todo's order. An establishment refused or held leaves the others to be
// imported, as one at a time; an error that stops the run (the database
// failing) lets the establishment being written beside it finish, and
// starts no other.
func (r *aafRun) applyAll(todo []int) error {
	writers := r.writers(len(todo))
	type loaded struct {
		recs *estRecords
		err  error
	}
	done := make(chan struct{})
	next := make(chan loaded, writers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(next)
		for _, i := range todo {
			recs, err := r.loadEst(i)
			select {
			case next <- loaded{recs, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// The reader is gone before the caller removes the spill files.
	defer wg.Wait()
	defer close(done)
	type job struct {
		pos  int
		recs *estRecords
		lr   *loginReserver
	}
	type result struct {
		pos int
		rep *Report
		err error
	}
	jobs := make(chan job)
	results := make(chan result, writers)
	var workers sync.WaitGroup
	for w := 0; w < writers; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				rep, err := r.applyEst(todo[j.pos], j.recs, j.lr)
				if j.lr != nil {
					j.lr.done()
				}
				results <- result{j.pos, rep, err}
			}
		}()
	}
	defer workers.Wait()
	var mu sync.Mutex
	var after <-chan struct{}
	reps := make([]*Report, len(todo))
	published, dispatched, inflight := 0, 0, 0
	var fatal error
	for {
		if fatal == nil && dispatched < len(todo) && inflight < writers {
			l, ok := <-next
			switch {
			case !ok:
				fatal = errSpillCorrupt
			case l.err != nil:
				fatal = l.err
			default:
				// One writer reserves its logins in its transaction.
				var lr *loginReserver
				if writers > 1 {
					lr = newLoginReserver(r.im, &mu, after)
					after = lr.reserved
				}
				jobs <- job{dispatched, l.recs, lr}
				dispatched++
				inflight++
			}
			continue
		}
		if inflight == 0 {
			break
		}
		res := <-results
		inflight--
		reps[res.pos] = res.rep
		if res.err != nil && fatal == nil {
			fatal = res.err
		}
		for published < dispatched && reps[published] != nil {
			r.publish(reps[published])
			reps[published] = nil
			published++
		}
	}
	close(jobs)
	// After a fatal error, the reports of the establishments written
	// beside the failing one.
	for ; published < dispatched; published++ {
		if reps[published] != nil {
			r.publish(reps[published])
		}
	}
	return fatal
}

// estRecords are an establishment's records, decoded.
type estRecords struct {
	students  []*aaf.Student
	relatives []*aaf.Relative
	staff     []*aaf.Staff
	files     map[*aaf.Record]string
}

func (r *aafRun) loadEst(i int) (*estRecords, error) {
	recs := &estRecords{files: map[*aaf.Record]string{}}
	err := r.sp.read(estKey(i), func(rec []byte) error {
		file, req, err := decodeSpilled(rec)
		if err != nil {
			return err
		}
		switch req.Category {
		case aaf.CategoryStudent:
			s, err := aaf.DecodeStudent(req)
			if err != nil {
				return err
			}
			recs.students = append(recs.students, s)
			recs.files[&s.Record] = file
		case aaf.CategoryRelative:
			p, err := aaf.DecodeRelative(req)
			if err != nil {
				return err
			}
			recs.relatives = append(recs.relatives, p)
			recs.files[&p.Record] = file
		case aaf.CategoryStaff:
			s, err := aaf.DecodeStaff(req)
			if err != nil {
				return err
			}
			recs.staff = append(recs.staff, s)
			recs.files[&s.Record] = file
		}
		return nil
	})
	r.sp.drop(estKey(i))
	if err != nil {
		return nil, err
	}
	// Back into file order: the chunks may have been read in parallel,
	// and the relatives come from their hash buckets.
	fileIdx := make(map[string]int, len(r.files))
	for k, f := range r.files {
		fileIdx[filepath.Base(f.Path)] = k
	}
	less := func(a, b *aaf.Record) bool {
		fa, fb := fileIdx[recs.files[a]], fileIdx[recs.files[b]]
		return fa < fb || fa == fb && a.Line < b.Line
	}
	sort.SliceStable(recs.students, func(i, j int) bool { return less(&recs.students[i].Record, &recs.students[j].Record) })
	sort.SliceStable(recs.relatives, func(i, j int) bool { return less(&recs.relatives[i].Record, &recs.relatives[j].Record) })
	sort.SliceStable(recs.staff, func(i, j int) bool { return less(&recs.staff[i].Record, &recs.staff[j].Record) })
	return recs, nil
}

// applyEst imports one establishment, whose records are recs, in its
// transaction, and returns its report; the error is one that stops the
// run. With lr, its logins are reserved outside the transaction (parallel
// writers).
func (r *aafRun) applyEst(i int, recs *estRecords, lr *loginReserver) (*Report, error) {
	e := r.ests[i]
	var year sillage.SchoolYear
	if !r.date.IsZero() {
		year = sillage.SchoolYearOf(r.date)
	}
	create := e.create
	if create != nil && create.Validate() != nil {
		create = nil
	}
	if lr != nil {
		if err := lr.wait(r.ctx); err != nil {
			// Stopped before its transaction began: refused, as one
			// written alone would be.
			rep := newReport(SourceAAF, e.uai, r.fileLabel(), r.im.Store.Clock().Now())
			rep.setStatus(StatusRefused, sillage.Message(err))
			return rep, err
		}
	}
	// A deadlock with the other writer (or with an import beside the run)
	// is run again by transact.
	rep := newReport(SourceAAF, e.uai, r.fileLabel(), r.im.Store.Clock().Now())
	spec := txSpec{source: SourceAAF, src: sillage.SourceAAF, uai: e.uai, year: year, complete: r.completeFor(e), create: create,
		aafStructures: e.joins, logins: lr, apply: func(t *txn) error { return r.apply(t, e, recs) }}
	err := r.im.transact(r.ctx, spec, r.opts, rep)
	switch sillage.KindOf(err) {
	case sillage.KindInternal:
		var held *MassDeactivationError
		if err != nil && !errors.As(err, &held) {
			return rep, err
		}
	}
	if err != nil {
		r.im.log().Warn("AAF import refused for an establishment", "uai", e.uai, "err", sillage.Message(err))
	}
	return rep, nil
}

// publish hands an establishment's report to the caller, in todo's order.
func (r *aafRun) publish(rep *Report) {
	if r.opts.OnReport != nil {
		r.opts.OnReport(rep)
		rep = rep.summaryOnly()
	}
	r.res.Reports = append(r.res.Reports, rep)
}
