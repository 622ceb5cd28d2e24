package store

import (
	"context"
	"database/sql"

	"github.com/sillage/sillage"
)

// teacherStudents selects the ids of the students within a teacher's reach
// (privacy.md): the students of the divisions they teach or head, and the
// members of the groups they teach or manage. $1 is the UAI, $2 the teacher.
const teacherStudents = `SELECT p.id FROM persons p WHERE p.uai = $1 AND p.role = 'student' AND (
	p.division_id IN (SELECT s.division_id FROM services s WHERE s.uai = $1 AND s.teacher_id = $2 AND s.division_id IS NOT NULL)
	OR p.division_id IN (SELECT h.division_id FROM head_teachers h WHERE h.uai = $1 AND h.teacher_id = $2)
	OR p.id IN (SELECT m.person_id FROM group_members m JOIN services s ON s.uai = m.uai AND s.group_id = m.group_id
		WHERE m.uai = $1 AND s.teacher_id = $2)
	OR p.id IN (SELECT m.person_id FROM group_members m JOIN group_managers g ON g.uai = m.uai AND g.group_id = m.group_id
		WHERE m.uai = $1 AND g.person_id = $2))`

// TeachesStudent reports whether a student is within a teacher's reach: in
// a division the teacher teaches or heads, or in a group the teacher
// teaches or manages.
func (tx Records) TeachesStudent(ctx context.Context, uai sillage.UAI, teacherID, studentID int64) (bool, error) {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM (`+teacherStudents+`) t WHERE t.id = $3`, uai, teacherID, studentID)
	return n > 0, err
}

// TeacherStudentIDs returns the ids of the students within a teacher's reach.
func (tx Records) TeacherStudentIDs(ctx context.Context, uai sillage.UAI, teacherID int64) ([]int64, error) {
	return collect(ctx, tx.txn, teacherStudents+` ORDER BY 1`, []any{uai, teacherID},
		func(r *sql.Rows) (int64, error) { var v int64; return v, r.Scan(&v) })
}
