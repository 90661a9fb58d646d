package httpapi

import (
	"net/http"
	"strings"

	"github.com/setupranali/setupranali/sqlerr"
)

// A query request refused before the planner saw it (a bad body, a missing or wrong key, the
// rate limit, a body too large) is counted in setu_queries_total like pg wire counts its
// refusals: under the door's protocol and the SQLSTATE class of the refusal, so the error-ratio
// alert can tell client-caused refusals from server failures the same way for every door.

// isQueryRequest reports whether a request is a query of a data door: /v1/query, or an OData
// entity set (not the service document or $metadata, which are not queries when they succeed
// either).
func isQueryRequest(route, path string) bool {
	switch route {
	case "/v1/query":
		return true
	case "/odata/*", "/v1/odata/*":
		return !strings.HasSuffix(path, "/$metadata")
	}
	return false
}

// refusalState is the SQLSTATE of an error response: the one the error carried, else the one the
// HTTP status stands for.
func refusalState(status int, code, sqlstate string) string {
	if sqlstate != "" {
		return sqlstate
	}
	switch status {
	case http.StatusUnauthorized:
		return sqlerr.InvalidAuthorization
	case http.StatusForbidden:
		if code == "insufficient_role" {
			return sqlerr.InsufficientPrivilege
		}
		return sqlerr.InvalidAuthorization
	case http.StatusTooManyRequests:
		if code == "rate_limited" {
			return sqlerr.ConfigurationLimit
		}
		// Too many failed logins: an authentication refusal.
		return sqlerr.InvalidAuthorization
	case http.StatusNotFound:
		return sqlerr.UndefinedTable
	case http.StatusMethodNotAllowed, http.StatusNotAcceptable, http.StatusUnsupportedMediaType, http.StatusNotImplemented:
		return sqlerr.FeatureNotSupported
	case http.StatusRequestEntityTooLarge:
		return sqlerr.ProgramLimitExceeded
	case http.StatusGatewayTimeout:
		return sqlerr.QueryCanceled
	}
	if status >= 500 {
		return sqlerr.InternalError
	}
	return sqlerr.InvalidParameterValue
}

// countRefusal counts a query request that ended in an error response and was not counted by the
// planner or executor.
func (s *Server) countRefusal(w *statusWriter, r *http.Request, ri *reqInfo, route string) {
	if s.cfg.QueryMetrics == nil || !w.written || w.code < 400 || !isQueryRequest(route, r.URL.Path) {
		return
	}
	s.cfg.QueryMetrics.Refused(r.Context(), protocolOf(r), refusalState(w.code, ri.errCode, ri.sqlstate))
}
