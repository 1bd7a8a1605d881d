/*
 * smtp/message.c - a message on its way: envelope checks, the wire form, outcomes
 *
 * Owns: struct smtp_job from submit to the done callback: checking that the
 * envelope cannot smuggle SMTP commands, the DATA form of the message
 * (RFC 5321 4.5.2 transparency: a line starting with "." gets another;
 * 2.3.8: lines end in CRLF, so a bare LF becomes CRLF), whether it needs
 * BODY=8BITMIME (RFC 6152) or SMTPUTF8 (RFC 6531 3.4: an address or a
 * header field is UTF-8), and the per-recipient outcomes handed to done.
 * Does not own: sending it (smtp/session.c).
 *
 * The common message (CRLF lines, no leading dot: what the mail module
 * emits) is sent as it is, without a copy: one memchr per line finds out.
 * Only a message that needs changes is copied once, changed.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

/* smtp_outcome_of - only a 2xx is success; anything but a 5xx may be tried again */
enum smtp_outcome
smtp_outcome_of(int code)
{
	if (code >= 200 && code < 300)
		return SMTP_ACCEPTED;
	return smtp_failure_of(code);
}

/* smtp_failure_of - a reply that is not what was asked for: never a success */
enum smtp_outcome
smtp_failure_of(int code)
{
	return code >= 500 && code < 600 ? SMTP_PERMANENT : SMTP_TEMPORARY;
}

const char *
smtp_outcome_name(enum smtp_outcome o)
{
	switch (o) {
	case SMTP_ACCEPTED:
		return "accepted";
	case SMTP_TEMPORARY:
		return "temporary";
	case SMTP_PERMANENT:
		return "permanent";
	}
	return "?";
}

/* addr_ok - nothing in an address may end or split an SMTP command line */
static int
addr_ok(const char *a, size_t n, int *utf8)
{
	size_t i;

	if (n > SMTP_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c < ' ' || c == 0x7f || c == '<' || c == '>')
			return 0;
		if (c >= 0x80)
			*utf8 = 1;
	}
	return 1;
}

/* smtp_has_8bit - eight bytes at a time: the scan is on every message */
int
smtp_has_8bit(const char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		memcpy(&c, p + i + 16, 8);
		memcpy(&d, p + i + 24, 8);
		if ((a | b | c | d) & high)
			return 1;
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & high) != 0;
}

/* header_is_8bit - is there a byte >= 0x80 before the first empty line? */
static int
header_is_8bit(const char *p, size_t n)
{
	const char *a = memmem(p, n, "\n\r\n", 3), *b = memmem(p, n, "\n\n", 2), *end;

	end = a && (!b || a < b) ? a : b;
	return smtp_has_8bit(p, end ? (size_t)(end - p) : n);
}

/* needs_change - a bare LF or a line starting with '.' */
static int
needs_change(const char *p, size_t n)
{
	const char *end = p + n, *q, *s = p;

	if (n > 0 && p[0] == '.')
		return 1;
	for (; (q = memchr(s, '\n', (size_t)(end - s))) != NULL; s = q + 1) {
		if (q == p || q[-1] != '\r')
			return 1;
		if (q + 1 < end && q[1] == '.')
			return 1;
	}
	return 0;
}

/* stuffed_copy - the changed form, for the rare message that needs one */
static char *
stuffed_copy(const char *p, size_t n, size_t *outlen)
{
	const char *end = p + n, *s = p, *q;
	char *out = xmalloc(2 * n + 3), *o = out;

	while (s < end) {
		size_t line;

		q = memchr(s, '\n', (size_t)(end - s));
		line = q ? (size_t)(q - s) : (size_t)(end - s);
		if (s[0] == '.')
			*o++ = '.';
		if (q && line > 0 && s[line - 1] == '\r')
			line--;
		memcpy(o, s, line);
		o += line;
		if (q) {
			*o++ = '\r';
			*o++ = '\n';
		}
		s = q ? q + 1 : end;
	}
	*outlen = (size_t)(o - out);
	return out;
}

void
smtp_stuff(struct smtp_job *job)
{
	job->wire = job->msg;
	job->wire_len = job->len;
	if (needs_change(job->msg, job->len)) {
		job->stuffed = stuffed_copy(job->msg, job->len, &job->wire_len);
		job->wire = job->stuffed;
	}
	if (job->wire_len == 0 || (job->wire_len >= 2 && job->wire[job->wire_len - 2] == '\r' &&
				   job->wire[job->wire_len - 1] == '\n')) {
		job->term = ".\r\n";
		job->term_len = 3;
	} else {
		job->term = "\r\n.\r\n";
		job->term_len = 5;
	}
}

/* one allocation holds the job, its recipients and every address */
static struct smtp_job *
job_alloc(const struct smtp_envelope *env, int *rc)
{
	size_t i, flen = strlen(env->from), size, *lens;
	struct smtp_job *job;
	char *s;
	int utf8 = 0;

	*rc = NF_ERR_INVALID;
	if (env->nto == 0 || env->nto > SMTP_RCPT_MAX || !addr_ok(env->from, flen, &utf8))
		return NULL;
	lens = xmalloc(env->nto * sizeof(*lens));
	size = sizeof(*job) + env->nto * sizeof(struct job_rcpt) + flen + 1;
	for (i = 0; i < env->nto; i++) {
		lens[i] = strlen(env->to[i]);
		if (lens[i] == 0 || !addr_ok(env->to[i], lens[i], &utf8)) {
			free(lens);
			return NULL;
		}
		size += lens[i] + 1;
	}
	job = xcalloc(1, size);
	job->rcpt = (struct job_rcpt *)(job + 1);
	job->nrcpt = env->nto;
	s = (char *)(job->rcpt + env->nto);
	memcpy(s, env->from, flen + 1);
	job->from = s;
	job->from_len = flen;
	s += flen + 1;
	for (i = 0; i < env->nto; i++) {
		memcpy(s, env->to[i], lens[i] + 1);
		job->rcpt[i].addr = s;
		job->rcpt[i].len = lens[i];
		s += lens[i] + 1;
	}
	free(lens);
	job->utf8 = (unsigned)utf8;
	*rc = NF_OK;
	return job;
}

