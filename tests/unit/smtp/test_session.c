/*
 * tests for smtp/session.c and smtp/pool.c: SMTP conversations as data
 * (tests/unit/smtp/sessions/NAME.session), after curl's tests/data files.
 *
 * A file names the client's options and messages, the exact conversation a
 * scripted relay (a thread in this process, on 127.0.0.1) must have, and
 * the outcome of every message, in the order sent:
 *
 *   option connections|retries|timeout(ms)|max_per_conn N   (1, 0, 3000, 1000)
 *   option query tls=none          (the URL's query; tls=none by default)
 *   option user USER:PASS
 *   option refuse                  (no server: a port nobody listens on)
 *   send FROM TO[,TO...] MESSAGE   (escapes: \r \n \t \\ \xNN)
 *   server
 *   ACCEPT | CLOSE | SLEEP ms | EOF (the client closes) |
 *   QUIET (the client sends nothing for 150 ms: it waits for our reply)
 *   S: reply line                  (sent with CRLF)
 *   RAW: bytes                     (sent as they are)
 *   C: command line                (must be the next line the client sends)
 *   outcome
 *   accepted | temporary CODE TEXT | permanent CODE TEXT ("  ADDR: ..." per
 *   recipient when there are several); $PORT stands for the relay's port.
 *
 * The relay reads a pipelined group whole before answering where the file
 * says so: a client that did not pipeline would stall there and time out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "../../harness.h"
#include "transcript.h"

#define MAX_SEND 16
#define WAIT_MS 5000

struct script {
	char **lines;
	size_t n;
	/* options */
	int connections, retries, max_per_conn, refuse;
	long timeout;
	char query[200], user[100];
	/* messages */
	size_t nsend;
	char *from[MAX_SEND];
	struct config_list to[MAX_SEND];
	struct buf msg[MAX_SEND];
	char *tos[MAX_SEND];
	/* server */
	size_t server_at, outcome_at;
	int lfd, port;
	char error[600];
	/* results */
	struct buf got[MAX_SEND];
	int done[MAX_SEND];
};

/* ---- the scripted relay ---- */

static int
wait_fd(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms);
}

/* read_line - one line from the client, without CRLF; -1 on EOF, -2 on timeout */
static int
read_line(int fd, struct buf *pending, struct buf *line)
{
	for (;;) {
		char *nl = pending->len ? memchr(pending->data, '\n', pending->len) : NULL;
		char chunk[4096];
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - pending->data);

			buf_reset(line);
			buf_append(line, pending->data, len && nl[-1] == '\r' ? len - 1 : len);
			buf_consume(pending, len + 1);
			return 0;
		}
		if (wait_fd(fd, WAIT_MS) <= 0)
			return -2;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			return -1;
		buf_append(pending, chunk, (size_t)n);
	}
}

static void
server_fail(struct script *s, size_t at, const char *what, const char *detail)
{
	if (s->error[0] == '\0')
		snprintf(s->error, sizeof(s->error), "server line %zu (%s): %s %s", at + 1,
			 s->lines[at], what, detail ? detail : "");
}

/* run_step - one line of the server part; 0 to stop */
static int
run_step(struct script *s, size_t i, int *fd, struct buf *pending, struct buf *line)
{
	const char *l = s->lines[i];
	struct buf want;
	int rc = 1;

	buf_init(&want, 0);
	if (strcmp(l, "ACCEPT") == 0) {
		if (*fd >= 0)
			close(*fd);
		buf_reset(pending);
		*fd = wait_fd(s->lfd, WAIT_MS) > 0 ? accept(s->lfd, NULL, NULL) : -1;
		if (*fd < 0) {
			server_fail(s, i, "no connection came", NULL);
			rc = 0;
		}
	} else if (strcmp(l, "CLOSE") == 0) {
		close(*fd);
		*fd = -1;
	} else if (strncmp(l, "SLEEP ", 6) == 0)
		usleep((useconds_t)strtol(l + 6, NULL, 10) * 1000);
	else if (strcmp(l, "EOF") == 0) {
		int r = read_line(*fd, pending, line);

		if (r != -1) {
			server_fail(s, i, "the client did not close; it sent", r == 0 ? line->data : "(nothing)");
			rc = 0;
		}
	} else if (strcmp(l, "QUIET") == 0) {
		if (pending->len || wait_fd(*fd, 150) > 0) {
			server_fail(s, i, "the client did not wait for a reply", NULL);
			rc = 0;
		}
	} else if (strncmp(l, "S: ", 3) == 0 || strncmp(l, "RAW: ", 5) == 0) {
		int raw = l[0] == 'R';

		smtp_test_unescape(&want, l + (raw ? 5 : 3), strlen(l + (raw ? 5 : 3)));
		if (!raw)
			buf_append(&want, "\r\n", 2);
		if (write(*fd, want.data, want.len) != (ssize_t)want.len) {
			server_fail(s, i, "write failed:", strerror(errno));
			rc = 0;
		}
	} else if (strncmp(l, "C: ", 3) == 0 || strcmp(l, "C:") == 0) {
		int r = read_line(*fd, pending, line);

		smtp_test_unescape(&want, l + (l[2] ? 3 : 2), strlen(l + (l[2] ? 3 : 2)));
		if (r != 0 || line->len != want.len || memcmp(line->data ? line->data : "",
							    want.data ? want.data : "", want.len)) {
			server_fail(s, i, "the client sent", r == -1 ? "EOF" : r == -2 ? "nothing" :
				    line->data);
			rc = 0;
		}
	} else {
		server_fail(s, i, "unknown server line", NULL);
		rc = 0;
	}
	buf_free(&want);
	return rc;
}

