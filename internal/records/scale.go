// Package records is the learning record's logic beyond plain storage: the
// establishment's result scale, the checks of the files students attach,
// a student's whole record as one structure (pages, the full-record
// download), and the records JSON format with its import and export
// (docs/records-json.md).
package records

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// ScaleSetting is the establishment setting holding the scale, as the JSON
// of a sillage.Scale.
const ScaleSetting = "scale"

// Audit actions of the record that the audit package does not name.
const (
	AuditSheetTrashed      = "sheet.trashed"
	AuditSheetRestored     = "sheet.restored"
	AuditDocumentTrashed   = "document.trashed"
	AuditDocumentRestored  = "document.restored"
	AuditAttachmentDeleted = "attachment.deleted"
	AuditScaleChanged      = "settings.scale"
)

// LoadScale returns the establishment's scale, or the default scale when
// none was set (or the stored one is unreadable).
func LoadScale(ctx context.Context, tx *store.Tx, uai sillage.UAI) (sillage.Scale, error) {
	v, err := tx.Periods().GetSetting(ctx, uai, ScaleSetting, "")
	if err != nil || v == "" {
		return sillage.DefaultScale(), err
	}
	var sc sillage.Scale
	if json.Unmarshal([]byte(v), &sc) != nil || CheckScale(sc) != nil {
		return sillage.DefaultScale(), nil
	}
	return sc, nil
}

// CheckScale refuses a scale that cannot be used: no level, empty or
// duplicate codes, codes that do not fit a grid cell, missing labels.
func CheckScale(sc sillage.Scale) error {
	if len(sc) < 2 {
		return sillage.Errorf(sillage.KindInvalid, "l'échelle doit compter au moins deux niveaux")
	}
	if len(sc) > 12 {
		return sillage.Errorf(sillage.KindInvalid, "l'échelle compte au plus douze niveaux")
	}
	seen := map[string]bool{}
	evaluated := 0
	for i, l := range sc {
		switch {
		case l.Code == "":
			return sillage.Errorf(sillage.KindInvalid, "niveau %d : le code est obligatoire", i+1)
		case utf8.RuneCountInString(l.Code) > 6 || strings.ContainsAny(l.Code, " \t\n\"'<>&"):
			return sillage.Errorf(sillage.KindInvalid, "niveau %d : le code %q doit faire au plus 6 caractères, sans espace ni guillemet", i+1, l.Code)
		case strings.ToUpper(l.Code) != l.Code:
			return sillage.Errorf(sillage.KindInvalid, "niveau %d : le code %q doit être en majuscules", i+1, l.Code)
		case seen[l.Code]:
			return sillage.Errorf(sillage.KindInvalid, "le code %q apparaît deux fois", l.Code)
		case strings.TrimSpace(l.Label) == "":
			return sillage.Errorf(sillage.KindInvalid, "niveau %s : le libellé est obligatoire", l.Code)
		case l.Points > 4 || l.Points < -1:
			return sillage.Errorf(sillage.KindInvalid, "niveau %s : les points vont de 0 à 4 (ou -1 pour « non évalué »)", l.Code)
		}
		if l.Points >= 0 {
			evaluated++
		}
		seen[l.Code] = true
	}
	if evaluated == 0 {
		return sillage.Errorf(sillage.KindInvalid, "l'échelle doit compter au moins un niveau évalué (points de 0 à 4)")
	}
	return nil
}

// NormalizeValue turns what a user typed in a grid cell into a scale code
// ("abs" is "ABS"); "" clears the result.
func NormalizeValue(v string) string { return strings.ToUpper(strings.TrimSpace(v)) }

// ValueLabel is the label of a value on the scale, the value itself when
// it is not (any more) on the scale.
func ValueLabel(sc sillage.Scale, v string) string {
	if l, ok := sc.Level(v); ok {
		return l.Label
	}
	return v
}
