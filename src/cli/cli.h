/*
 * cli/cli.h - the newsflash command line: subcommands and their table
 *
 * Owns: dispatch from argv to a subcommand. Each subcommand lives in its own
 * file (cmd_NAME.c) and has the signature below: argv[0] is the subcommand's
 * own name. Exit codes: 0 success, 1 the command ran and found a problem
 * (an invalid address, a failed check), 2 usage or input error.
 */
#ifndef NEWSFLASH_CLI_H
#define NEWSFLASH_CLI_H

#include <stdio.h>

#include "core/core.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct cli_command cli_commands[];

void cli_usage(FILE *to);
/* print "newsflash: CMD: message" on stderr and return EXIT_USAGE */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* secret.c: load the HMAC key, creating it on first use */
int cli_secret_load(const char *path, struct token_key *key);

int cmd_dkim(int argc, char **argv);
int cmd_message(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_template(int argc, char **argv);
/* cmd_db.c: open --db for a command, saying why on stderr when it fails */
struct store;
int cli_store_open(const char *cmd, const char *url, struct store **out);

int cmd_db(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_subscribers(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_smtp(int argc, char **argv);
int cmd_address(int argc, char **argv);

#endif
