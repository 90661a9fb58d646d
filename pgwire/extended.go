package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/sqlerr"
)

// extended answers a message of the extended query protocol. The protocol is not implemented
// yet: the first message of a batch is rejected with 0A000 and, as after any error in a batch,
// everything up to Sync is discarded (conn.handle does the skipping). A Sync or Flush on its own
// asks nothing unsupported, so they get their normal answers; that keeps a client that pipelines
// a Sync after its rejected batch in step.
func (c *conn) extended(msg pgproto3.FrontendMessage) error {
	switch msg.(type) {
	case *pgproto3.Sync:
		c.skipTillSync = false
		c.readyForQuery()
		return nil
	case *pgproto3.Flush:
		return c.out.flush()
	}
	c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet").
		WithHint("Use the simple query protocol (for example preferQueryMode=simple in pgjdbc)."))
	c.skipTillSync = true
	return nil
}
