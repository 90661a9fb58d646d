package auth

import "github.com/setupranali/setupranali/sqlerr"

// The failures of a presented API key. Each is a FATAL 28P01 for the pg wire; HTTP maps them
// with errors.Is. None names the key or repeats what was presented. A revoked or expired key is
// only reported as such after the secret was proved, so the errors reveal nothing about keys the
// caller does not hold.
var (
	ErrInvalidKey = &sqlerr.Error{Code: sqlerr.InvalidPassword, Severity: sqlerr.SeverityFatal, Message: "password authentication failed: invalid API key"}
	ErrRevokedKey = &sqlerr.Error{Code: sqlerr.InvalidPassword, Severity: sqlerr.SeverityFatal, Message: "password authentication failed: API key revoked"}
	ErrExpiredKey = &sqlerr.Error{Code: sqlerr.InvalidPassword, Severity: sqlerr.SeverityFatal, Message: "password authentication failed: API key expired"}
)
