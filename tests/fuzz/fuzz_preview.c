/*
 * fuzz_preview - the newsroom's preview takes a composed message apart
 * (multipart boundary, part headers, quoted-printable and base64). The
 * message is ours, but the splitter is written for any bytes: whatever the
 * input, it must stay inside it and never return more text than it read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/newsroom/newsroom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf html, text;

	buf_init(&html, 0);
	buf_init(&text, 0);
	if (newsroom_preview_split((const char *)data, size, &html, &text) == NF_OK &&
	    (html.len > size || text.len > size || html.len == 0 || text.len == 0))
		abort();
	buf_free(&html);
	buf_free(&text);
	return 0;
}
