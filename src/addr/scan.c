/*
 * addr/scan.c - whole-input checks before the grammar: bytes, trimming, shape
 *
 * Owns: rejecting control characters and malformed UTF-8 anywhere, trimming
 * white space at both ends, finding the @ that separates the local part from
 * the domain, and naming the usual mistakes of people pasting into a form
 * (a display name, <angle brackets>, (comments), a list, inner white space),
 * which RFC 5321 4.1.2 Mailbox does not allow: the field takes a bare address.
 *
 * Does not own: the Local-part and Domain grammars (local.c, domain.c).
 *
 * "White space" here is Unicode general category Zs (U+0020, U+00A0,
 * U+3000 ...): what people paste. TAB, CR and LF are control characters,
 * never trimmed: a trailing CRLF is an injection attempt, not a typo.
 */
#include <stdint.h>
#include <unictype.h>
#include <unistr.h>

#include "addr.h"

/* C0, DEL, C1, and the two Unicode line breaks that are not control codes */
static int
is_control(ucs4_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* addr_has_non_ascii - whether any byte is outside ASCII */
int
addr_has_non_ascii(const char *s, size_t n)
{
	while (n--)
		if ((unsigned char)*s++ >= 0x80)
			return 1;
	return 0;
}

/* addr_scan_bytes - control characters first (injection), then UTF-8 form */
enum addr_reason
addr_scan_bytes(const char *in, size_t len)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t i;
	int n;
	ucs4_t c;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return ADDR_CONTROL_CHAR;
	for (i = 0; i < len; i += (size_t)n) {
		n = u8_mbtoucr(&c, s + i, len - i);
		if (n < 0)
			return ADDR_BAD_UTF8;
		if (is_control(c))
			return ADDR_CONTROL_CHAR;
	}
	return ADDR_OK;
}

static int
is_space(ucs4_t c)
{
	return uc_is_general_category(c, UC_SPACE_SEPARATOR);
}

/* addr_scan_trim - drop Zs white space at both ends; in is well-formed UTF-8 */
struct addr_span
addr_scan_trim(const char *in, size_t len)
{
	const uint8_t *s = (const uint8_t *)in, *end = s + len, *prev;
	struct addr_span out;
	ucs4_t c;
	int n;

	while (s < end && (n = u8_mbtoucr(&c, s, (size_t)(end - s))) > 0 && is_space(c))
		s += n;
	while (end > s && (prev = u8_prev(&c, end, s)) != NULL && is_space(c))
		end = prev;
	out.p = (const char *)s;
	out.len = (size_t)(end - s);
	return out;
}

/*
 * A leading Quoted-string may hold anything printable, @ and < included, so
 * the shape checks start after it. Returns the offset just past its closing
 * quote, 0 when there is no leading quote, or -1 when it never closes.
 */
static long
skip_leading_quoted(struct addr_span in)
{
	size_t i;

	if (in.len == 0 || in.p[0] != '"')
		return 0;
	for (i = 1; i < in.len; i++) {
		if (in.p[i] == '\\')
			i++;
		else if (in.p[i] == '"')
			return (long)i + 1;
	}
	return -1;
}

/* the first byte offset at or after from holding c, or len */
static size_t
find_byte(struct addr_span in, size_t from, char c)
{
	while (from < in.len && in.p[from] != c)
		from++;
	return from;
}

/*
 * Name the mistake of a pasted address, in order of how clearly the shape
 * tells it: <...> is a display name or brackets, (...) a comment, , or ; a
 * list, inner white space folding white space (or a list, with a second @).
 */
static enum addr_reason
shape(struct addr_span in, size_t from, size_t at)
{
	const uint8_t *s = (const uint8_t *)in.p;
	size_t i, lt = in.len;
	int angle = 0, paren = 0, list = 0, space = 0, n;
	ucs4_t c;

	for (i = from; i < in.len; i += (size_t)n) {
		n = u8_mbtoucr(&c, s + i, in.len - i);
		if (n < 1)
			return ADDR_BAD_UTF8;	/* addr_scan_bytes ran first: a bug */
		if (c == '<' && lt == in.len)
			lt = i;
		angle |= c == '<' || c == '>';
		paren |= c == '(' || c == ')';
		list |= c == ',' || c == ';';
		space |= is_space(c);
	}
	if (angle)
		return lt > 0 && lt < in.len ? ADDR_DISPLAY_NAME : ADDR_ANGLE_BRACKET;
	if (paren)
		return ADDR_COMMENT;
	if (list)
		return ADDR_LIST;
	if (space)
		return find_byte(in, at + 1, '@') < in.len ? ADDR_LIST : ADDR_WHITE_SPACE;
	return ADDR_OK;
}

/* addr_scan_split - find the @ and check the shape of the trimmed input */
enum addr_reason
addr_scan_split(struct addr_span in, struct addr_span *local, struct addr_span *domain)
{
	long q = skip_leading_quoted(in);
	size_t at;
	enum addr_reason r;

	if (q < 0)
		return ADDR_LOCAL_QUOTED;
	at = find_byte(in, (size_t)q, '@');
	if (at == in.len)
		return ADDR_NO_AT;
	if ((r = shape(in, (size_t)q, at)) != ADDR_OK)
		return r;
	if (find_byte(in, at + 1, '@') < in.len)
		return ADDR_MULTIPLE_AT;
	local->p = in.p;
	local->len = at;
	domain->p = in.p + at + 1;
	domain->len = in.len - at - 1;
	return ADDR_OK;
}
