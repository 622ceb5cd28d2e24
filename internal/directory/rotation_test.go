package directory_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// rotatedKeyring is the test keyring after a rotation: key 1 and key 2.
func rotatedKeyring(t *testing.T) ident.Keyring {
	t.Helper()
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32), 2: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// enableTransfer turns transfers on for the establishments.
func enableTransfer(t *testing.T, st *store.Store, uais ...sillage.UAI) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range uais {
			if err := tx.Establishments().SetTransferSettings(ctx, u, sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(u)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// versionsOf returns the stored unqid versions of a student.
func versionsOf(t *testing.T, st *store.Store, uai sillage.UAI, id int64) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	if err := st.Read(ctx, func(tx *store.Tx) error {
		all, err := tx.Imports().ListPersonUnqids(ctx, uai)
		out = all[id]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeyRotationTransfersWhateverTheOrder: a student imported in A before
// a key rotation moves to B. Whatever the order of A's deactivation and
// B's creation, and whether B knew them before the rotation, the transfer
// run finds A's record (transfer.md 2 and 5: matched under both versions,
// same result whatever the order).
func TestKeyRotationTransfersWhateverTheOrder(t *testing.T) {
	orders := []string{
		"origin-deactivates-first",            // entry under key 1, B creates under key 2
		"destination-creates-first",           // B creates under key 2, then entry under key 1
		"destination-created-before-rotation", // B knows key 1 only, A re-imported: entry under key 2
	}
	for _, order := range orders {
		t.Run(order, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
				const uaiB = sillage.UAI("0010856A")
				ctx := context.Background()
				e := newEnv(t, st, clock)
				e.establishment(scenarioUAI, sillage.KindLP)
				e.establishment(uaiB, sillage.KindLP)
				enableTransfer(t, st, scenarioUAI, uaiB)
				f := scenarioFiles()["siecle_0860012W_1.xml"]
				write := func(name string, f *siecle.StudentsFile) string {
					var buf bytes.Buffer
					if err := siecle.WriteStudents(&buf, f); err != nil {
						t.Fatal(err)
					}
					p := filepath.Join(t.TempDir(), name)
					writeFileT(t, p, buf.Bytes())
					return p
				}
				var mover siecle.JoinedStudent
				var rest []siecle.JoinedStudent
				for _, s := range f.Students {
					if _, _, err := ident.ChooseINE(s.IDNational.Value(), s.INERNIE.Value(), s.INEBEA.Value()); err == nil && mover.EleveID == "" {
						mover = s
						continue
					}
					rest = append(rest, s)
				}
				a2 := *f
				a2.Students = rest
				b := *f
				b.Header.UAJ = uaiB
				arrived := mover
				arrived.EleveID = "77" + mover.EleveID
				b.Students = []siecle.JoinedStudent{arrived}
				rotate := func() { e.im.Keyring = rotatedKeyring(t) }
				leaveA := func() { ok(t)(e.siecle(write("a2.xml", &a2), scenarioUAI, confirm)) }
				arriveB := func() { ok(t)(e.siecle(write("b.xml", &b), uaiB)) }

				ok(t)(e.siecle(write("a1.xml", f), scenarioUAI))
				switch order {
				case orders[0]:
					rotate()
					leaveA()
					arriveB()
				case orders[1]:
					rotate()
					arriveB()
					leaveA()
				case orders[2]:
					arriveB()
					rotate()
					ok(t)(e.siecle(write("a1bis.xml", f), scenarioUAI)) // A sees the student again: both versions
					leaveA()
				}
				origin := students(t, st, scenarioUAI)[mover.EleveID]
				dest := students(t, st, uaiB)[arrived.EleveID]
				wantPrefix := "v2:"
				if order == orders[2] {
					wantPrefix = "v1:" // B has not imported since the rotation
				}
				if !strings.HasPrefix(dest.Unqid, wantPrefix) {
					t.Errorf("B stores unqid %q, want the newest version it computed (%s…)", dest.Unqid, wantPrefix)
				}
				if vs := versionsOf(t, st, uaiB, dest.ID); order != orders[2] && len(vs) != 2 {
					t.Errorf("B stores %d unqid version(s), want both keys'", len(vs))
				} else if !slices.Contains(vs, dest.Unqid) {
					t.Errorf("B's versions %v lack its newest unqid", vs)
				}
				if origin.Active() {
					t.Fatal("the mover is still active in A")
				}

				rep, err := transfer.Run(ctx, st, transfer.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Transferred) != 1 || rep.Transferred[0].OriginUAI != scenarioUAI || rep.Transferred[0].DestUAI != uaiB ||
					rep.Transferred[0].DestStudentID != dest.ID {
					t.Fatalf("transferred %+v, pending %+v: want the mover's record moved from A to B", rep.Transferred, rep.Pending)
				}
				got := students(t, st, uaiB)[arrived.EleveID]
				if got.TransferStatus != sillage.TransferTransferred {
					t.Errorf("B's student is %s after the run", got.TransferStatus)
				}
				if _, still := students(t, st, scenarioUAI)[mover.EleveID]; still {
					t.Error("the mover is still in A after the transfer")
				}
			})
		})
	}
}

// TestKeyVersionsFollowTheImports: an import holding the INE stores its
// unqid under every key (the newest in persons.unqid), and a second import
// of the same file changes nothing.
func TestKeyVersionsFollowTheImports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		before := map[int64][]string{}
		for _, s := range students(t, st, scenarioUAI) {
			vs := versionsOf(t, st, scenarioUAI, s.ID)
			if s.Unqid == "" && len(vs) != 0 || s.Unqid != "" && (len(vs) != 1 || vs[0] != s.Unqid) {
				t.Errorf("%s: unqid %q, versions %v", s.FullName(), s.Unqid, vs)
			}
			before[s.ID] = vs
		}
		e.im.Keyring = rotatedKeyring(t)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		n := 0
		for _, s := range students(t, st, scenarioUAI) {
			if s.Unqid == "" {
				continue
			}
			n++
			vs := versionsOf(t, st, scenarioUAI, s.ID)
			if len(vs) != 2 || !slices.Contains(vs, s.Unqid) || !slices.Contains(vs, before[s.ID][0]) || !strings.HasPrefix(s.Unqid, "v2:") {
				t.Errorf("%s after the rotation: unqid %q, versions %v", s.FullName(), s.Unqid, vs)
			}
		}
		if n == 0 {
			t.Fatal("no student with an INE in the file")
		}
		allUnchanged(t, ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI)))
	})
}
