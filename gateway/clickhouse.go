package gateway

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/setupranali/setupranali/engine/clickhouse"
	"github.com/setupranali/setupranali/state"
)

// clickhouseDefaultPort is the native protocol's port.
const clickhouseDefaultPort = "9000"

// openClickHouse makes the backend of a clickhouse source: every listed host, in order, for
// failover and for KILL QUERY to reach wherever a query runs.
func openClickHouse(ctx context.Context, s state.Source, c state.Credentials, o SourceOptions) (SourceBackend, error) {
	st := s.Settings
	be, err := clickhouse.Open(ctx, clickhouse.Config{
		Addrs:            clickhouseAddrs(st.Host, st.Port),
		Database:         st.Database,
		User:             st.User,
		Password:         c.Password,
		MaxConns:         st.MaxConns,
		ConnectTimeout:   time.Duration(st.ConnectTimeoutSeconds) * time.Second,
		StatementTimeout: o.StatementTimeout,
		Name:             s.Name,
		Log:              o.Log.With("source", s.Name),
	})
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s.Name, Redact(err, c))
	}
	return be, nil
}

// clickhouseAddrs pairs comma-separated hosts with one port for all or one port each.
func clickhouseAddrs(hosts, ports string) []string {
	hs, ps := strings.Split(hosts, ","), strings.Split(ports, ",")
	addrs := make([]string, 0, len(hs))
	for i, h := range hs {
		p := clickhouseDefaultPort
		switch {
		case ports == "":
		case len(ps) == len(hs):
			p = ps[i]
		default:
			p = ps[0]
		}
		addrs = append(addrs, net.JoinHostPort(strings.TrimSpace(h), strings.TrimSpace(p)))
	}
	return addrs
}
