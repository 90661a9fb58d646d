package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/setupranali/setupranali/sqlerr"
)

// errorBody is the JSON API's error shape.
type errorBody struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	SQLState  string `json:"sqlstate,omitempty"`
	Hint      string `json:"hint,omitempty"`
	RequestID string `json:"request_id"`
}

// odataError is OData v4's JSON error format.
type odataError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target,omitempty"`
		Details []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"details,omitempty"`
		InnerError map[string]string `json:"innererror,omitempty"`
	} `json:"error"`
}

// writeError answers a request with an error in the shape of its endpoint: OData's error format
// under /odata, the JSON API's otherwise; sqlstate, when set, is reported beside the code.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code, message, sqlstate string) {
	ri := info(r)
	ri.errCode, ri.sqlstate = code, sqlstate
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	var body any
	if protocolOf(r) == "odata" {
		var e odataError
		e.Error.Code = code
		e.Error.Message = message
		e.Error.InnerError = map[string]string{"request_id": ri.id}
		if sqlstate != "" {
			e.Error.InnerError["sqlstate"] = sqlstate
		}
		body = e
		h.Set("OData-Version", "4.0")
	} else {
		body = errorBody{Error: code, Message: message, SQLState: sqlstate, RequestID: ri.id}
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// writeQueryError answers a planner or executor error with the HTTP status its SQLSTATE maps to.
// Internal errors are logged in full and answered with their reference only.
func (s *Server) writeQueryError(w http.ResponseWriter, r *http.Request, err error) {
	e := sqlerr.From(err)
	status, code := statusOf(e.Code)
	if e.Code == sqlerr.InternalError || status >= 500 {
		info(r).log.Error("query failed", "code", e.Code, "message", e.Message, "error", err)
	} else {
		info(r).log.Info("query failed", "code", e.Code, "message", e.Message)
	}
	msg := e.Message
	if e.Hint != "" {
		msg += " (hint: " + e.Hint + ")"
	}
	s.writeError(w, r, status, code, msg, e.Code)
}

// statusOf maps a SQLSTATE to an HTTP status and an error code word.
func statusOf(state string) (int, string) {
	switch state {
	case sqlerr.UndefinedTable:
		return http.StatusNotFound, "dataset_not_found"
	case sqlerr.UndefinedColumn:
		return http.StatusBadRequest, "unknown_field"
	case sqlerr.InsufficientPrivilege:
		return http.StatusForbidden, "forbidden"
	case sqlerr.FeatureNotSupported:
		return http.StatusNotImplemented, "not_supported"
	case sqlerr.QueryCanceled:
		return http.StatusGatewayTimeout, "query_timeout"
	case sqlerr.ConfigurationLimit:
		return http.StatusTooManyRequests, "rate_limited"
	case sqlerr.AdminShutdown:
		return http.StatusServiceUnavailable, "shutting_down"
	}
	switch sqlerr.Class(state) {
	case "22", "42", "54", "25", "2F", "0A":
		return http.StatusBadRequest, "invalid_query"
	case "28":
		return http.StatusForbidden, "invalid_api_key"
	case "53", "57", "08":
		return http.StatusServiceUnavailable, "unavailable"
	}
	if strings.HasPrefix(state, "XX") || state == "" {
		return http.StatusInternalServerError, "internal_error"
	}
	return http.StatusBadRequest, "invalid_query"
}

// badRequest is a client mistake found before planning.
func badRequest(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameterValue, format, args...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// apiError is a request error with its own HTTP status and code word.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// writeAnyError answers err: an apiError as it says, anything else by its SQLSTATE.
func (s *Server) writeAnyError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		info(r).log.Info("request refused", "code", ae.code, "message", ae.msg)
		s.writeError(w, r, ae.status, ae.code, ae.msg, "")
		return
	}
	s.writeQueryError(w, r, err)
}
