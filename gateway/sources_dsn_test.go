package gateway

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/state"
)

// A source's settings reach the driver unchanged whatever they hold: quotes, backslashes,
// spaces, plus signs, percent signs and the URL's own separators. The connection string is
// parsed back by pgx, the driver the postgres backend opens it with.
func TestPostgresDSNCarriesEveryValue(t *testing.T) {
	t.Parallel()
	awkward := []string{
		`plain`, `it's`, `back\slash`, `two  spaces`, ` lead`, `a+b`, `100%`, `%41`, `a&b=c`, `q?x#y`,
		`colon:at@slash/`, `ünïcödé`, `'quoted'`, `"dq"`, `tab	tab`,
	}
	for _, v := range awkward {
		st := state.Settings{Host: "db.example", Port: "6543", Database: "db " + v, User: "u" + v, SSLMode: "disable",
			Options: map[string]string{"application_name": "app" + v}}
		dsn := postgresDSN(st, state.Credentials{Password: "pw" + v})
		pc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if pc.Host != "db.example" || pc.Port != 6543 || pc.Database != "db "+v || pc.User != "u"+v || pc.Password != "pw"+v ||
			pc.TLSConfig != nil || pc.RuntimeParams["application_name"] != "app"+v {
			t.Errorf("%q: parsed back as host %q port %d db %q user %q password ok %v tls %v app %q", v,
				pc.Host, pc.Port, pc.Database, pc.User, pc.Password == "pw"+v, pc.TLSConfig != nil, pc.RuntimeParams["application_name"])
		}
		// The password's spelling in the string is one Redact knows.
		if !strings.Contains(Redact(errorString(dsn), state.Credentials{Password: "pw" + v}).Error(), "********") {
			t.Errorf("%q: the password's spelling in %q is not redacted", v, dsn)
		}
	}
	// Unset settings stay unset (the driver's defaults apply), and a stored DSN is used as is.
	if got := postgresDSN(state.Settings{Host: "h"}, state.Credentials{}); got != "postgres:///?host=h" {
		t.Errorf("only a host: %q", got)
	}
	if got := postgresDSN(state.Settings{Host: "ignored"}, state.Credentials{DSN: "postgres://u@h/d"}); got != "postgres://u@h/d" {
		t.Errorf("stored DSN: %q", got)
	}
	// An option named like a setting overrides it, as in libpq's key=value form before.
	pc, err := pgconn.ParseConfig(postgresDSN(state.Settings{Host: "h", Port: "1", Options: map[string]string{"port": "2"}}, state.Credentials{}))
	if err != nil || pc.Port != 2 {
		t.Errorf("option overriding port: %v %v", pc, err)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
