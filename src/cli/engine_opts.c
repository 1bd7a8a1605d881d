/*
 * cli/engine_opts.c - the delivery engine's options, shared by serve and worker,
 * and the logging options every command that logs takes
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* the engine's own defaults are the one source: the flags start from them */
void
cli_engine_defaults(struct cli_engine *e)
{
	struct deliver_config d;

	deliver_config_defaults(&d);
	memset(e, 0, sizeof(*e));
	e->db = d.db_url;
	e->transport = d.transport_url;
	e->workers = d.threads;
	e->connections = d.connections;
	e->shards = d.shards;
	e->batch = (long)d.batch;
	e->lease = d.lease_secs;
	e->poll_ms = d.poll_ms;
	e->retry_base = d.retry_base;
	e->log_level = CLI_DEFAULT_LOG_LEVEL;
	e->log_format = CLI_DEFAULT_LOG_FORMAT;
}

void
cli_log_defaults(struct cli_log *l)
{
	l->level = CLI_DEFAULT_LOG_LEVEL;
	l->format = CLI_DEFAULT_LOG_FORMAT;
}

/* cli_log_setup - --log-level and --log-format into the logger; 0 or the exit status */
int
cli_log_setup(const char *cmd, const struct cli_log *l)
{
	enum log_level level;

	if (log_level_parse(l->level, &level) != NF_OK)
		return cli_fail(cmd, "--log-level must be debug, info, warn or error");
	if (strcmp(l->format, "text") && strcmp(l->format, "json"))
		return cli_fail(cmd, "--log-format must be text or json");
	log_setup(level, strcmp(l->format, "json") ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON);
	return 0;
}

int
cli_logging(const char *cmd, const struct cli_engine *e)
{
	struct cli_log l = { e->log_level, e->log_format };

	return cli_log_setup(cmd, &l);
}

/* cli_engine_check - NULL when the numbers are in range, else what is wrong */
const char *
cli_engine_check(const struct cli_engine *e)
{
	if (e->workers < 1 || e->workers > 64 || e->connections < 1 || e->connections > 10000 ||
	    e->shards < 1 || e->shards > 10000 || e->batch < 1 || e->batch > 100000 || e->lease < 3 ||
	    e->retry_base < 1 || e->poll_ms < 0 || e->smtp_timeout_ms < 0)
		return "engine options out of range (--workers 1-64, --connections 1-10000, "
		       "--shards 1-10000, --batch 1-100000, --lease >= 3, --retry-base >= 1)";
	return NULL;
}

/* the engine configuration from the options; s must be built already */
int
cli_engine_config(const char *cmd, const struct cli_engine *e, struct cli_sender *s,
		  struct deliver_config *out)
{
	const char *why = cli_engine_check(e);

	deliver_config_defaults(out);
	if (why)
		return cli_fail(cmd, "%s", why);
	out->db_url = e->db;
	out->transport_url = e->transport;
	out->sender = s->sender;
	out->threads = (int)e->workers;
	out->connections = (int)e->connections;
	out->shards = (int)e->shards;
	out->batch = (size_t)e->batch;
	out->lease_secs = e->lease;
	out->poll_ms = e->poll_ms;
	out->smtp_timeout_ms = e->smtp_timeout_ms;
	out->retry_base = e->retry_base;
	return 0;
}
