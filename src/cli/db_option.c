/*
 * cli/db_option.c - the options of the small database commands
 *
 * Owns: parsing --db and --help for commands that take nothing else
 * (alerts, alert, apikey, lists), and their usage message.
 */
#include <stdlib.h>

#include "cli.h"

/* --db and --help; 0 to go on, -1 after the help, else the exit status */
int
cli_db_option(const char *cmd, const char *usage, int argc, char **argv, const char **db,
	      char ***pos, int *npos)
{
	int help = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};

	if (config_parse(opts, argc, argv, pos, npos) != NF_OK) {
		free(*pos);
		return cli_fail(cmd, "usage: %s", usage);
	}
	if (help) {
		free(*pos);
		printf("usage: %s\n\n", usage);
		config_usage(opts, stdout);
		return -1;
	}
	return 0;
}
