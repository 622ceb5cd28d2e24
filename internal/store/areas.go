package store

// The methods of a transaction are grouped in area views that share it: a
// caller names the area it works on (tx.Records().ListEvaluations(...)), and
// the cross-tenant methods sit in one view that only a few packages may
// reach (fence_test.go). A view embeds the transaction through the
// unexported alias txn: its methods reach the transaction's helpers by
// promotion, and a caller outside the package cannot take the *Tx back out
// of a view.
type txn = Tx

// Accounts holds accounts and sessions (instance-level, by account or
// token), an account's own memberships, and what an establishment keeps
// about its people's accounts: credential lists, API tokens, messages
// (tenant-scoped: they take the UAI).
type Accounts struct{ *txn }

// Accounts returns the transaction's Accounts view.
func (tx *Tx) Accounts() Accounts { return Accounts{tx} }

// Audit holds an establishment's audit chain (tenant-scoped: takes the UAI)
// and the instance's own journal.
type Audit struct{ *txn }

// Audit returns the transaction's Audit view.
func (tx *Tx) Audit() Audit { return Audit{tx} }

// Keys holds the key registry and the pseudonym markers (instance-level, no
// tenant data).
type Keys struct{ *txn }

// Keys returns the transaction's Keys view.
func (tx *Tx) Keys() Keys { return Keys{tx} }

// Establishments holds the list of establishments and each one's name,
// settings and counts (tenant-scoped where a UAI is taken).
type Establishments struct{ *txn }

// Establishments returns the transaction's Establishments view.
func (tx *Tx) Establishments() Establishments { return Establishments{tx} }

// Imports holds import reports and the bulk writes of STS/AAF imports
// (tenant-scoped: they take the UAI, except login allocation on the
// instance's accounts).
type Imports struct{ *txn }

// Imports returns the transaction's Imports view.
func (tx *Tx) Imports() Imports { return Imports{tx} }

// People holds students, persons, guardians, groups and an establishment's
// structure (tenant-scoped: they take the UAI).
type People struct{ *txn }

// People returns the transaction's People view.
func (tx *Tx) People() People { return People{tx} }

// Records holds evaluations, results, comments, documents and sheets
// (tenant-scoped: they take the UAI).
type Records struct{ *txn }

// Records returns the transaction's Records view.
func (tx *Tx) Records() Records { return Records{tx} }

// Periods holds an establishment's periods of the school year
// (tenant-scoped: they take the UAI).
type Periods struct{ *txn }

// Periods returns the transaction's Periods view.
func (tx *Tx) Periods() Periods { return Periods{tx} }

// Livret holds the LSU livret: cycles, periods, reports and exports
// (tenant-scoped: they take the UAI).
type Livret struct{ *txn }

// Livret returns the transaction's Livret view.
func (tx *Tx) Livret() Livret { return Livret{tx} }

// Rollover holds the end-of-year rollover of an establishment: steps,
// checkpoints, notices, files, packs, class spaces (tenant-scoped, except
// the instance calendar, the steps of a year and the packs summary).
type Rollover struct{ *txn }

// Rollover returns the transaction's Rollover view.
func (tx *Tx) Rollover() Rollover { return Rollover{tx} }

// Transfer holds an establishment's side of the transfers: its transfer
// log, its pending list, its count in the index (tenant-scoped: they take
// the UAI).
type Transfer struct{ *txn }

// Transfer returns the transaction's Transfer view.
func (tx *Tx) Transfer() Transfer { return Transfer{tx} }

// CrossTenant holds the data of several establishments, or of one the
// caller does not name: the transfer index and records, batch moves, purge,
// blob reference scans, AAF lookups, instance counts. Fenced: only the
// packages fence_test.go allows may reach it.
type CrossTenant struct{ *txn }

// CrossTenant returns the transaction's CrossTenant view.
func (tx *Tx) CrossTenant() CrossTenant { return CrossTenant{tx} }
