// Package goldencases holds what the planner's golden case files (testdata/planner) take for
// granted: the shape of a case (Case, decoded strictly by Load, so a misspelt key is an error and
// not a silently weaker case) and the callers their "principal" fields name. The planner's golden
// tests, the deparse round trip, the pruning result check and the bench's planning pair read the
// same files, so they share these.
package goldencases
