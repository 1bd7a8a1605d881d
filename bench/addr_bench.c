/*
 * bench/addr_bench.c - addr_check throughput against its own floor
 *
 * The reference is libidn2's idn2_lookup_u8 on the same domains: the one
 * call any IDNA-aware validator must make. The ratio says what the rest of
 * addr_check (grammar, per-label checks, A-label round trip, key folding,
 * typo distance against the provider list) costs on top.
 * usage: addr_bench ITERATIONS
 */
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr/addr.h"

static const char *const inputs[] = {
	"user@example.com", "John.Smith+news@Example.CO.UK", "anna@gmial.com",
	"b@b\xc3\xbc" "cher.example", "x@xn--bcher-kva.example", "\"a b\"@example.org",
	"reader@hotmail.com", "bad@@example.com", "a@localhost", "first.last@sub.domain.example",
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 200000, i;
	size_t n = sizeof(inputs) / sizeof(inputs[0]), k;
	struct addr_result r;
	double t0, t_addr, t_idn;
	long valid = 0;
	char *out;

	t0 = now();
	for (i = 0; i < iters; i++) {
		k = (size_t)i % n;
		addr_check(inputs[k], strlen(inputs[k]), 0, &r);
		valid += r.valid;
	}
	t_addr = now() - t0;
	t0 = now();
	for (i = 0; i < iters; i++) {
		const char *at = strrchr(inputs[(size_t)i % n], '@');

		if (idn2_lookup_u8((const uint8_t *)at + 1, (uint8_t **)&out, IDN2_NONTRANSITIONAL) == 0)
			free(out);
	}
	t_idn = now() - t0;
	printf("addr_check: %.0f/s (%.2f us each, %ld valid)\n", iters / t_addr, 1e6 * t_addr / iters, valid);
	printf("idn2_lookup_u8 alone (reference): %.0f/s (%.2f us each)\n", iters / t_idn, 1e6 * t_idn / iters);
	printf("ratio addr_check/reference time: %.2f\n", t_addr / t_idn);
	return 0;
}
