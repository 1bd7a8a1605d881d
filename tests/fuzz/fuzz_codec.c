/*
 * fuzz_codec - the decoders that read outside input: base64, base64url, hex,
 * percent/form decoding. Every successful decode must re-encode to a string
 * that decodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(int (*dec)(struct buf *, const char *, size_t),
	  int (*enc)(struct buf *, const void *, size_t), const char *in, size_t n)
{
	struct buf d, e, d2;

	buf_init(&d, 1 << 20);
	buf_init(&e, 1 << 21);
	buf_init(&d2, 1 << 20);
	if (dec(&d, in, n) == NF_OK) {
		if (enc(&e, d.data ? d.data : "", d.len) != NF_OK ||
		    dec(&d2, e.data ? e.data : "", e.len) != NF_OK ||
		    d2.len != d.len || (d.len && memcmp(d.data, d2.data, d.len)))
			abort();
	}
	buf_free(&d);
	buf_free(&e);
	buf_free(&d2);
}

static int
form_decode(struct buf *out, const char *in, size_t n)
{
	return percent_decode(out, in, n, 1);
}

static int
url_decode(struct buf *out, const char *in, size_t n)
{
	return percent_decode(out, in, n, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	roundtrip(base64_decode, base64_encode, in, size);
	roundtrip(base64url_decode, base64url_encode, in, size);
	roundtrip(hex_decode, hex_encode, in, size);
	roundtrip(url_decode, (int (*)(struct buf *, const void *, size_t))percent_encode, in, size);
	{
		struct buf d;

		buf_init(&d, 1 << 20);
		form_decode(&d, in, size);
		buf_free(&d);
	}
	return 0;
}
