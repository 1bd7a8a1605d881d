/*
 * cli/main.c - newsflash: entry point and subcommand dispatch
 *
 * Owns: argv[1] lookup, the top-level usage, turning a bad command line
 * into one line on stderr plus the usage, exit 2, and after a command's
 * --help, what its exit statuses mean (exits.c); the installed
 * configuration file as every command's default (NEWSFLASH_CONFIG_FILE).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "cli.h"

void
cli_usage(FILE *to)
{
	const struct cli_command *c;

	fprintf(to, "usage: newsflash COMMAND [OPTIONS] [ARGS]\n\n"
		    "newsflash sends breaking-news email alerts to confirmed subscribers.\n\n"
		    "commands:\n");
	for (c = cli_commands; c->name; c++)
		fprintf(to, "  %-14s %s\n", c->name, c->summary);
	fprintf(to, "\nEvery --flag can also be set as NEWSFLASH_FLAG in the environment.\n"
		    "Run 'newsflash COMMAND --help' for a command's options.\n");
}

int
cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "newsflash: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int
cmd_help(int argc, char **argv)
{
	NF_UNUSED(argc);
	NF_UNUSED(argv);
	cli_usage(stdout);
	return 0;
}

int
cmd_version(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: newsflash version\n\nPrints the version.\n");
		return 0;
	}
	if (argc > 1)
		return cli_fail("version", "takes no arguments");
	printf("newsflash %s\n", NEWSFLASH_VERSION);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cli_command *c;
	const char *name;

	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	config_default_file(NEWSFLASH_CONFIG_FILE);
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(0, NULL);
	if (!strcmp(name, "--version"))
		return cmd_version(1, argv + 1);
	for (c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0) {
			int rc = c->run(argc - 1, argv + 1), i;

			for (i = 2; rc == 0 && i < argc && strcmp(argv[i], "--") != 0; i++)
				if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
					cli_exits_usage(stdout, name);
					break;
				}
			return rc;
		}
	fprintf(stderr, "newsflash: unknown command '%s'\n", name);
	cli_usage(stderr);
	return EXIT_USAGE;
}
