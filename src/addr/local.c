/*
 * addr/local.c - the local part: RFC 5321 4.1.2 Local-part, RFC 6531 3.3
 *
 * Owns: the Dot-string and Quoted-string grammars, the 64-octet limit
 * (RFC 5321 4.5.3.1.1), UTF-8 local parts (only with SMTPUTF8), and the
 * uniqueness key of a local part.
 *
 *   Local-part     = Dot-string / Quoted-string
 *   Dot-string     = Atom *("." Atom)
 *   Atom           = 1*atext                      (RFC 5322 atext)
 *   Quoted-string  = DQUOTE *QcontentSMTP DQUOTE
 *   QcontentSMTP   = qtextSMTP / quoted-pairSMTP
 *   quoted-pairSMTP = %d92 %d32-126
 *   qtextSMTP      = %d32-33 / %d35-91 / %d93-126
 * RFC 6531 adds UTF8-non-ascii to atext and qtextSMTP (not to quoted pairs).
 *
 * An empty Quoted-string ("") is grammatical but names no mailbox a person
 * can sign up with, so it is local_empty. The local part stays as typed in
 * the normalised address (the receiving system alone knows its meaning);
 * only the key folds case.
 */
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/core.h"
#include "addr.h"

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* a non-ASCII byte: allowed (and remembered) only with SMTPUTF8 */
static enum addr_reason
non_ascii(unsigned flags, int *utf8)
{
	if (!(flags & ADDR_SMTPUTF8))
		return ADDR_LOCAL_UTF8;
	*utf8 = 1;
	return ADDR_OK;
}

static enum addr_reason
parse_dot_string(struct addr_span s, unsigned flags, int *utf8)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < s.len; i++) {
		c = (unsigned char)s.p[i];
		if (c == '.') {
			if (i == 0 || i + 1 == s.len || s.p[i - 1] == '.')
				return ADDR_LOCAL_DOT;
		} else if (c >= 0x80) {
			if (non_ascii(flags, utf8) != ADDR_OK)
				return ADDR_LOCAL_UTF8;
		} else if (!is_atext(c)) {
			return ADDR_LOCAL_CHAR;
		}
	}
	return ADDR_OK;
}

/* s starts with a quote; it must end with the only unescaped other one */
static enum addr_reason
parse_quoted(struct addr_span s, unsigned flags, int *utf8)
{
	size_t i;
	unsigned char c;

	for (i = 1; i < s.len; i++) {
		c = (unsigned char)s.p[i];
		if (c == '"')
			return i + 1 == s.len ? (i == 1 ? ADDR_LOCAL_EMPTY : ADDR_OK)
					      : ADDR_LOCAL_QUOTED;
		if (c == '\\') {
			if (++i == s.len || (unsigned char)s.p[i] < 32 || (unsigned char)s.p[i] > 126)
				return ADDR_LOCAL_QUOTED;
		} else if (c >= 0x80) {
			if (non_ascii(flags, utf8) != ADDR_OK)
				return ADDR_LOCAL_UTF8;
		}
		/* every other printable ASCII byte is qtextSMTP; controls never get here */
	}
	return ADDR_LOCAL_QUOTED;
}

/* addr_local_parse - check a local part; *utf8 = 1 when it needs SMTPUTF8 */
enum addr_reason
addr_local_parse(struct addr_span local, unsigned flags, int *utf8)
{
	*utf8 = 0;
	if (local.len == 0)
		return ADDR_LOCAL_EMPTY;
	if (local.len > ADDR_LOCAL_MAX)
		return ADDR_LOCAL_TOO_LONG;
	if (local.p[0] == '"')
		return parse_quoted(local, flags, utf8);
	return parse_dot_string(local, flags, utf8);
}

/*
 * The mailbox a Quoted-string names is its content: "john"@x and john@x are
 * one mailbox (RFC 5321 4.1.2 asks for the simplest form). Unescape it, and
 * keep the quotes only when the content is not a Dot-string.
 */
static size_t
canonical_local(struct addr_span local, char *out)
{
	char content[ADDR_LOCAL_MAX];
	struct addr_span c = { content, 0 };
	size_t i, n = 0;
	int utf8;

	if (local.p[0] != '"') {
		memcpy(out, local.p, local.len);
		return local.len;
	}
	for (i = 1; i + 1 < local.len; i++) {
		if (local.p[i] == '\\')
			i++;
		content[c.len++] = local.p[i];
	}
	if (c.len && parse_dot_string(c, ADDR_SMTPUTF8, &utf8) == ADDR_OK) {
		memcpy(out, content, c.len);
		return c.len;
	}
	out[n++] = '"';
	for (i = 0; i < c.len; i++) {
		if (content[i] == '"' || content[i] == '\\')
			out[n++] = '\\';
		out[n++] = content[i];
	}
	out[n++] = '"';
	return n;
}

/*
 * addr_local_key - the case-folded form of a valid local part, NUL-terminated.
 * Unicode local parts are folded with full case folding into NFC, so that
 * differently composed or cased spellings of one name share a key.
 */
int
addr_local_key(struct addr_span local, char *out, size_t size)
{
	char canon[2 * ADDR_LOCAL_MAX + 2];
	uint8_t *folded;
	size_t n = canonical_local(local, canon), flen = 0, i;

	if (!addr_has_non_ascii(canon, n)) {
		if (n + 1 > size)
			return NF_ERR_LIMIT;
		for (i = 0; i < n; i++)
			out[i] = canon[i] >= 'A' && canon[i] <= 'Z' ? (char)(canon[i] + 32) : canon[i];
		out[n] = '\0';
		return NF_OK;
	}
	folded = u8_casefold((const uint8_t *)canon, n, NULL, UNINORM_NFC, NULL, &flen);
	if (folded == NULL)
		return NF_ERR;
	if (flen + 1 > size) {
		free(folded);
		return NF_ERR_LIMIT;
	}
	memcpy(out, folded, flen);
	out[flen] = '\0';
	free(folded);
	return NF_OK;
}
