/*
 * tests for mail/sha2x.c: two SHA-256 streams at once must give exactly
 * what SHA-256 of each whole input gives (core's sha256, OpenSSL's EVP:
 * a route that shares none of sha2x.c's code), whatever the lengths, the
 * octets already in each state, and the offsets where the inputs start.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "../../harness.h"

#define MAXLEN 5000

static unsigned char data[2][MAXLEN + 64];

static void
fill(unsigned seed)
{
	size_t i;

	for (i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		((unsigned char *)data)[i] = (unsigned char)(seed >> 16);
	}
}

/*
 * one case: each state first takes pre[k] octets on its own, then the two
 * go on together over n[k] more (from offset off[k], so loads are unaligned)
 */
static int
pair_matches(const size_t pre[2], const size_t n[2], const size_t off[2])
{
	SHA256_CTX c[2];
	unsigned char got[2][32], want[32];
	int k, ok = 1;

	for (k = 0; k < 2; k++) {
		sha256_state_init(&c[k]);
		sha256_state_update(&c[k], data[k] + off[k], pre[k]);
	}
	mail_sha_update2(&c[0], data[0] + off[0] + pre[0], n[0], &c[1], data[1] + off[1] + pre[1], n[1]);
	for (k = 0; k < 2; k++) {
		sha256_state_final(&c[k], got[k]);
		sha256(data[k] + off[k], pre[k] + n[k], want);
		ok &= memcmp(got[k], want, 32) == 0;
	}
	return ok;
}

/* lengths around block edges, equal and unequal, empty on either side */
TEST(sha2x_pairs_match_one_shot_sha256)
{
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 4999 };
	static const size_t pres[] = { 0, 1, 63, 64, 100 };
	size_t i, j, k, bad = 0, total = 0;

	fill(7);
	for (i = 0; i < NF_ARRAY_LEN(lens); i++)
		for (j = 0; j < NF_ARRAY_LEN(lens); j++)
			for (k = 0; k < NF_ARRAY_LEN(pres); k++) {
				size_t n[2] = { lens[i], lens[j] };
				size_t pre[2] = { pres[k], pres[(k + j) % NF_ARRAY_LEN(pres)] };
				size_t off[2] = { k, (i + j) % 16 };

				if (lens[i] + pres[k] > MAXLEN || lens[j] + pre[1] > MAXLEN)
					continue;
				total++;
				bad += !pair_matches(pre, n, off);
			}
	CHECK(total > 600);
	CHECK_INT(bad, 0);
}

/* random lengths and starting states, as the fan-out gives them */
TEST(sha2x_random_pairs)
{
	unsigned seed = 12345;
	size_t i, bad = 0;

	for (i = 0; i < 400; i++) {
		size_t r[6];
		int j;

		for (j = 0; j < 6; j++) {
			seed = seed * 1664525u + 1013904223u;
			r[j] = seed >> 8;
		}
		fill((unsigned)i);
		{
			size_t pre[2] = { r[0] % 300, r[1] % 300 };
			size_t n[2] = { r[2] % (MAXLEN - 300), r[3] % (MAXLEN - 300) };
			size_t off[2] = { r[4] % 64, r[5] % 64 };

			bad += !pair_matches(pre, n, off);
		}
	}
	CHECK_INT(bad, 0);
}

/* the FIPS 180-2 long example, a million 'a', in both lanes at once */
TEST(sha2x_known_answer)
{
	static const unsigned char million_a[32] = {
		0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
		0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
	};
	unsigned char *a = malloc(1000000), md[2][32];
	SHA256_CTX c[2];

	memset(a, 'a', 1000000);
	sha256_state_init(&c[0]);
	sha256_state_init(&c[1]);
	sha256_state_update(&c[1], a, 3);
	mail_sha_update2(&c[0], a, 1000000, &c[1], a, 1000000 - 3);
	sha256_state_final(&c[0], md[0]);
	sha256_state_final(&c[1], md[1]);
	CHECK_MEM(md[0], 32, million_a, 32);
	CHECK_MEM(md[1], 32, million_a, 32);
	free(a);
}
