package store

// AllViews embeds every view of a transaction, so that a test walking the
// transaction's methods by reflection (the tenant sealing test) sees the
// methods of all of them, as it saw them on *Tx before the split. It is
// test-only: it hands out the cross-tenant view.
type AllViews struct {
	Accounts
	Audit
	Keys
	Establishments
	Imports
	People
	Records
	Periods
	Livret
	Rollover
	Transfer
	Federation
	CrossTenant
}

// AllViewsOf returns every view of tx.
func AllViewsOf(tx *Tx) *AllViews {
	return &AllViews{tx.Accounts(), tx.Audit(), tx.Keys(), tx.Establishments(), tx.Imports(), tx.People(), tx.Records(), tx.Periods(), tx.Livret(), tx.Rollover(), tx.Transfer(), tx.Federation(), tx.CrossTenant()}
}
