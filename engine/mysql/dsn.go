package mysql

import (
	"net"

	driver "github.com/go-sql-driver/mysql"
)

// Target is a source's connection settings, the password apart.
type Target struct {
	Host, Port, Database, User string
	// SSLMode is disable, prefer, require (encrypted, certificate not checked) or
	// verify-full (certificate and host name checked); empty is disable.
	SSLMode string
}

// DSN builds the driver's DSN for t and password; the driver's own formatting escapes them.
func DSN(t Target, password string) string {
	c := driver.NewConfig()
	c.User, c.Passwd, c.DBName = t.User, password, t.Database
	c.Net = "tcp"
	port := t.Port
	if port == "" {
		port = "3306"
	}
	c.Addr = net.JoinHostPort(t.Host, port)
	c.TLSConfig = map[string]string{"": "false", "disable": "false", "prefer": "preferred",
		"require": "skip-verify", "verify-full": "true"}[t.SSLMode]
	return c.FormatDSN()
}
