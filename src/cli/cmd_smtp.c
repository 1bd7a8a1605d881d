/*
 * cli/cmd_smtp.c - newsflash smtp send: one message (or --count of them) through a transport
 *
 * Owns: the operator's and the tests' way to drive src/smtp: read a message
 * file (or stdin), submit it to the transport named by --transport with
 * back-pressure, and print each message's outcome in the order sent:
 *   accepted | temporary CODE TEXT | permanent CODE TEXT
 * (CODE 0: no reply from the relay; TEXT is the relay's, or what happened),
 * followed, when there are several recipients, by one indented line each.
 * Exit 0 when every message was accepted, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/core.h"
#include "../smtp/smtp.h"
#include "cli.h"

#define MESSAGE_MAX (64L << 20)

struct sent {
	enum smtp_outcome outcome;
	char *lines;		/* what to print, NULL for a plain "accepted" */
};

/* put_outcome - "temporary 451 4.7.1 text", the text kept on one line */
static void
put_outcome(struct buf *b, enum smtp_outcome o, int code, const char *text)
{
	const char *p;

	buf_puts(b, smtp_outcome_name(o));
	if (o == SMTP_ACCEPTED)
		return;
	buf_printf(b, " %d ", code);
	for (p = text; *p; p++)
		buf_putc(b, *p == '\n' ? ' ' : *p);
}

static void
on_done(void *arg, const struct smtp_result *r)
{
	struct sent *s = arg;
	struct buf b;
	size_t i;

	s->outcome = r->outcome;
	if (r->outcome == SMTP_ACCEPTED && r->nrcpt == 1)
		return;
	buf_init(&b, 0);
	put_outcome(&b, r->outcome, r->code, r->text);
	for (i = 0; r->nrcpt > 1 && i < r->nrcpt; i++) {
		buf_printf(&b, "\n  %s: ", r->rcpt[i].addr);
		put_outcome(&b, r->rcpt[i].outcome, r->rcpt[i].code, r->rcpt[i].text);
	}
	s->lines = buf_steal(&b, NULL);
}

