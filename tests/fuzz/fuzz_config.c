/*
 * fuzz_config - the configuration file parser (core/config_file.c).
 *
 * Every input is read to the end: no crash, progress on every call, line
 * numbers that only grow, keys of a-z 0-9 '-' only, values without control
 * bytes, everything inside the input. Every entry read is written back as
 * KEY = "VALUE" and read again: it must come back byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entry(const char *text, size_t len, const struct config_entry *e)
{
	size_t i;

	if (e->key_len == 0 || e->key < text || e->key + e->key_len > text + len ||
	    e->value < text || e->value + e->value_len > text + len)
		abort();
	for (i = 0; i < e->key_len; i++)
		if (!((e->key[i] >= 'a' && e->key[i] <= 'z') || (e->key[i] >= '0' && e->key[i] <= '9') ||
		      e->key[i] == '-'))
			abort();
	for (i = 0; i < e->value_len; i++)
		if (((unsigned char)e->value[i] < 0x20 && e->value[i] != '\t') || e->value[i] == 0x7f)
			abort();
}

static void
roundtrip(const struct config_entry *e)
{
	struct config_entry again;
	struct buf out;
	const char *why;
	size_t pos = 0;
	long line = 0;

	buf_init(&out, 0);
	buf_printf(&out, "%.*s = \"%.*s\"\n", (int)e->key_len, e->key, (int)e->value_len, e->value);
	if (out.len - 1 <= CONFIG_LINE_MAX) {
		if (config_file_next(out.data, out.len, &pos, &line, &again, &why) != NF_OK ||
		    again.key_len != e->key_len || memcmp(again.key, e->key, e->key_len) ||
		    again.value_len != e->value_len || memcmp(again.value, e->value, e->value_len) ||
		    pos != out.len)
			abort();
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct config_entry e;
	const char *why;
	size_t pos = 0, before;
	long line = 0, last = 0;
	int rc;

	if (size > CONFIG_FILE_MAX)
		return 0;
	for (;;) {
		before = pos;
		rc = config_file_next(text, size, &pos, &line, &e, &why);
		if (rc == NF_ERR_NOTFOUND)
			break;
		if (pos <= before || pos > size || e.line <= last)
			abort();
		last = e.line;
		if (rc == NF_OK) {
			check_entry(text, size, &e);
			roundtrip(&e);
		} else if (rc != NF_ERR_INVALID && rc != NF_ERR_LIMIT) {
			abort();
		} else if (why == NULL || *why == '\0') {
			abort();
		}
	}
	if (pos != size)
		abort();
	return 0;
}
