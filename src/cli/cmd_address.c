/*
 * cli/cmd_address.c - newsflash address check: judge addresses as signup would
 *
 * Owns: the operator's view of addr/: one line per address on stdout,
 *   valid<TAB>NORMALISED[<TAB>suggest=ADDRESS]
 *   invalid<TAB>CODE<TAB>MESSAGE[<TAB>suggest=ADDRESS]
 * exit 0 when every address is valid, 1 when any is not, 2 on a usage error.
 * When --check-mx gets no answer from DNS the address stays valid and a
 * warning goes to stderr, as the signup page would accept it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../addr/addr.h"
#include "../core/core.h"
#include "cli.h"

struct address_flags {
	int smtputf8, check_mx;
	long dns_timeout;
	const char *dns_server;
};

static void
address_usage(const struct config_opt *opts, FILE *to)
{
	fprintf(to, "usage: newsflash address check [OPTIONS] [--] ADDRESS...\n\n"
		    "Checks each address as the signup form does and prints one line per address:\n"
		    "  valid<TAB>NORMALISED  or  invalid<TAB>CODE<TAB>MESSAGE,\n"
		    "plus <TAB>suggest=ADDRESS for a likely typo. Exit 0 all valid, 1 any invalid.\n\n"
		    "options:\n");
	config_usage(opts, to);
}

/* --help or -h before any "--" */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

/* one address: its line on stdout; 1 when valid */
static int
check_one(const char *arg, const struct addr_options *opts)
{
	struct addr_result r;

	addr_check_opts(arg, strlen(arg), opts, &r);
	if (r.valid)
		printf("valid\t%s", r.normalized);
	else
		printf("invalid\t%s\t%s", r.code, r.message);
	if (r.suggestion[0])
		printf("\tsuggest=%s", r.suggestion);
	putchar('\n');
	if (r.dns == ADDR_DNS_TEMPFAIL)
		fprintf(stderr, "newsflash: address: %s: no answer from DNS; deliverability "
				"not checked\n", r.normalized);
	return r.valid;
}

static int
run_check(struct address_flags *f, char **addrs, int n)
{
	struct addr_options opts = { 0 };
	unsigned char ip[4];
	unsigned port;
	int i, all_valid = 1;

	if (n == 0)
		return cli_fail("address", "check needs at least one ADDRESS");
	if (f->dns_server &&
	    addr_dns_server_parse(f->dns_server, strlen(f->dns_server), ip, &port) != NF_OK)
		return cli_fail("address", "--dns-server wants IPv4[:PORT], not '%s'", f->dns_server);
	if (f->dns_timeout < 0 || f->dns_timeout > 60)
		return cli_fail("address", "--dns-timeout wants 1 to 60 seconds");
	opts.flags = (f->smtputf8 ? ADDR_SMTPUTF8 : 0) | (f->check_mx ? ADDR_CHECK_MX : 0);
	opts.dns_server = f->dns_server;
	opts.dns_timeout = (int)f->dns_timeout;
	for (i = 0; i < n; i++)
		all_valid &= check_one(addrs[i], &opts);
	fflush(stdout);
	return all_valid ? 0 : EXIT_PROBLEM;
}

int
cmd_address(int argc, char **argv)
{
	struct address_flags f = { 0 };
	const struct config_opt opts[] = {
		{ "smtputf8", CONFIG_BOOL, &f.smtputf8, NULL,
		  "accept non-ASCII local parts (the relay offers SMTPUTF8)" },
		{ "check-mx", CONFIG_BOOL, &f.check_mx, NULL,
		  "ask DNS for MX (or A/AAAA) records; reject null MX" },
		{ "dns-server", CONFIG_STRING, &f.dns_server, "IP:PORT",
		  "DNS server for --check-mx (default: the system's)" },
		{ "dns-timeout", CONFIG_INT, &f.dns_timeout, "SECONDS",
		  "first DNS try timeout, doubled on the retry (default 2)" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	int npos = 0, rc;

	if (wants_help(argc, argv)) {
		address_usage(opts, stdout);
		return 0;
	}
	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		address_usage(opts, stderr);
		rc = EXIT_USAGE;
	} else if (npos == 0 || strcmp(pos[0], "check") != 0) {
		rc = cli_fail("address", npos ? "unknown subcommand '%s'" : "missing subcommand%s",
			      npos ? pos[0] : " (check)");
	} else {
		rc = run_check(&f, pos + 1, npos - 1);
	}
	free(pos);
	return rc;
}
