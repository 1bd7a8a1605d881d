/*
 * inbound/classify.c - what an inbound message is: DSN, ARF, mailto unsubscribe
 *
 * Owns: reading a parsed message (mime.c) into struct inbound_report.
 * Standards:
 *   RFC 6522   multipart/report: the top-level type, report-type parameter
 *   RFC 3464   2.1 field groups; 2.2 per-message fields (X-Postfix-Sender
 *              is Postfix's own, naming the envelope sender); 2.3
 *              per-recipient Final-Recipient, Action (failed, delayed,
 *              delivered, relayed, expanded), Status; 2.4 the returned
 *              message as message/rfc822 or text/rfc822-headers
 *   RFC 6533   message/global-delivery-status, read the same
 *   RFC 3463   status codes class.subject.detail: 2 success, 4 persistent
 *              transient failure, 5 permanent failure
 *   RFC 5965   3.1 message/feedback-report (Feedback-Type, Original-Mail-
 *              From, Original-Rcpt-To), 2 the third part is the message
 *   RFC 2369   List-Unsubscribe in the returned message
 * Does not own: acting on any of it (apply.c), or trusting any of it: the
 * identities found here are verified against the store there.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "inbound_internal.h"

/* header fields naming the envelope recipient when a delivery agent wrote the message */
static const char *const envelope_fields[] = {
	"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc",
};

static void
copy_field(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	while (*src == ' ' || *src == '\t')
		src++;
	while (src[n] && n + 1 < size)
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'))
		dst[--n] = '\0';
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
malformed(struct inbound_report *r, const char *why)
{
	r->kind = INBOUND_MALFORMED;
	r->verdict = INBOUND_NONE;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

/* ---- identities in the message's own fields and in a returned message ---- */

struct addr_cb {
	struct inbound_report *r;
	int envelope;
};

static void
ident_address(void *arg, const char *addr)
{
	struct addr_cb *cb = arg;

	inbound_ident_from_address(cb->r, addr, cb->envelope);
}

static void
ident_field(void *arg, const char *value)
{
	inbound_mime_each_address(value, ident_address, arg);
}

static void
ident_list_unsubscribe(void *arg, const char *value)
{
	inbound_ident_from_list_unsubscribe(arg, value);
}

static void
envelope_idents(struct inbound_report *r, GMimeObject *m)
{
	struct addr_cb cb = { r, 1 };
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(envelope_fields); i++)
		inbound_mime_each_header(m, envelope_fields[i], ident_field, &cb);
}

/* the message we sent, as returned: its Return-Path and List-Unsubscribe */
static void
returned_idents(struct inbound_report *r, GMimeObject *returned)
{
	struct addr_cb cb = { r, 0 };

	inbound_mime_each_header(returned, "Return-Path", ident_field, &cb);
	inbound_mime_each_header(returned, "List-Unsubscribe", ident_list_unsubscribe, r);
}

/* RFC 3464 2.4 / RFC 5965 2: message/rfc822, or text/rfc822-headers parsed as a header block */
static void
returned_part(struct inbound_report *r, GMimeObject *part)
{
	GMimeMessage *inner;
	struct buf b;

	if (GMIME_IS_MESSAGE_PART(part)) {
		inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (inner)
			returned_idents(r, GMIME_OBJECT(inner));
		return;
	}
	if (!inbound_mime_is(part, "text", "rfc822-headers"))
		return;
	buf_init(&b, INBOUND_PART_MAX);
	if (inbound_mime_bytes(part, &b, INBOUND_PART_MAX) == NF_OK && b.len > 0 &&
	    (inner = inbound_mime_parse(b.data, b.len)) != NULL) {
		returned_idents(r, GMIME_OBJECT(inner));
		g_object_unref(inner);
	}
	buf_free(&b);
}

/* ---- RFC 3464 delivery status ---- */

/* RFC 3463 2: the class digit of "c.s.d" (s, d: 1-3 digits), 0 when it is not one */
static int
status_class(const char *v, char out[16])
{
	size_t i = 0, j, digits;
	int dots;

	if (v[0] != '2' && v[0] != '4' && v[0] != '5')
		return 0;
	for (dots = 0, i = 1; dots < 2; dots++) {
		if (v[i++] != '.')
			return 0;
		for (j = i; isdigit((unsigned char)v[j]); j++)
			;
		digits = j - i;
		if (digits < 1 || digits > 3)
			return 0;
		i = j;
	}
	if (v[i] != '\0' && v[i] != ' ' && v[i] != '\t' && v[i] != '(')
		return 0;
	memcpy(out, v, i);
	out[i] = '\0';
	return v[0] - '0';
}

static enum inbound_verdict
rcpt_verdict(const char *action, int cls)
{
	if (strcmp(action, "failed") == 0)
		return cls == 5 ? INBOUND_HARD : cls == 4 ? INBOUND_SOFT : INBOUND_NONE;
	if (strcmp(action, "delayed") == 0)
		return INBOUND_DELAYED;
	if (strcmp(action, "delivered") == 0 || strcmp(action, "relayed") == 0 ||
	    strcmp(action, "expanded") == 0)
		return INBOUND_DELIVERED;
	return INBOUND_NONE;
}

/* "rfc822; user@example.org" -> the address after the type */
static void
typed_address(char *dst, size_t size, const char *v)
{
	const char *semi = strchr(v, ';');

	copy_field(dst, size, semi ? semi + 1 : v);
}

static void
dsn_group(void *arg, GMimeObject *g)
{
	struct inbound_report *r = arg;
	const char *final = inbound_mime_header(g, "Final-Recipient");
	const char *action = inbound_mime_header(g, "Action");
	const char *status = inbound_mime_header(g, "Status");
	const char *sender = inbound_mime_header(g, "X-Postfix-Sender");
	struct inbound_rcpt *rc;
	int cls;

	if (sender) {
		struct addr_cb cb = { r, 0 };
		char addr[256];

		typed_address(addr, sizeof(addr), sender);
		inbound_mime_each_address(addr, ident_address, &cb);
	}
	if (final == NULL && action == NULL)
		return;		/* the per-message group */
	if (r->nrcpts == INBOUND_RCPTS_MAX)
		return;
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof(*rc));
	if (final)
		typed_address(rc->address, sizeof(rc->address), final);
	copy_field(rc->action, sizeof(rc->action), action ? action : "");
	lower(rc->action);
	while (status && (*status == ' ' || *status == '\t'))
		status++;
	cls = status ? status_class(status, rc->status) : 0;
	rc->verdict = cls ? rcpt_verdict(rc->action, cls) : INBOUND_NONE;
	if (rc->verdict > r->verdict)
		r->verdict = rc->verdict;
}

