package sillage

import (
	"errors"
	"fmt"
)

// Kind is one of the small closed set of error kinds the domain, the store
// and the transports agree on. Transports map kinds to statuses and exit
// codes; nothing else inspects error text.
type Kind int

const (
	KindInternal    Kind = iota // a bug or an unexpected failure
	KindNotFound                // absent, or not visible to the caller (sealed tenants)
	KindInvalid                 // bad input: the message says what to fix
	KindConflict                // a uniqueness or state conflict
	KindForbidden               // the caller's role may not do this
	KindUnavailable             // a dependency is down or a window is closed
)

func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	case KindUnavailable:
		return "unavailable"
	}
	return "internal"
}

// Sentinel errors, one per kind, for errors.Is.
var (
	ErrNotFound    = &Error{Kind: KindNotFound, Msg: "introuvable"}
	ErrInvalid     = &Error{Kind: KindInvalid, Msg: "donnée invalide"}
	ErrConflict    = &Error{Kind: KindConflict, Msg: "conflit"}
	ErrForbidden   = &Error{Kind: KindForbidden, Msg: "action non autorisée"}
	ErrUnavailable = &Error{Kind: KindUnavailable, Msg: "service indisponible"}
)

// Error is a domain error: a kind and a message meant for the person who
// caused it (in French), optionally wrapping a cause meant for operators.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for every error of that kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound, ErrInvalid, ErrConflict, ErrForbidden, ErrUnavailable:
		return target.(*Error).Kind == e.Kind
	}
	return false
}

// Errorf returns a domain error of kind k with a formatted message.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns a domain error of kind k whose message is msg and cause err.
func Wrap(k Kind, err error, msg string) error {
	return &Error{Kind: k, Msg: msg, Err: err}
}

// KindOf returns the kind of the first domain error in err's chain, or
// KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Message returns the message meant for the person who caused err: the
// domain error's own message, without internal causes.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return "erreur interne"
}
