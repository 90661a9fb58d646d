package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Transactions. The engine is read-only and runs each query on its own, so a transaction here
// holds no snapshot: it is the protocol state drivers see and depend on (ReadyForQuery's I, T or
// E, 25P02 after an error, warnings for a stray BEGIN or COMMIT), the lifetime of portals (but for
// WITH HOLD cursors) and of SET LOCAL, and what ROLLBACK undoes of the session settings. Every statement runs in one:
// BEGIN's explicit block, the implicit block of a multi-statement Query, or a transaction of its
// own that ends with the Query or, in the extended protocol, at Sync.

type txKind int

const (
	// txStarted is the transaction of one statement or one extended-protocol batch.
	txStarted txKind = iota
	// txImplicitBlock covers the statements of one multi-statement Query: an error ends it, and
	// BEGIN turns it into an explicit block.
	txImplicitBlock
	// txExplicit is BEGIN ... COMMIT.
	txExplicit
)

type transaction struct {
	kind   txKind
	failed bool
	// begin are the session settings at the start, which ROLLBACK restores. They are saved at
	// the first change, so the common transaction that changes nothing copies nothing.
	begin      *settingsState
	savepoints []savepoint
}

type savepoint struct {
	name            string
	persist, active settingsState
}

// ensureTx starts a transaction of the given kind unless one is open.
func (c *conn) ensureTx(kind txKind) {
	if c.tx == nil {
		c.tx = &transaction{kind: kind}
	}
}

func (c *conn) txFailed() bool { return c.tx != nil && c.tx.failed }

// txStatus is ReadyForQuery's transaction status. Implicit transactions have ended by then.
func (c *conn) txStatus() byte {
	switch {
	case c.tx == nil || c.tx.kind != txExplicit:
		return 'I'
	case c.tx.failed:
		return 'E'
	}
	return 'T'
}

// beforeSettingsChange saves the settings a rollback must restore.
func (c *conn) beforeSettingsChange() {
	if c.tx != nil && c.tx.begin == nil {
		b := c.persist.clone()
		c.tx.begin = &b
	}
}

// endTx commits or rolls back the open transaction: SET LOCAL values end, a rollback restores the
// settings, and portals close (none is holdable).
func (c *conn) endTx(commit bool) {
	tx := c.tx
	if tx == nil {
		return
	}
	c.tx = nil
	c.closeTxPortals(tx, commit)
	if tx.begin == nil {
		return
	}
	if !commit {
		c.persist = *tx.begin
	}
	c.setActive(c.persist.clone())
}

// abortTx records an error in the open transaction: an explicit block then refuses everything
// but its end (25P02); an implicit one is rolled back where it ends.
func (c *conn) abortTx() {
	if c.tx == nil {
		return
	}
	c.tx.failed = true
	if c.tx.kind == txExplicit {
		c.closeTxPortals(c.tx, false)
	}
}

// endsTransaction reports whether a plan may run in a failed transaction: COMMIT, ROLLBACK and
// ROLLBACK TO SAVEPOINT, as in PostgreSQL.
func endsTransaction(plan *planner.Plan) bool {
	if plan == nil || plan.Kind != planner.KindTransaction {
		return false
	}
	switch plan.Tx {
	case planner.TxCommit, planner.TxRollback, planner.TxRollbackTo:
		return true
	}
	return false
}

// errTxAborted is what every other statement gets in a failed transaction.
func errTxAborted() error {
	return sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

// applyTx carries out transaction control, returning the command tag (COMMIT of a failed block
// answers ROLLBACK, as in PostgreSQL).
func (c *conn) applyTx(plan *planner.Plan) (string, error) {
	c.ensureTx(txStarted)
	tx := c.tx
	explicit := tx.kind == txExplicit
	switch plan.Tx {
	case planner.TxBegin:
		if explicit {
			c.warn(sqlerr.ActiveSQLTransaction, "there is already a transaction in progress")
		}
		tx.kind = txExplicit
		return plan.Tag, nil
	case planner.TxCommit:
		if !explicit {
			c.warn(sqlerr.NoActiveSQLTransaction, "there is no transaction in progress")
		}
		if tx.failed {
			c.endTx(false)
			if explicit {
				return "ROLLBACK", nil
			}
			return plan.Tag, nil
		}
		c.endTx(true)
		return plan.Tag, nil
	case planner.TxRollback:
		if !explicit {
			c.warn(sqlerr.NoActiveSQLTransaction, "there is no transaction in progress")
		}
		c.endTx(false)
		return plan.Tag, nil
	case planner.TxSavepoint:
		if !explicit {
			return "", sqlerr.New(sqlerr.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		tx.savepoints = append(tx.savepoints, savepoint{name: plan.Savepoint, persist: c.persist.clone(), active: c.activeSettings().clone()})
		return plan.Tag, nil
	case planner.TxRelease:
		if !explicit {
			return "", sqlerr.New(sqlerr.NoActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		i, err := tx.findSavepoint(plan.Savepoint)
		if err != nil {
			return "", err
		}
		tx.savepoints = tx.savepoints[:i]
		return plan.Tag, nil
	case planner.TxRollbackTo:
		if !explicit {
			return "", sqlerr.New(sqlerr.NoActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
		}
		i, err := tx.findSavepoint(plan.Savepoint)
		if err != nil {
			return "", err
		}
		// The savepoint stays, so it can be rolled back to again.
		sp := tx.savepoints[i]
		tx.savepoints = tx.savepoints[:i+1]
		c.beforeSettingsChange()
		c.persist = sp.persist.clone()
		c.setActive(sp.active.clone())
		tx.failed = false
		return plan.Tag, nil
	}
	return "", sqlerr.New(sqlerr.FeatureNotSupported, "transaction statement %q is not supported", plan.Tag)
}

// findSavepoint finds the most recent savepoint of that name.
func (tx *transaction) findSavepoint(name string) (int, error) {
	for i := len(tx.savepoints) - 1; i >= 0; i-- {
		if tx.savepoints[i].name == name {
			return i, nil
		}
	}
	return 0, sqlerr.New(sqlerr.InvalidSavepointSpecification, "savepoint %q does not exist", name)
}

// warn sends a WARNING notice; the statement goes on.
func (c *conn) warn(code, message string) {
	c.out.send(&pgproto3.NoticeResponse{
		Severity:            "WARNING",
		SeverityUnlocalized: "WARNING",
		Code:                code,
		Message:             message,
	})
}