static int
report_fields(GMimeObject *part, void (*fn)(void *arg, GMimeObject *g), void *arg)
{
	struct buf b;
	int rc;

	buf_init(&b, INBOUND_PART_MAX);
	rc = inbound_mime_bytes(part, &b, INBOUND_PART_MAX);
	if (rc == NF_OK)
		inbound_mime_groups(b.data ? b.data : "", b.len, fn, arg);
	buf_free(&b);
	return rc;
}

/*
 * The parts of a multipart/report: the first message/SUBTYPE (or, with
 * alt, message/ALT) is the report, read with group; any other part may be
 * the returned message. 1 when the report part was there.
 */
static int
read_report(struct inbound_report *r, GMimeMultipart *mp, const char *subtype, const char *alt,
	    void (*group)(void *arg, GMimeObject *g))
{
	int i, n = g_mime_multipart_get_count(mp), found = 0;

	for (i = 0; i < n; i++) {
		GMimeObject *part = g_mime_multipart_get_part(mp, i);

		if (!found && (inbound_mime_is(part, "message", subtype) ||
			       (alt && inbound_mime_is(part, "message", alt))))
			found = report_fields(part, group, r) == NF_OK;
		else
			returned_part(r, part);
	}
	return found;
}

static void
classify_dsn(struct inbound_report *r, GMimeMultipart *mp)
{
	r->kind = INBOUND_DSN;
	if (!read_report(r, mp, "delivery-status", "global-delivery-status", dsn_group))
		malformed(r, "a delivery report without a delivery-status part");
	else if (r->nrcpts == 0)
		malformed(r, "a delivery report without a recipient");
}

