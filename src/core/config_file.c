/*
 * core/config_file.c - the configuration file's syntax: KEY = VALUE lines
 *
 * Owns: cutting the text of a configuration file into entries. Does not own
 * what a key means or which source wins (core/config.c does).
 *
 * The format, one setting a line:
 *
 *     # a comment: a line whose first non-blank byte is '#'
 *     listen = 127.0.0.1:8080      # or after a value, following a blank
 *     from = "Breaking News <alerts@example.com>"
 *     dkim-key = /etc/newsflash/rsa.pem
 *     dkim-key = /etc/newsflash/ed.pem     (a list key may repeat)
 *
 * A '#' that follows a blank inside the value, outside double quotes,
 * starts a comment that runs to the end of the line; any other '#' is part
 * of the value (URL fragments, passwords: smtp://u:p#w@h, #secret). A value
 * that must hold " #" is written in double quotes.
 *
 * Keys are long flag names: a-z, 0-9 and '-', starting with a letter or a
 * digit. Blanks around the key, the '=' and the value are dropped; a value
 * wrapped in double quotes loses them (and nothing else: no escapes), which
 * is the one way to keep blanks at its ends. Lines may end in LF or CRLF; a
 * UTF-8 byte order mark at the very start is skipped. Control bytes other
 * than tab inside a line are an error, so a value never carries a NUL or a
 * stray CR into a flag.
 *
 * The text is outside input: everything is read from pointer + length, and
 * a line longer than CONFIG_LINE_MAX is an error, not a reason to grow.
 */
#include <string.h>

#include "core.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_key_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* value_end - where the value from v ends: at a blank + '#' outside double quotes, else n */
static size_t
value_end(const char *p, size_t v, size_t n)
{
	size_t i;
	int quoted = 0;

	for (i = v; i < n; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (p[i] == '#' && !quoted && i > v && is_blank(p[i - 1]))
			return i;
	}
	return n;
}

/* one line, without its end of line, into an entry (or nothing for a blank line) */
static int
parse_line(const char *p, size_t n, struct config_entry *e, const char **why)
{
	size_t i = 0, k, v, end;

	for (k = 0; k < n; k++)
		if (((unsigned char)p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f) {
			*why = "control character in the line";
			return NF_ERR_INVALID;
		}
	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return NF_ERR_NOTFOUND;
	for (k = i; k < n && is_key_byte(p[k]); k++)
		;
	if (k == i || p[i] == '-') {
		*why = "expected KEY = VALUE (a key is a-z, 0-9 and -)";
		return NF_ERR_INVALID;
	}
	for (v = k; v < n && is_blank(p[v]); v++)
		;
	if (v == n || p[v] != '=') {
		*why = "expected '=' after the key";
		return NF_ERR_INVALID;
	}
	for (v++; v < n && is_blank(p[v]); v++)
		;
	end = value_end(p, v, n);
	for (; end > v && is_blank(p[end - 1]); end--)
		;
	if (end - v >= 2 && p[v] == '"' && p[end - 1] == '"') {
		v++;
		end--;
	}
	e->key = p + i;
	e->key_len = k - i;
	e->value = p + v;
	e->value_len = end - v;
	return NF_OK;
}

/*
 * config_file_next - the next entry of text[0..len) from *pos, which moves
 * past every line it looks at. *line counts lines (start it at 0); e->line
 * is the entry's. NF_OK with *e, NF_ERR_NOTFOUND at the end, NF_ERR_INVALID
 * with *why for a malformed line, NF_ERR_LIMIT for a line past
 * CONFIG_LINE_MAX (e->line says which, for both): the caller may go on.
 */
int
config_file_next(const char *text, size_t len, size_t *pos, long *line,
		 struct config_entry *e, const char **why)
{
	static const char bom[] = "\xef\xbb\xbf";
	const char *p, *nl;
	size_t n;
	int rc;

	if (*pos == 0 && len >= 3 && memcmp(text, bom, 3) == 0)
		*pos = 3;
	while (*pos < len) {
		p = text + *pos;
		nl = memchr(p, '\n', len - *pos);
		n = nl ? (size_t)(nl - p) : len - *pos;
		*pos += nl ? n + 1 : n;
		e->line = ++*line;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX) {
			*why = "line too long";
			return NF_ERR_LIMIT;
		}
		rc = parse_line(p, n, e, why);
		if (rc != NF_ERR_NOTFOUND)
			return rc;
	}
	return NF_ERR_NOTFOUND;
}
