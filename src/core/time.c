/*
 * core/time.c - clocks and the two date formats mail and APIs use
 *
 * Owns: RFC 5322 section 3.3 dates (the Date header, always in +0000, so no
 * dependence on the machine's time zone) and RFC 3339 timestamps (logs,
 * JSON, the database). Formatting is done by hand rather than strftime so the
 * C locale cannot change a day or month name.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core.h"

static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

size_t
time_rfc5322(time_t t, char out[TIME_RFC5322_MAX])
{
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(out, TIME_RFC5322_MAX, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		     day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n > 0 ? (size_t)n : 0;
}

size_t
time_rfc3339(time_t t, char out[TIME_RFC3339_MAX])
{
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(out, TIME_RFC3339_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n > 0 ? (size_t)n : 0;
}

/* read exactly n digits at s, or -1 */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* days from 1970-01-01 to y-m-d (proleptic Gregorian) */
static int64_t
days_from_civil(int y, int m, int d)
{
	static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	int64_t days = 0;
	int yy;

	for (yy = 1970; yy < y; yy++)
		days += is_leap(yy) ? 366 : 365;
	days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
	return days;
}

/*
 * time_rfc3339_parse - "YYYY-MM-DDTHH:MM:SS" with optional fraction and
 * "Z" or "+HH:MM"/"-HH:MM"; years 1970..9999.
 */
int
time_rfc3339_parse(const char *s, size_t len, time_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, off = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return NF_ERR_INVALID;
	y = digits(s, 4); mo = digits(s + 5, 2); d = digits(s + 8, 2);
	h = digits(s + 11, 2); mi = digits(s + 14, 2); se = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !is_leap(y)) || h > 23 || mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0)
		return NF_ERR_INVALID;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		off = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);

		if (oh < 0 || om < 0 || oh > 23 || om > 59)
			return NF_ERR_INVALID;
		off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
	} else {
		return NF_ERR_INVALID;
	}
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se) - off);
	return NF_OK;
}

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