static void *
server_thread(void *arg)
{
	struct script *s = arg;
	struct buf pending, line;
	int fd = -1;
	size_t i;

	buf_init(&pending, 0);
	buf_init(&line, 0);
	for (i = s->server_at; i + 1 < s->outcome_at; i++)
		if (!run_step(s, i, &fd, &pending, &line))
			break;
	if (fd >= 0)
		close(fd);
	buf_free(&pending);
	buf_free(&line);
	return NULL;
}

static int
listen_local(struct script *s)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	s->port = ntohs(a.sin_port);
	/* "refuse": bound, never listening, so a connect is refused */
	return s->refuse ? 0 : listen(s->lfd, 16);
}

/* ---- the client side ---- */

static void
put_outcome(struct buf *b, enum smtp_outcome o, int code, const char *text)
{
	buf_puts(b, smtp_outcome_name(o));
	if (o == SMTP_ACCEPTED)
		return;
	buf_printf(b, " %d ", code);
	for (; *text; text++)	/* a multi-line text stays on one line: \n */
		if (*text == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *text);
}

static void
on_done(void *arg, const struct smtp_result *r)
{
	struct buf *b = arg;
	size_t i;

	put_outcome(b, r->outcome, r->code, r->text);
	for (i = 0; r->nrcpt > 1 && i < r->nrcpt; i++) {
		buf_printf(b, "\n  %s: ", r->rcpt[i].addr);
		put_outcome(b, r->rcpt[i].outcome, r->rcpt[i].code, r->rcpt[i].text);
	}
}

static void
parse_option(struct script *s, const char *o)
{
	if (strncmp(o, "connections ", 12) == 0)
		s->connections = (int)strtol(o + 12, NULL, 10);
	else if (strncmp(o, "retries ", 8) == 0)
		s->retries = (int)strtol(o + 8, NULL, 10);
	else if (strncmp(o, "timeout ", 8) == 0)
		s->timeout = strtol(o + 8, NULL, 10);
	else if (strncmp(o, "max_per_conn ", 13) == 0)
		s->max_per_conn = (int)strtol(o + 13, NULL, 10);
	else if (strncmp(o, "query ", 6) == 0)
		snprintf(s->query, sizeof(s->query), "%s", o + 6);
	else if (strncmp(o, "user ", 5) == 0)
		snprintf(s->user, sizeof(s->user), "%s@", o + 5);
	else if (strcmp(o, "refuse") == 0)
		s->refuse = 1;
}

