/*
 * core/log.c - structured logging: one line per event on stderr
 *
 * Owns: the log line format. Text lines read
 *   ts=2026-11-29T03:10:06Z level=info event=alert.done alert=7 sent=1000
 * and JSON lines carry the same fields. Values are quoted and escaped here,
 * so text from outside (an address, a relay's reply) can never forge a field
 * or start a new line. Nothing here knows what is secret: callers never pass
 * keys, passwords or tokens.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

static enum log_level log_min = LOG_INFO;
static enum log_format log_fmt = LOG_FORMAT_TEXT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_setup(enum log_level min, enum log_format format)
{
	log_min = min;
	log_fmt = format;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(level_names); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return NF_OK;
		}
	}
	return NF_ERR_INVALID;
}

static int
needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || *v == '"' || *v == '=' ||
		    *v == '\\' || (unsigned char)*v >= 0x7f)
			return 1;
	return 0;
}

/* append v escaped: control bytes become \xNN, quote and backslash escaped */
static void
put_escaped(struct buf *line, const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			buf_printf(line, "\\%c", c);
		else if (c < ' ' || c == 0x7f)
			buf_printf(line, "\\u%04x", c);
		else
			buf_putc(line, (char)c);
	}
}

static void
put_field(struct buf *line, const char *key, const char *value)
{
	if (log_fmt == LOG_FORMAT_JSON) {
		buf_printf(line, ",\"%s\":\"", key);
		put_escaped(line, value);
		buf_putc(line, '"');
		return;
	}
	buf_printf(line, " %s=", key);
	if (needs_quotes(value)) {
		buf_putc(line, '"');
		put_escaped(line, value);
		buf_putc(line, '"');
	} else {
		buf_puts(line, value);
	}
}

static void
line_start(struct buf *line, enum log_level level, const char *event)
{
	char ts[TIME_RFC3339_MAX];

	time_rfc3339(time(NULL), ts);
	if (log_fmt == LOG_FORMAT_JSON)
		buf_printf(line, "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
			   level_names[level]);
	else
		buf_printf(line, "ts=%s level=%s", ts, level_names[level]);
	put_field(line, "event", event);
}

static void
line_emit(struct buf *line)
{
	if (log_fmt == LOG_FORMAT_JSON)
		buf_putc(line, '}');
	buf_putc(line, '\n');
	/* one write per line so lines from threads do not interleave */
	fwrite(line->data, 1, line->len, stderr);
	fflush(stderr);
	buf_free(line);
}

void
log_event(enum log_level level, const char *event, ...)
{
	struct buf line;
	const char *key, *value;
	va_list ap;

	if (level < log_min)
		return;
	buf_init(&line, 64 * 1024);
	line_start(&line, level, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		put_field(&line, key, value ? value : "");
	}
	va_end(ap);
	line_emit(&line);
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct buf line, msg;

	buf_init(&msg, 16 * 1024);
	if (buf_vprintf(&msg, fmt, ap) != NF_OK)
		buf_puts(&msg, "(message too long)");
	buf_init(&line, 64 * 1024);
	line_start(&line, level, "log");
	put_field(&line, "msg", msg.data);
	line_emit(&line);
	buf_free(&msg);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	abort();
}