struct smtp_job *
smtp_job_new(const struct smtp_envelope *env, const char *msg, size_t len,
	     enum smtp_msg_own own, smtp_done_fn done, void *arg, int *rc)
{
	struct smtp_job *job = job_alloc(env, rc);

	if (job == NULL)
		return NULL;
	if (own == SMTP_MSG_COPY) {
		job->owned = xmalloc(len + 1);
		memcpy(job->owned, msg, len);
		msg = job->owned;
	} else if (own == SMTP_MSG_TAKE)
		job->owned = (char *)msg;
	job->msg = msg;
	job->len = len;
	job->done = done;
	job->arg = arg;
	buf_init(&job->texts, 0);
	smtp_stuff(job);
	if (smtp_has_8bit(job->wire, job->wire_len)) {
		job->eightbit = 1;
		if (header_is_8bit(job->wire, job->wire_len))
			job->utf8 = 1;
	}
	return job;
}

void
smtp_job_free(struct smtp_job *job)
{
	if (job == NULL)
		return;
	free(job->stuffed);
	free(job->owned);
	buf_free(&job->texts);
	free(job);
}

/* keep_text - copy a relay text (at most SMTP_TEXT_MAX) into job->texts */
static void
keep_text(struct smtp_job *job, const char *text, size_t n, size_t *off, size_t *len)
{
	if (n > SMTP_TEXT_MAX)
		n = SMTP_TEXT_MAX;
	*off = job->texts.len;
	*len = n;
	buf_append(&job->texts, text, n);
	buf_putc(&job->texts, '\0');
}

static void
copy_enhanced(char dst[16], const char *src)
{
	size_t n = src ? strnlen(src, 15) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void
smtp_job_rcpt_done(struct smtp_job *job, size_t i, enum smtp_outcome o, int code,
		   const char *enhanced, const char *text, size_t text_len)
{
	struct job_rcpt *r = &job->rcpt[i];

	r->state = RCPT_DONE;
	r->outcome = (unsigned char)o;
	r->code = code;
	copy_enhanced(r->enhanced, enhanced);
	keep_text(job, text, text_len, &r->text_off, &r->text_len);
}

void
smtp_job_lost(struct smtp_job *job, int code, const char *enhanced, const char *text,
	      size_t text_len)
{
	job->lost_code = code;
	copy_enhanced(job->lost_enhanced, enhanced);
	keep_text(job, text, text_len, &job->lost_off, &job->lost_len);
}

/* pick - the recipient that speaks for the message: temporary over permanent */
static size_t
pick(const struct smtp_rcpt_result *res, size_t n)
{
	size_t i, perm = n;

	for (i = 0; i < n; i++) {
		if (res[i].outcome == SMTP_TEMPORARY)
			return i;
		if (res[i].outcome == SMTP_PERMANENT && perm == n)
			perm = i;
	}
	return perm == n ? 0 : perm;
}

void
smtp_job_fail_open(struct smtp_job *job, enum smtp_outcome o, int code, const char *enhanced,
		   const char *text, size_t text_len)
{
	char copy[SMTP_TEXT_MAX];
	size_t i;

	/* the reason a retry gave up is kept in job->texts, which the copies
	   below may move: take it out first */
	if (job->texts.data && text >= job->texts.data && text < job->texts.data + job->texts.len) {
		text_len = text_len > sizeof(copy) ? sizeof(copy) : text_len;
		memcpy(copy, text, text_len);
		text = copy;
	}
	for (i = 0; i < job->nrcpt; i++)
		if (job->rcpt[i].state != RCPT_DONE)
			smtp_job_rcpt_done(job, i, o, code, enhanced, text, text_len);
}

enum smtp_outcome
smtp_job_report(struct smtp_job *job)
{
	struct smtp_rcpt_result local[8], *res = local;
	struct smtp_result r;
	size_t i, k;

	if (job->nrcpt > NF_ARRAY_LEN(local))
		res = xmalloc(job->nrcpt * sizeof(*res));
	for (i = 0; i < job->nrcpt; i++) {
		const struct job_rcpt *jr = &job->rcpt[i];

		res[i].addr = jr->addr;
		res[i].outcome = (enum smtp_outcome)jr->outcome;
		res[i].code = jr->code;
		res[i].enhanced = jr->enhanced;
		res[i].text = job->texts.data ? job->texts.data + jr->text_off : "";
	}
	k = pick(res, job->nrcpt);
	r.outcome = res[k].outcome;
	r.code = res[k].code;
	r.enhanced = res[k].enhanced;
	r.text = res[k].text;
	r.attempts = job->attempts;
	r.nrcpt = job->nrcpt;
	r.rcpt = res;
	if (job->done)
		job->done(job->arg, &r);
	if (res != local)
		free(res);
	return r.outcome;
}