/* parse_send - "FROM TO[,TO] MESSAGE" */
static void
parse_send(struct script *s, const char *l)
{
	const char *sp1 = strchr(l, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	size_t k = s->nsend++;
	char *tos, *t, *save = NULL;

	if (sp2 == NULL || k >= MAX_SEND)
		return;
	s->from[k] = xmemdup0(l, (size_t)(sp1 - l));
	if (strcmp(s->from[k], "<>") == 0)
		s->from[k][0] = '\0';
	{
		struct buf b;

		buf_init(&b, 0);
		smtp_test_unescape(&b, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		tos = s->tos[k] = buf_steal(&b, NULL);
	}
	for (t = strtok_r(tos, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		s->to[k].items = xrealloc(s->to[k].items, (s->to[k].count + 1) * sizeof(char *));
		s->to[k].items[s->to[k].count++] = t;
	}
	buf_init(&s->msg[k], 0);
	smtp_test_unescape(&s->msg[k], sp2 + 1, strlen(sp2 + 1));
}

static void
load(struct script *s, char *data)
{
	char *p, *nl;
	int section = 0;	/* 0 head, 1 server, 2 outcome */

	s->connections = 1;
	s->retries = 0;
	s->timeout = 3000;
	snprintf(s->query, sizeof(s->query), "tls=none");
	for (p = data; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p) - 1;
		else
			*nl = '\0';
		if ((p[0] == '#' || p[0] == '\0') && section != 2)
			continue;
		s->lines = xrealloc(s->lines, (s->n + 1) * sizeof(char *));
		s->lines[s->n] = p;
		if (strcmp(p, "server") == 0) {
			section = 1;
			s->server_at = s->n + 1;
		} else if (strcmp(p, "outcome") == 0) {
			section = 2;
			s->outcome_at = s->n + 1;
		} else if (section == 0 && strncmp(p, "option ", 7) == 0)
			parse_option(s, p + 7);
		else if (section == 0 && strncmp(p, "send ", 5) == 0)
			parse_send(s, p + 5);
		s->n++;
	}
}

/* want_outcomes - the outcome section, with $PORT filled in */
static void
want_outcomes(struct script *s, struct buf *want)
{
	size_t i;

	for (i = s->outcome_at; i < s->n; i++) {
		const char *l = s->lines[i], *d;

		if (l[0] == '\0' || l[0] == '#')
			continue;
		if (want->len && l[0] != ' ')
			buf_putc(want, '\x1e');	/* between messages */
		else if (want->len)
			buf_putc(want, '\n');
		while ((d = strstr(l, "$PORT")) != NULL) {
			buf_append(want, l, (size_t)(d - l));
			buf_printf(want, "%d", s->port);
			l = d + 5;
		}
		buf_puts(want, l);
	}
}

static void
run_client(struct script *s)
{
	struct smtp_transport *t;
	struct smtp_options opt;
	char url[400], err[300];
	size_t k;

	smtp_options_init(&opt);
	opt.connections = s->connections;
	opt.retries = s->retries;
	opt.max_per_conn = s->max_per_conn;
	opt.helo_name = "test.example";
	smtp_timeouts_all(&opt.timeouts, s->timeout);
	snprintf(url, sizeof(url), "smtp://%s127.0.0.1:%d?%s", s->user, s->port, s->query);
	if (smtp_transport_open(&t, url, &opt, err, sizeof(err)) != NF_OK) {
		snprintf(s->error, sizeof(s->error), "open: %s", err);
		return;
	}
	for (k = 0; k < s->nsend; k++) {
		struct smtp_envelope env = { s->from[k], s->to[k].items, s->to[k].count };

		buf_init(&s->got[k], 0);
		if (smtp_transport_submit(t, &env, s->msg[k].data ? s->msg[k].data : "", s->msg[k].len,
					  SMTP_MSG_BORROW, on_done, &s->got[k]) != NF_OK)
			snprintf(s->error, sizeof(s->error), "submit %zu refused", k);
	}
	smtp_transport_drain(t);
	smtp_transport_free(t);
}

static void
script_free(struct script *s)
{
	size_t k;

	for (k = 0; k < s->nsend && k < MAX_SEND; k++) {
		free(s->from[k]);
		free(s->tos[k]);
		free(s->to[k].items);
		buf_free(&s->msg[k]);
		buf_free(&s->got[k]);
	}
	free(s->lines);
	if (s->lfd >= 0)
		close(s->lfd);
}

/* run_session - one file: 1 when the conversation and the outcomes are right */
static int
run_session(const char *path, char *why, size_t whylen)
{
	struct script s;
	struct buf want, got;
	pthread_t th;
	char *data = test_read_file(path, NULL);
	size_t k;
	int ok;

	memset(&s, 0, sizeof(s));
	s.lfd = -1;
	if (data == NULL)
		return snprintf(why, whylen, "cannot read"), 0;
	load(&s, data);
	if (s.server_at == 0 || s.outcome_at == 0 || listen_local(&s) != 0) {
		snprintf(why, whylen, "bad file, or cannot listen");
		script_free(&s);
		free(data);
		return 0;
	}
	pthread_create(&th, NULL, server_thread, &s);
	run_client(&s);
	pthread_join(th, NULL);
	buf_init(&want, 0);
	buf_init(&got, 0);
	want_outcomes(&s, &want);
	for (k = 0; k < s.nsend; k++) {
		if (k)
			buf_putc(&got, '\x1e');
		buf_append(&got, s.got[k].data ? s.got[k].data : "", s.got[k].len);
	}
	ok = s.error[0] == '\0' && want.len == got.len &&
	     memcmp(want.data ? want.data : "", got.data ? got.data : "", got.len) == 0;
	if (s.error[0])
		snprintf(why, whylen, "%s", s.error);
	else if (!ok) {
		for (k = 0; k < got.len; k++)
			got.data[k] = got.data[k] == '\x1e' ? '|' : got.data[k];
		for (k = 0; k < want.len; k++)
			want.data[k] = want.data[k] == '\x1e' ? '|' : want.data[k];
		snprintf(why, whylen, "outcomes\n    got:  %s\n    want: %s", got.data ? got.data : "",
			 want.data ? want.data : "");
	}
	buf_free(&want);
	buf_free(&got);
	script_free(&s);
	free(data);
	return ok;
}

TEST(session_transcripts)
{
	size_t n, i;
	char **files = smtp_test_files("sessions", ".session", &n);

	CHECK(n >= 20);
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);	/* the failures here are on purpose */
	for (i = 0; i < n; i++) {
		char why[2048] = "";
		int ok = run_session(files[i], why, sizeof(why));

		test_case_result(smtp_test_name(files[i]), ok, ok ? NULL : why);
	}
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	smtp_test_files_free(files, n);
}
