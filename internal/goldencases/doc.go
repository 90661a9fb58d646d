// Package goldencases holds what the planner's golden case files (testdata/planner) take for
// granted: the callers their "principal" fields name. The planner's golden tests, the pruning
// result check and the bench's planning pair read the same files, so they share these.
package goldencases
