/*
 * cli/cmd_worker.c - newsflash worker: the delivery engine alone
 *
 * Owns: running extra delivery nodes. Pointed at the same PostgreSQL as the
 * other nodes, any number of workers on any machines share alerts by
 * claiming shards under leases; one that dies has its shards taken over
 * when its leases expire. SIGTERM finishes and commits what is in flight.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cmd_worker(int argc, char **argv)
{
	struct cli_sender sender;
	struct cli_engine engine;
	struct deliver_config dc;
	struct deliver *d;
	int help = 0, npos, rc, sig;
	const struct config_opt opts[] = {
		CLI_SENDER_OPTIONS(&sender),
		CLI_ENGINE_OPTIONS(&engine),
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos;

	cli_sender_defaults(&sender);
	cli_engine_defaults(&engine);
	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	free(pos);
	if (rc != NF_OK || help || npos > 0) {
		fprintf(help ? stdout : stderr, "usage: newsflash worker [OPTIONS]\n\n"
			"Delivers alerts: claims shards from the database and sends them.\n\n");
		config_usage(opts, help ? stdout : stderr);
		cli_sender_free(&sender);
		return help ? 0 : EXIT_USAGE;
	}
	if ((rc = cli_logging("worker", &engine)) == 0 &&
	    (rc = cli_sender_build("worker", &sender, "http://" WEB_DEFAULT_LISTEN)) == 0 &&
	    (rc = cli_engine_config("worker", &engine, &sender, &dc)) == 0 &&
	    (rc = cli_check_store("worker", engine.db)) == 0) {
		cli_block_stop_signals();
		d = deliver_start(&dc);
		if (d == NULL) {
			rc = EXIT_PROBLEM;
		} else {
			sig = cli_wait_stop_signal();
			log_event(LOG_INFO, "worker.stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
			deliver_stop(d);
		}
	}
	cli_engine_free(&engine);
	cli_sender_free(&sender);
	return rc;
}
