package transfer

import (
	"context"
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// StepNotified is the failpoint after the arrival messages are written.
const StepNotified = "transfer.notified"

// arrival is a record that reached its destination student, from the
// establishment named From.
type arrival struct {
	Dest sillage.StudentRef
	From string
}

// notifyArrivals tells each student whose record arrived, and their legal
// guardians, in their message box, in the transaction that moved the
// record: a record never arrives without the family being told, nor the
// family told of a record that did not arrive.
func notifyArrivals(ctx context.Context, tx *store.Tx, arrivals []arrival) error {
	refs := make([]sillage.StudentRef, len(arrivals))
	from := make(map[sillage.StudentRef]string, len(arrivals))
	for i, a := range arrivals {
		refs[i] = a.Dest
		from[a.Dest] = a.From
	}
	recipients, err := tx.CrossTenant().RecordArrivalRecipients(ctx, refs)
	if err != nil {
		return err
	}
	msgs := make([]sillage.InboxMessage, len(recipients))
	for i, r := range recipients {
		msgs[i] = arrivalMessage(r, from[sillage.StudentRef{UAI: r.UAI, StudentID: r.StudentID}])
	}
	return tx.CrossTenant().SendMessages(ctx, msgs)
}

// arrivalMessage is the message one recipient reads.
func arrivalMessage(r store.ArrivalRecipient, from string) sillage.InboxMessage {
	origin := "votre précédent établissement"
	if from != "" {
		origin = "votre précédent établissement (" + from + ")"
	}
	m := sillage.InboxMessage{UAI: r.UAI, RecipientID: r.PersonID, Sender: "Sillage",
		Subject: "Votre livret de compétences vous a suivi",
		Body: fmt.Sprintf("Les évaluations, les commentaires et les fiches de votre livret de compétences, tenus dans %s, "+
			"ont été transférés dans votre nouvel établissement. Vous les retrouvez à la page « Mon livret ».\n\n"+
			"Ce transfert a été fait parce que vos deux établissements l'ont activé et que vous préparez le même diplôme.", origin)}
	if r.Guardian {
		name := r.FirstName + " " + r.LastName
		origin = "son précédent établissement"
		if from != "" {
			origin = "son précédent établissement (" + from + ")"
		}
		m.Subject = "Le livret de compétences de " + name + " a été transféré"
		m.Body = fmt.Sprintf("Les évaluations, les commentaires et les fiches du livret de compétences de %s, tenus dans %s, "+
			"ont été transférés dans son nouvel établissement. Vous les retrouvez dans Sillage, à la page de votre enfant.\n\n"+
			"Ce transfert a été fait parce que ses deux établissements l'ont activé et qu'il ou elle prépare le même diplôme.", name, origin)
	}
	return m
}
