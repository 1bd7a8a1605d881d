/*
 * core/buf.c - growable byte buffers with a ceiling
 *
 * Owns: struct buf. Every buffer filled from the network or a user is created
 * with a ceiling (as curl's dynbuf does with "toobig"): an append past it
 * returns NF_ERR_LIMIT and leaves the buffer as it was, so hostile input can
 * never grow memory without bound. Pointers into data die at the next append.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX - 1;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* buf_reserve - room for extra more bytes plus the NUL, or NF_ERR_LIMIT */
int
buf_reserve(struct buf *b, size_t extra)
{
	size_t want, cap;

	if (extra > b->max - b->len)
		return NF_ERR_LIMIT;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return NF_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return NF_OK;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return NF_OK;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/*
 * buf_vprintf - formats into the spare room first: one vsnprintf when the
 * text fits, as it mostly does (a buffer in use has room to spare); only
 * text that does not fit is measured and formatted again. Past the ceiling
 * the buffer is left as it was.
 */
int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	size_t room = b->data ? b->cap - b->len : 0;	/* with the NUL's octet */
	va_list again;
	int n, rc;

	va_copy(again, ap);
	n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, again);
	va_end(again);
	if (n >= 0 && (size_t)n < room && (size_t)n <= b->max - b->len) {
		b->len += (size_t)n;
		return NF_OK;
	}
	if (room)
		b->data[b->len] = '\0';	/* drop what did not fit */
	if (n < 0)
		return NF_ERR_INVALID;
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return NF_OK;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data ? b->data : xcalloc(1, 1);

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
