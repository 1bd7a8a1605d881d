/*
 * cli/engine_opts.c - the delivery engine's options, shared by serve and worker,
 * and the logging options every command that logs takes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
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
	e->hook_threads = d.hook_threads;
	e->hook_retry_base = d.hook_retry_base;
	e->hook_give_up = d.hook_give_up;
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

/* cli_engine_check - NULL when the numbers are in range, else the first that is not ("--NAME: ...") */
const char *
cli_engine_check(const struct cli_engine *e)
{
	unsigned char ip[4];
	unsigned port;

	if (e->workers < 1 || e->workers > 64)
		return "--workers: must be 1 to 64";
	if (e->connections < 1 || e->connections > 10000)
		return "--connections: must be 1 to 10000";
	if (e->shards < 1 || e->shards > 10000)
		return "--shards: must be 1 to 10000";
	if (e->batch < 1 || e->batch > 100000)
		return "--batch: must be 1 to 100000";
	if (e->lease < 3)
		return "--lease: must be 3 or more";
	if (e->retry_base < 1)
		return "--retry-base: must be 1 or more";
	if (e->poll_ms < 0)
		return "--poll-ms: must be 0 or more";
	if (e->smtp_timeout_ms < 0)
		return "--smtp-timeout-ms: must be 0 or more";
	if (e->direct_port < 0 || e->direct_port > 65535)
		return "--direct-port: must be 1 to 65535";
	if (e->dns_server && addr_dns_server_parse(e->dns_server, strlen(e->dns_server), ip, &port) != NF_OK)
		return "--dns-server: must be IPv4[:PORT]";
	if (e->hook_threads < 0 || e->hook_threads > 64)
		return "--webhook-threads: must be 0 to 64";
	if (e->hook_retry_base < 1)
		return "--webhook-retry-base: must be 1 or more";
	if (e->hook_give_up < 1)
		return "--webhook-give-up: must be 1 or more";
	return NULL;
}

/* the first line of the password file, without its line break */
static int
read_password_file(const char *cmd, const char *path, struct buf *pw)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return cli_fail(cmd, "cannot read --smtp-password-file %s", path);
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0 || n == sizeof(line) - 1) {
		memset(line, 0, sizeof(line));
		return cli_fail(cmd, "--smtp-password-file %s: one line of 1-1022 characters is needed", path);
	}
	buf_puts(pw, line);
	memset(line, 0, sizeof(line));
	return 0;
}

/*
 * with_password - the transport with the password (percent-encoded, RFC 3986
 * section 3.2.1) put after the user of every smtp:// or smtps:// relay. A
 * relay without a user, or with a password already in the URL, is a usage
 * error: two sources for one secret would leave the reader guessing.
 */
static int
with_password(const char *cmd, const char *url, const struct buf *pw, struct buf *out)
{
	const char *p = url, *end, *at, *auth;
	size_t i;

	while (*p) {
		end = p + strcspn(p, ", \t");
		if ((strncmp(p, "smtp://", 7) == 0 || strncmp(p, "smtps://", 8) == 0)) {
			size_t alen;

			auth = strstr(p, "://") + 3;
			alen = strcspn(auth, "/?");
			if (auth + alen > end)
				alen = (size_t)(end - auth);
			for (at = NULL, i = 0; i < alen; i++)	/* the last '@' of the authority */
				if (auth[i] == '@')
					at = auth + i;
			if (at == NULL || at == auth)
				return cli_fail(cmd, "--smtp-password-file needs a user in --transport (smtp://USER@host)");
			if (memchr(auth, ':', (size_t)(at - auth)))
				return cli_fail(cmd, "--smtp-password-file and a password in --transport: give one");
			buf_append(out, p, (size_t)(at - p));
			buf_putc(out, ':');
			for (i = 0; i < pw->len; i++) {
				unsigned char c = (unsigned char)pw->data[i];

				if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				    c == '-' || c == '.' || c == '_' || c == '~')
					buf_putc(out, (char)c);
				else
					buf_printf(out, "%%%02X", c);
			}
			buf_append(out, at, (size_t)(end - at));
		} else {
			buf_append(out, p, (size_t)(end - p));
		}
		p = end;
		while (*p == ',' || *p == ' ' || *p == '\t')
			buf_putc(out, *p++);
	}
	return 0;
}

static void
transport_buf_free(struct cli_engine *e)
{
	if (e->transport_buf) {
		memset(e->transport_buf, 0, strlen(e->transport_buf));
		free(e->transport_buf);
		e->transport_buf = NULL;
	}
}

/* cli_engine_direct - direct delivery's options, borrowing e's strings */
void
cli_engine_direct(const struct cli_engine *e, struct smtp_direct_options *out)
{
	*out = (struct smtp_direct_options){ e->dns_server, (int)e->direct_port, e->routes.items,
					     e->routes.count, e->shapes.items, e->shapes.count };
}

void
cli_engine_free(struct cli_engine *e)
{
	transport_buf_free(e);
	config_list_free(&e->routes);
	config_list_free(&e->shapes);
}

/* the engine configuration from the options; s must be built already */
int
cli_engine_config(const char *cmd, struct cli_engine *e, struct cli_sender *s,
		  struct deliver_config *out)
{
	const char *why = cli_engine_check(e);

	deliver_config_defaults(out);
	if (why)
		return cli_fail(cmd, "%s", why);
	if (e->smtp_password_file) {
		struct buf pw, url;
		int rc;

		buf_init(&pw, 0);
		buf_init(&url, 0);
		rc = read_password_file(cmd, e->smtp_password_file, &pw);
		if (rc == 0)
			rc = with_password(cmd, e->transport, &pw, &url);
		if (pw.data)
			memset(pw.data, 0, pw.len);
		buf_free(&pw);
		if (rc == 0) {
			transport_buf_free(e);
			e->transport_buf = xstrdup(url.data ? url.data : "");
			e->transport = e->transport_buf;
		}
		if (url.data)
			memset(url.data, 0, url.len);
		buf_free(&url);
		if (rc)
			return rc;
	}
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
	cli_engine_direct(e, &out->direct);
	out->hook_threads = (int)e->hook_threads;
	out->hook_retry_base = e->hook_retry_base;
	out->hook_give_up = e->hook_give_up;
	out->hook_allow_private = e->hook_allow_private;
	return 0;
}
