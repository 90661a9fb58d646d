// Command setupranali is the SetuPranali gateway: the only main of the project and the only place
// that names concrete backends and wires the parts together.
//
// Subcommands:
//
//	serve                    run the gateway (the default; with no settings, the embedded demo)
//	catalog validate FILE    check a catalog file and print every problem
//	keygen                   print a new Fernet key for UBI_SECRET_KEY
//	sources COMMAND          the source registry: add, list, show, test, remove, rotate-key
//	backup --to FILE         online snapshot of the state DB
//	restore --from FILE      replace the state DB with a checked backup
//	version                  print the version
//
// Settings come from flags or, with the same meaning, from environment variables: the original
// product's names where it had one (QUERY_MAX_ROWS, LOG_LEVEL, ...) and SETU_* for ours.
package main
