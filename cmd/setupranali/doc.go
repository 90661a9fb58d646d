// Command setupranali is the SetuPranali gateway: the only main of the project and the only place
// that names concrete backends and wires the parts together.
//
// Subcommands:
//
//	serve                    run the gateway (the default; with no settings, the embedded demo)
//	catalog validate FILE    check a catalog file and print every problem
//	version                  print the version
//
// Settings come from flags or, with the same meaning, from environment variables: the original
// product's names where it had one (QUERY_MAX_ROWS, LOG_LEVEL, ...) and SETU_* for ours.
package main
