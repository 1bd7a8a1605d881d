/*
 * fuzz_smtp_reply - smtp/reply.c on whatever a relay might send
 *
 * Takes replies off the front of the input as a connection does, and checks
 * what every caller relies on: a reply parsed is complete (used > 0 and
 * within the input), its code is 200-559, its text fits SMTP_REPLY_MAX and
 * holds no control byte but tab and the line separator, its enhanced code
 * has the reply's class, and no input needs more than SMTP_REPLY_MAX bytes
 * to be judged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct smtp_reply *r, size_t used, size_t avail)
{
	size_t i;

	if (used == 0 || used > avail || used > SMTP_REPLY_MAX)
		abort();
	if (r->code < 200 || r->code > 559 || r->nlines < 1 || r->len > SMTP_REPLY_MAX)
		abort();
	if (strlen(r->text) != r->len)
		abort();
	for (i = 0; i < r->len; i++) {
		unsigned char c = (unsigned char)r->text[i];

		if ((c < ' ' && c != '\t' && c != '\n') || c == 0x7f)
			abort();
	}
	if (r->enhanced[0] && r->enhanced[0] != (char)('0' + r->code / 100))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct smtp_reply *r = malloc(sizeof(*r));
	size_t off = 0, used;
	int rc;

	if (r == NULL)
		return 0;
	while (off < size) {
		rc = smtp_reply_parse(in + off, size - off, r, &used);
		if (rc != NF_OK) {
			/* "need more" is only allowed while the ceiling is not reached */
			if (rc == SMTP_NEED_MORE && size - off > SMTP_REPLY_MAX)
				abort();
			break;
		}
		check_reply(r, used, size - off);
		off += used;
	}
	free(r);
	return 0;
}