/* ---- RFC 5965 feedback reports ---- */

static void
arf_group(void *arg, GMimeObject *g)
{
	struct inbound_report *r = arg;
	const char *type = inbound_mime_header(g, "Feedback-Type");
	const char *from = inbound_mime_header(g, "Original-Mail-From");
	const char *rcpt = inbound_mime_header(g, "Original-Rcpt-To");
	struct addr_cb cb = { r, 0 };

	if (type && r->feedback_type[0] == '\0') {
		copy_field(r->feedback_type, sizeof(r->feedback_type), type);
		lower(r->feedback_type);
	}
	if (from)
		inbound_mime_each_address(from, ident_address, &cb);
	if (rcpt && r->nrcpts == 0) {
		copy_field(r->rcpts[0].address, sizeof(r->rcpts[0].address), rcpt);
		r->nrcpts = 1;
	}
}

static void
classify_arf(struct inbound_report *r, GMimeMultipart *mp)
{
	r->kind = INBOUND_ARF;
	if (!read_report(r, mp, "feedback-report", NULL, arf_group))
		malformed(r, "a feedback report without a feedback-report part");
	else if (r->feedback_type[0] == '\0')
		malformed(r, "a feedback report without Feedback-Type");
}

/* ---- the message as a whole ---- */

static int
has_envelope_mailto(const struct inbound_report *r)
{
	size_t i;

	for (i = 0; i < r->nidents; i++)
		if (r->idents[i].kind == INBOUND_ID_MAILTO && r->idents[i].envelope)
			return 1;
	return 0;
}

static void
classify_message(struct inbound_report *r, GMimeMessage *m)
{
	GMimeObject *top = g_mime_message_get_mime_part(m);
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	const char *mid = g_mime_message_get_message_id(m);
	const char *rt;

	/* GMime files Content-* fields under the top part: a message has neither */
	if ((hl == NULL || g_mime_header_list_get_count(hl) == 0) &&
	    (top == NULL || (hl = g_mime_object_get_header_list(top)) == NULL ||
	     g_mime_header_list_get_count(hl) == 0)) {
		malformed(r, "no header fields");
		return;
	}
	if (mid)
		copy_field(r->message_id, sizeof(r->message_id), mid);
	envelope_idents(r, GMIME_OBJECT(m));
	if (top && GMIME_IS_MULTIPART(top) && inbound_mime_is(top, "multipart", "report")) {
		rt = g_mime_object_get_content_type_parameter(top, "report-type");
		if (rt && strcasecmp(rt, "delivery-status") == 0)
			classify_dsn(r, GMIME_MULTIPART(top));
		else if (rt && strcasecmp(rt, "feedback-report") == 0)
			classify_arf(r, GMIME_MULTIPART(top));
		else
			r->kind = INBOUND_OTHER;	/* e.g. a read receipt (RFC 8098) */
		return;
	}
	r->kind = has_envelope_mailto(r) ? INBOUND_UNSUBSCRIBE : INBOUND_OTHER;
}

void
inbound_classify(const char *msg, size_t len, struct inbound_report *out)
{
	GMimeMessage *m;

	memset(out, 0, sizeof(*out));
	sha256(msg, len, out->digest);
	if (len == 0) {
		malformed(out, "empty");
		return;
	}
	if (len > INBOUND_MESSAGE_MAX) {
		malformed(out, "too large");
		return;
	}
	if ((m = inbound_mime_parse(msg, len)) == NULL) {
		malformed(out, "not a message");
		return;
	}
	classify_message(out, m);
	g_object_unref(m);
}

const char *
inbound_kind_name(enum inbound_kind k)
{
	static const char *const names[] = { "other", "dsn", "arf", "unsubscribe", "malformed" };

	return (size_t)k < NF_ARRAY_LEN(names) ? names[k] : "?";
}

const char *
inbound_verdict_name(enum inbound_verdict v)
{
	static const char *const names[] = { "none", "delivered", "delayed", "soft", "hard" };

	return (size_t)v < NF_ARRAY_LEN(names) ? names[v] : "?";
}