static int
read_message(const char *path, struct buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = NF_OK;

	if (f == NULL)
		return NF_ERR_IO;
	while (rc == NF_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(out, chunk, n);
	if (ferror(f))
		rc = NF_ERR_IO;
	if (f != stdin)
		fclose(f);
	return rc;
}

struct send_opts {
	const char *transport, *from, *file;
	struct config_list to, routes, shapes;
	long count, connections, max_per_conn, queue, retries, timeout;
	const char *ca, *helo, *dns_server;
	long direct_port;
	int threaded, summary;
};

static int
report(struct sent *sent, long count, int summary)
{
	long i, acc = 0, temp = 0, perm = 0;

	for (i = 0; i < count; i++) {
		acc += sent[i].outcome == SMTP_ACCEPTED;
		temp += sent[i].outcome == SMTP_TEMPORARY;
		perm += sent[i].outcome == SMTP_PERMANENT;
		if (!summary)
			puts(sent[i].lines ? sent[i].lines : "accepted");
		free(sent[i].lines);
	}
	if (summary)
		printf("%ld accepted, %ld temporary, %ld permanent\n", acc, temp, perm);
	return acc == count ? 0 : EXIT_PROBLEM;
}

/* send_all - submit count copies, waiting whenever the transport is full */
static int
send_all(struct smtp_transport *t, const struct smtp_envelope *env, const struct buf *msg,
	 struct sent *sent, long count)
{
	long i = 0;

	while (i < count) {
		int rc = smtp_transport_submit(t, env, msg->data ? msg->data : "", msg->len,
					       SMTP_MSG_BORROW, on_done, &sent[i]);

		if (rc == NF_ERR_TEMP) {
			smtp_transport_wait(t, -1);
			continue;
		}
		if (rc != NF_OK)
			return rc;
		i++;
	}
	return smtp_transport_drain(t);
}

static int
run_send(struct send_opts *o)
{
	struct smtp_options opt;
	struct smtp_transport *t = NULL;
	struct smtp_envelope env;
	struct sent *sent = NULL;
	struct buf msg;
	char err[512];
	int rc, status = EXIT_USAGE;

	buf_init(&msg, MESSAGE_MAX);
	if (read_message(o->file, &msg) != NF_OK) {
		cli_fail("smtp send", "cannot read %s: %s", o->file,
			 errno ? strerror(errno) : "too large");
		goto out;
	}
	smtp_options_init(&opt);
	opt.connections = (int)o->connections;
	opt.max_per_conn = (int)o->max_per_conn;
	opt.queue_max = (int)o->queue;
	opt.retries = (int)o->retries;
	opt.ca_file = o->ca;
	opt.helo_name = o->helo;
	opt.threaded = o->threaded;
	opt.direct = (struct smtp_direct_options){ o->dns_server, (int)o->direct_port, o->routes.items,
						   o->routes.count, o->shapes.items, o->shapes.count };
	if (o->timeout > 0)
		smtp_timeouts_all(&opt.timeouts, o->timeout * 1000);
	if ((rc = smtp_transport_open(&t, o->transport, &opt, err, sizeof(err))) != NF_OK) {
		cli_fail("smtp send", "%s", err);
		status = rc == NF_ERR_INVALID ? EXIT_USAGE : EXIT_PROBLEM;
		goto out;
	}
	env.from = o->from;
	env.to = o->to.items;
	env.nto = o->to.count;
	sent = xcalloc((size_t)o->count, sizeof(*sent));
	rc = send_all(t, &env, &msg, sent, o->count);
	smtp_transport_free(t);
	if (rc == NF_ERR_INVALID) {
		cli_fail("smtp send", "an address holds a character SMTP cannot carry, or is too long");
		goto out;
	}
	status = report(sent, o->count, o->summary);
out:
	free(sent);
	buf_free(&msg);
	return status;
}

static int
send_usage(const struct config_opt *opts, FILE *to)
{
	fprintf(to, "usage: newsflash smtp send --transport URL --from ADDR --to ADDR [--to ADDR...] "
		    "[FILE|-]\n\nSends the message in FILE (or stdin) and prints each message's "
		    "outcome:\naccepted, temporary CODE TEXT or permanent CODE TEXT.\n"
		    "URL: smtp://[user:pass@]host[:port][?tls=none|starttls|tls&ca=FILE&verify=0"
		    "&weight=N],...\n     smtps://..., direct (each domain's MX hosts) or maildir:PATH\n\n");
	config_usage(opts, to);
	return to == stdout ? 0 : EXIT_USAGE;
}

static int
cmd_smtp_send(int argc, char **argv)
{
	struct send_opts o = {
		.transport = SMTP_DEFAULT_TRANSPORT, .from = NULL, .file = "-", .count = 1,
	};
	struct smtp_options def;
	int help = 0, npos, status;
	struct cli_log log = { CLI_DEFAULT_LOG_LEVEL, CLI_DEFAULT_LOG_FORMAT };
	char **pos;
	const struct config_opt opts[] = {
		{ "transport", CONFIG_STRING, &o.transport, "URL", "where to send (" SMTP_DEFAULT_TRANSPORT ")" },
		{ "from", CONFIG_STRING, &o.from, "ADDR", "envelope sender ('' for <>)" },
		{ "to", CONFIG_LIST, &o.to, "ADDR", "envelope recipient; repeat for more" },
		{ "count", CONFIG_INT, &o.count, "N", "send the message N times (load tests)" },
		{ "connections", CONFIG_INT, &o.connections, "N", "connections to the relays (8)" },
		{ "max-per-conn", CONFIG_INT, &o.max_per_conn, "N", "messages per connection, 0 = no limit (1000)" },
		{ "queue", CONFIG_INT, &o.queue, "N", "messages in flight before waiting (10000)" },
		{ "retries", CONFIG_INT, &o.retries, "N", "new connections to try a message on (2)" },
		{ "timeout", CONFIG_INT, &o.timeout, "SECONDS", "every SMTP timeout (RFC 5321 defaults)" },
		{ "ca", CONFIG_STRING, &o.ca, "FILE", "CA certificates for the relay's certificate" },
		{ "helo", CONFIG_STRING, &o.helo, "NAME", "name to give in EHLO (this host's)" },
		{ "threaded", CONFIG_BOOL, &o.threaded, NULL, "run the SMTP pool on its own thread" },
		{ "dns-server", CONFIG_STRING, &o.dns_server, "IP:PORT", "direct: the resolver to ask for MX records (the system's)" },
		{ "direct-port", CONFIG_INT, &o.direct_port, "PORT", "direct: the MX hosts' port (25)" },
		{ "route", CONFIG_LIST, &o.routes, "DOMAINS=URL", "direct: these domains go direct or to this relay (repeatable)" },
		{ "shape", CONFIG_LIST, &o.shapes, "MATCH LIMITS", "direct: limits per destination, as serve's --shape (repeatable)" },
		{ "summary", CONFIG_BOOL, &o.summary, NULL, "print only the counts of each outcome" },
		CLI_LOG_OPTIONS(&log),
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};

	smtp_options_init(&def);	/* the pool's own defaults are the one source */
	o.connections = def.connections;
	o.max_per_conn = def.max_per_conn;
	o.queue = def.queue_max;
	o.retries = def.retries;
	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		config_list_free(&o.to);
		config_list_free(&o.routes);
		config_list_free(&o.shapes);
		return send_usage(opts, stderr);
	}
	if (help)
		status = send_usage(opts, stdout);
	else if (o.from == NULL || o.to.count == 0)
		status = cli_fail("smtp send", "needs --from and at least one --to");
	else if (npos > 1)
		status = cli_fail("smtp send", "one message file at most");
	else if (o.count < 1 || o.connections < 1 || o.queue < 1 || o.retries < 0 || o.max_per_conn < 0)
		status = cli_fail("smtp send", "--count, --connections and --queue must be positive");
	else if ((status = cli_log_setup("smtp send", &log)) == 0) {
		if (npos == 1)
			o.file = pos[0];
		status = run_send(&o);
	}
	free(pos);
	config_list_free(&o.to);
	config_list_free(&o.routes);
	config_list_free(&o.shapes);
	return status;
}

int
cmd_smtp(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return cmd_smtp_send(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		printf("usage: newsflash smtp send [OPTIONS] [FILE|-]\n"
		       "Run 'newsflash smtp send --help' for the options.\n");
		return 0;
	}
	return cli_fail("smtp", "expected a subcommand: send");
}
