/*
 * smtp/redact.c - relay text made fit for a log line: addresses cut out
 *
 * Owns: smtp_text_redact. A relay's reply often quotes the recipient
 * ("550 5.1.1 <jo@example.org>: Recipient address rejected"); our logs must
 * not carry people's addresses (DESIGN.md: logs hold ids, never addresses),
 * so every log line with relay text passes it through here first. Anything
 * shaped like local@domain (RFC 5321 4.1.2 Mailbox: a dot-string or a
 * quoted string, then a domain or an address literal) becomes "[address]";
 * the rest of the text, the codes and the reason, stays as it was.
 */
#include <string.h>

#include "smtp.h"

#define REDACTED "[address]"

/* a byte that can sit in an unquoted local part as a relay writes it */
static int
local_byte(unsigned char c)
{
	if (c >= 0x80)
		return 1;	/* UTF-8 local parts (RFC 6531) */
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("<>()[],;:\"'@\\", c) == NULL;
}

static int
domain_byte(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* where the local part ending just before text[at] ('@') starts, not before floor */
static size_t
local_start(const char *text, size_t at, size_t floor)
{
	size_t j = at;

	if (j > floor && text[j - 1] == '"') {
		/* a quoted string: back to its opening quote, if there is one */
		for (j = at - 1; j > floor; j--)
			if (text[j - 1] == '"')
				return j - 1;
		return at;
	}
	while (j > floor && local_byte((unsigned char)text[j - 1]))
		j--;
	return j;
}

/* where the domain starting at text[from] ends (an address literal or labels) */
static size_t
domain_end(const char *text, size_t len, size_t from)
{
	size_t k = from;

	if (k < len && text[k] == '[') {
		const char *close = memchr(text + k, ']', len - k);

		return close ? (size_t)(close - text) + 1 : from;
	}
	while (k < len && domain_byte((unsigned char)text[k]))
		k++;
	while (k > from && text[k - 1] == '.')
		k--;		/* the full stop ending a sentence is not the domain's */
	return k;
}

/* append n bytes to out[*o..cap-1), truncating; out stays terminated */
static void
put(char *out, size_t cap, size_t *o, const char *p, size_t n)
{
	if (*o + n >= cap)
		n = cap - 1 - *o;
	memcpy(out + *o, p, n);
	*o += n;
	out[*o] = '\0';
}

void
smtp_text_redact(const char *text, char *out, size_t outlen)
{
	size_t len, i, copied = 0, o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (text == NULL)
		return;
	len = strlen(text);
	for (i = 0; i < len; i++) {
		size_t j, k;

		if (text[i] != '@')
			continue;
		j = local_start(text, i, copied);
		k = domain_end(text, len, i + 1);
		if (j == i && k == i + 1)
			continue;	/* a lone @ names nobody */
		put(out, outlen, &o, text + copied, j - copied);
		put(out, outlen, &o, REDACTED, strlen(REDACTED));
		copied = k;
		i = k > i ? k - 1 : i;
	}
	put(out, outlen, &o, text + copied, len - copied);
}
