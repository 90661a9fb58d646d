package gateway

import (
	"context"
	"errors"
)

// component is one started part of the gateway and how to stop it: shutdown gracefully within a
// deadline, or close at once. A component without shutdown is closed in both cases.
type component struct {
	shutdown func(ctx context.Context) error
	close    func() error
}

// closeOnly is a component that has only the hard stop.
func closeOnly(f func() error) component { return component{close: f} }

// stack is the gateway's one list of started components. Start pushes each as it comes up; a
// start-up that fails half way and a gateway that stops both unwind it in reverse order, so no
// path has its own cleanup to keep in step with the others.
type stack []component

func (s *stack) push(c component) { *s = append(*s, c) }

// shutdown stops every component, last started first, each gracefully where it can be; ctx
// bounds the graceful part. Errors are joined; every component is stopped regardless.
func (s *stack) shutdown(ctx context.Context) error {
	return s.unwind(func(c component) error {
		if c.shutdown != nil {
			return c.shutdown(ctx)
		}
		return c.close()
	})
}

// close stops every component at once, last started first.
func (s *stack) close() error {
	return s.unwind(func(c component) error { return c.close() })
}

func (s *stack) unwind(stop func(component) error) error {
	var errs []error
	for i := len(*s) - 1; i >= 0; i-- {
		errs = append(errs, stop((*s)[i]))
	}
	*s = nil
	return errors.Join(errs...)
}
