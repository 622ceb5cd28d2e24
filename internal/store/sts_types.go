package store

import (
	"context"
	"sort"

	"github.com/sillage/sillage"
)

// SetSTSTypes records the STS-web type (epp or local) of the staff of an
// establishment, by STS id; it returns how many changed.
func (tx Imports) SetSTSTypes(ctx context.Context, uai sillage.UAI, types map[string]string) (int, error) {
	total := 0
	for _, id := range sortedKeys(types) {
		n, err := tx.execN(ctx, `UPDATE persons SET sts_type = $3 WHERE uai = $1 AND sts_id = $2 AND sts_type <> $3`, uai, id, types[id])
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

// ListSTSTypes returns the STS-web type of the establishment's staff, by STS id.
func (tx Imports) ListSTSTypes(ctx context.Context, uai sillage.UAI) (map[string]string, error) {
	rows, err := tx.query(ctx, `SELECT sts_id, sts_type FROM persons WHERE uai = $1 AND sts_id <> '' AND sts_type <> ''`, uai)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			return nil, mapErr(err)
		}
		out[id] = typ
	}
	return out, mapErr(rows.Err())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
