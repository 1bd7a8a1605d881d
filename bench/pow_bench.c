/*
 * bench/pow_bench.c - the server's cost of a --signup-pow check
 *
 * usage: pow_bench ITERS
 * Times http_pow_verify on solved 16-bit challenges (each a new one, so
 * every check also goes into the used set) against one bare SHA-256 of the
 * same bytes in the same run, and the cost of issuing a challenge. Prints
 * nanoseconds per call and the ratio to the bare hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "web/http/http.h"

#define BITS 16

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	const struct token_key key = { (const unsigned char *)"a bench secret of 32 bytes......", 32 };
	long i, iters = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	struct http_pow *p = http_pow_new(&key, BITS, HTTP_POW_TTL, (size_t)iters);
	char (*ch)[HTTP_POW_CHALLENGE_MAX] = xcalloc((size_t)iters, HTTP_POW_CHALLENGE_MAX);
	char (*n)[HTTP_POW_COUNTER_MAX + 1] = xcalloc((size_t)iters, HTTP_POW_COUNTER_MAX + 1);
	unsigned char d[32], sink = 0;
	double t, issue, verify, hash;
	int64_t at = 1800000000;
	unsigned long c;
	char buf[128];

	t = now_ns();
	for (i = 0; i < iters; i++)
		http_pow_challenge(p, at, ch[i]);
	issue = (now_ns() - t) / iters;
	for (i = 0; i < iters; i++)	/* solving is the client's part: not timed */
		for (c = 0;; c++) {
			int len = snprintf(buf, sizeof(buf), "%s%lu", ch[i], c);

			sha256(buf, (size_t)len, d);
			if (http_pow_zero_bits(d) >= BITS) {
				snprintf(n[i], HTTP_POW_COUNTER_MAX + 1, "%lu", c);
				break;
			}
		}
	t = now_ns();
	for (i = 0; i < iters; i++)
		if (http_pow_verify(p, ch[i], strlen(ch[i]), n[i], strlen(n[i]), at + 1) != HTTP_POW_OK)
			return 1;
	verify = (now_ns() - t) / iters;
	t = now_ns();
	for (i = 0; i < iters; i++) {
		int len = snprintf(buf, sizeof(buf), "%s%s", ch[i], n[i]);

		sha256(buf, (size_t)len, d);
		sink ^= d[0];
	}
	hash = (now_ns() - t) / iters;
	printf("issue a challenge: %.0f ns\n", issue);
	printf("verify a solution: %.0f ns (%.1fx one bare SHA-256 of it, %.0f ns)%s\n", verify,
	       verify / hash, hash, sink == 255 ? " " : "");
	http_pow_free(p);
	free(ch);
	free(n);
	return 0;
}
