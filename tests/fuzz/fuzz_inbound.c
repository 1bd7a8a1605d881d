/*
 * fuzz_inbound - inbound_classify (GMime parsing, RFC 3464 / RFC 5965
 * reading, token finding) on arbitrary bytes. Beyond not crashing, every
 * answer must be coherent:
 *   - the kind and verdict are known values; only a DSN has a verdict;
 *   - a MALFORMED report says why; counts stay within their ceilings;
 *   - every string is NUL-terminated inside its field;
 *   - every identity found has the shape of the token it claims to be
 *     (so the store lookups downstream only ever see well-formed ids).
 * Seeds: tests/data/inbound's samples (corpus/inbound).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inbound/inbound.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
terminated(const char *field, size_t size)
{
	if (memchr(field, '\0', size) == NULL)
		abort();
}

static void
check_ident(const struct inbound_ident *id)
{
	uint64_t v = 0;
	size_t n;

	terminated(id->token, sizeof(id->token));
	n = strlen(id->token);
	if (id->kind == INBOUND_ID_LINK) {
		if (token_peek(id->token, n, &v) != NF_OK)
			abort();
	} else if (id->kind == INBOUND_ID_BOUNCE || id->kind == INBOUND_ID_MAILTO) {
		if (token_short_peek(id->token, n, &v) != NF_OK)
			abort();
	} else {
		abort();
	}
	if (v != id->id)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbound_report r;
	size_t i;

	inbound_classify((const char *)data, size, &r);
	if ((unsigned)r.kind > INBOUND_MALFORMED || (unsigned)r.verdict > INBOUND_HARD)
		abort();
	if (r.kind != INBOUND_DSN && r.verdict != INBOUND_NONE)
		abort();
	if ((r.kind == INBOUND_MALFORMED) != (r.why[0] != '\0'))
		abort();
	if (r.nrcpts > INBOUND_RCPTS_MAX || r.nidents > INBOUND_IDENTS_MAX)
		abort();
	terminated(r.message_id, sizeof(r.message_id));
	terminated(r.feedback_type, sizeof(r.feedback_type));
	terminated(r.why, sizeof(r.why));
	for (i = 0; i < r.nrcpts; i++) {
		terminated(r.rcpts[i].address, sizeof(r.rcpts[i].address));
		terminated(r.rcpts[i].action, sizeof(r.rcpts[i].action));
		terminated(r.rcpts[i].status, sizeof(r.rcpts[i].status));
	}
	for (i = 0; i < r.nidents; i++)
		check_ident(&r.idents[i]);
	return 0;
}
