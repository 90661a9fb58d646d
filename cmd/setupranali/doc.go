// Command setupranali is the SetuPranali program: flags, environment, subcommands and signals.
// The gateway itself (start-up, wiring, reload, shutdown) is package gateway; serve fills a
// gateway.Config from flags and environment variables, starts it, reloads it on SIGHUP and
// drains it on SIGTERM or SIGINT. The operator subcommands (keys, sources, backup, restore,
// cache purge, catalog validate) read their flags here and are carried out by gateway/admin;
// the program imports nothing else of ours (internal/fences holds it to that).
//
// Subcommands:
//
//	serve                    run the gateway (the default; with no settings, the embedded demo)
//	catalog validate FILE    check a catalog file and print every problem
//	keygen                   print a new Fernet key for UBI_SECRET_KEY
//	sources COMMAND          the source registry: add, list, show, test, remove, rotate-key
//	keys COMMAND             API keys: create, list, revoke, rotate, audit
//	backup --to FILE         online snapshot of the state DB
//	restore --from FILE      replace the state DB with a checked backup
//	healthcheck              probe the running gateway's /v1/health
//	cache purge              delete cached results in Redis
//	version                  print the version
//
// Settings come from flags or, with the same meaning, from environment variables: the original
// product's names where it had one (QUERY_MAX_ROWS, LOG_LEVEL, ...) and SETU_* for ours.
package main
