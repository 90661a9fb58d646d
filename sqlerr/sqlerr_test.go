package sqlerr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestInternalHidesCause(t *testing.T) {
	cause := errors.New("disk on fire at /var/secret/path")
	e := Internal(cause)
	if e.Code != InternalError || strings.Contains(e.Message, "disk") || !strings.Contains(e.Message, "ref ") {
		t.Errorf("client message %q must hide the cause and carry a ref", e.Message)
	}
	if !errors.Is(e, cause) {
		t.Error("cause lost from the chain (logs need it)")
	}
}

func TestFromFindsWrappedError(t *testing.T) {
	inner := New(UndefinedTable, "relation %q does not exist", "x").WithPosition(15)
	got := From(fmt.Errorf("planning: %w", inner))
	if got != inner || Code(got) != UndefinedTable || got.Position != 15 {
		t.Errorf("From = %+v", got)
	}
	if From(nil) != nil {
		t.Error("From(nil) != nil")
	}
	if Code(errors.New("plain")) != InternalError || From(errors.New("plain")).Code != InternalError {
		t.Error("an error without SQLSTATE must be internal")
	}
	if Class("42P01") != "42" || Class("") != "" {
		t.Error("Class")
	}
}
