/*
 * inbound/mime.c - the GMime glue: messages, header fields, parts, addresses
 *
 * Owns: every call into GMime 3 for reading inbound mail (RFC 5322
 * messages, RFC 2045/2046 MIME structure, RFC 2047 encoded-words, RFC 5322
 * address lists), so the rest of the module reads plain C strings. GMime is
 * initialised once per process (g_mime_init is not safe to race); after
 * that separate messages may be parsed on separate threads.
 *
 * The one thing done here without GMime is finding the blank lines between
 * the field groups of a report part (RFC 3464 2.1): each group is then
 * handed to GMime's header parser. GMime bounds MIME nesting itself.
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "inbound_internal.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init(void)
{
	g_mime_init();
}

GMimeMessage *
inbound_mime_parse(const char *p, size_t n)
{
	GMimeStream *st;
	GMimeParser *parser;
	GMimeMessage *m;

	pthread_once(&gmime_once, gmime_init);
	st = g_mime_stream_mem_new_with_buffer(p, n);
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(st);
	return m;
}

int
inbound_mime_bytes(GMimeObject *part, struct buf *out, size_t max)
{
	GMimeDataWrapper *content;
	GMimeStream *st;
	GByteArray *bytes;
	int rc;

	if (!GMIME_IS_PART(part) || (content = g_mime_part_get_content(GMIME_PART(part))) == NULL)
		return NF_ERR_INVALID;
	st = g_mime_stream_mem_new();
	/* decoded: a base64 or quoted-printable report reads the same */
	if (g_mime_data_wrapper_write_to_stream(content, st) < 0) {
		g_object_unref(st);
		return NF_ERR_INVALID;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	rc = buf_append(out, bytes->data, bytes->len < max ? bytes->len : max);
	g_object_unref(st);
	return rc;
}

const char *
inbound_mime_header(GMimeObject *obj, const char *name)
{
	return g_mime_object_get_header(obj, name);
}

void
inbound_mime_each_header(GMimeObject *obj, const char *name,
			 void (*fn)(void *arg, const char *value), void *arg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int i, n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *hname = g_mime_header_get_name(h), *value = g_mime_header_get_value(h);

		if (hname && value && strcasecmp(hname, name) == 0)
			fn(arg, value);
	}
}

static void
each_in_list(InternetAddressList *l, void (*fn)(void *arg, const char *addr), void *arg,
	     int depth)
{
	int i, n = l ? internet_address_list_length(l) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));

			if (addr)
				fn(arg, addr);
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth == 0) {
			each_in_list(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)),
				     fn, arg, 1);
		}
	}
}

void
inbound_mime_each_address(const char *value, void (*fn)(void *arg, const char *addr), void *arg)
{
	InternetAddressList *l;

	pthread_once(&gmime_once, gmime_init);
	if ((l = internet_address_list_parse(NULL, value)) == NULL)
		return;
	each_in_list(l, fn, arg, 0);
	g_object_unref(l);
}

/* the length of the line at p (through its LF), and whether it is blank */
static size_t
line_at(const char *p, const char *end, int *blank)
{
	const char *q = p;

	*blank = 1;
	while (q < end && *q != '\n') {
		if (*q != '\r' && *q != ' ' && *q != '\t')
			*blank = 0;
		q++;
	}
	return (size_t)(q - p) + (q < end);
}

static void
parse_group(const char *p, size_t n, void (*fn)(void *arg, GMimeObject *fields), void *arg)
{
	GMimeMessage *m = inbound_mime_parse(p, n);

	if (m) {
		fn(arg, GMIME_OBJECT(m));
		g_object_unref(m);
	}
}

void
inbound_mime_groups(const char *p, size_t n, void (*fn)(void *arg, GMimeObject *fields),
		    void *arg)
{
	const char *end = p + n, *start = NULL;
	int blank, groups = 0;

	while (p < end && groups < INBOUND_GROUPS_MAX) {
		size_t len = line_at(p, end, &blank);

		if (blank && start) {
			parse_group(start, (size_t)(p - start), fn, arg);
			groups++;
			start = NULL;
		} else if (!blank && !start) {
			start = p;
		}
		p += len;
	}
	if (start && groups < INBOUND_GROUPS_MAX)
		parse_group(start, (size_t)(end - start), fn, arg);
}

int
inbound_mime_is(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;

	return ct && g_mime_content_type_is_type(ct, type, subtype);
}
