/*
 * tests for core/sha256_pairs.c and core/sha256_lanes.c: streams hashed
 * together (in pairs on SHA-NI, in sixteen AVX-512 lanes, or one by one) must give
 * exactly what SHA-256 of each whole input gives (core's sha256, OpenSSL's
 * EVP: a route that shares none of their code), whatever the lengths, the
 * octets already in each state and the offsets where the inputs start, on
 * every road the CPU has. A road the CPU lacks is reported skipped, not
 * passed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "../../harness.h"

#define MAXLEN 6000

static unsigned char data[SHA256_MANY][MAXLEN + 64];

static unsigned
next(unsigned *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return *seed >> 8;
}

static void
fill(unsigned seed)
{
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		((unsigned char *)data)[i] = (unsigned char)next(&seed);
}

/* n streams: stream k first takes pre[k] octets alone, then len[k] together */
static int
many_match(size_t n, const size_t pre[], const size_t len[], const size_t off[])
{
	SHA256_CTX c[SHA256_MANY], *cp[SHA256_MANY] = { NULL };
	const void *p[SHA256_MANY] = { NULL };
	unsigned char got[32], want[32];
	size_t k;
	int ok = 1;

	for (k = 0; k < n; k++) {
		sha256_state_init(&c[k]);
		sha256_state_update(&c[k], data[k] + off[k], pre[k]);
		cp[k] = &c[k];
		p[k] = data[k] + off[k] + pre[k];
	}
	sha256_update_many(cp, p, len, n);
	for (k = 0; k < n; k++) {
		sha256_state_final(&c[k], got);
		sha256(data[k] + off[k], pre[k] + len[k], want);
		ok &= memcmp(got, want, 32) == 0;
	}
	return ok;
}

/*
 * random cases on the road no wider than ways; alike is 1 for lengths
 * within a block of each other (an alert's bodies), 0 for any lengths
 */
static size_t
random_cases(int ways, int alike, unsigned seed, size_t rounds)
{
	size_t pre[SHA256_MANY], len[SHA256_MANY], off[SHA256_MANY];
	size_t i, k, n, base, bad = 0;

	sha256_ways_limit(ways);
	for (i = 0; i < rounds; i++) {
		fill(seed + (unsigned)i);
		n = 1 + next(&seed) % SHA256_MANY;
		base = next(&seed) % (MAXLEN - 400);
		for (k = 0; k < n; k++) {
			pre[k] = alike ? 37 : next(&seed) % 200;
			len[k] = alike ? base + next(&seed) % 64 : next(&seed) % (MAXLEN - 200);
			off[k] = next(&seed) % 64;
		}
		bad += !many_match(n, pre, len, off);
	}
	sha256_ways_limit(SHA256_MANY);
	return bad;
}

TEST(sha_many_sixteen_lanes_match_one_shot_sha256)
{
	if (sha256_ways() != 16)
		SKIP("this CPU has no AVX-512: the sixteen-lane road is not run here");
	CHECK_INT(random_cases(16, 1, 11, 300), 0);
	CHECK_INT(random_cases(16, 0, 12, 300), 0);
}

TEST(sha_many_pairs_and_singles_match_one_shot_sha256)
{
	CHECK_INT(random_cases(2, 1, 21, 200), 0);
	CHECK_INT(random_cases(2, 0, 22, 200), 0);
	CHECK_INT(random_cases(1, 0, 23, 200), 0);
}

/* pairs: lengths around block edges, equal and unequal, empty on either side */
TEST(sha_pairs_match_one_shot_sha256)
{
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 4999 };
	static const size_t pres[] = { 0, 1, 63, 64, 100 };
	size_t i, j, k, bad = 0, total = 0;

	fill(7);
	sha256_ways_limit(2);
	for (i = 0; i < NF_ARRAY_LEN(lens); i++)
		for (j = 0; j < NF_ARRAY_LEN(lens); j++)
			for (k = 0; k < NF_ARRAY_LEN(pres); k++) {
				size_t len[2] = { lens[i], lens[j] };
				size_t pre[2] = { pres[k], pres[(k + j) % NF_ARRAY_LEN(pres)] };
				size_t off[2] = { k, (i + j) % 16 };

				total++;
				bad += !many_match(2, pre, len, off);
			}
	sha256_ways_limit(SHA256_MANY);
	CHECK_INT(total, NF_ARRAY_LEN(lens) * NF_ARRAY_LEN(lens) * NF_ARRAY_LEN(pres));
	CHECK_INT(bad, 0);
}

/* every stream count, lengths at block edges, one stream empty or short */
TEST(sha_many_edges)
{
	static const size_t lens[] = { 0, 1, 63, 64, 65, 128, 4095, 4096, 4097 };
	size_t pre[SHA256_MANY], len[SHA256_MANY], off[SHA256_MANY];
	size_t n, k, e, bad = 0, total = 0;

	fill(5);
	for (n = 1; n <= SHA256_MANY; n++)
		for (e = 0; e < NF_ARRAY_LEN(lens); e++) {
			for (k = 0; k < n; k++) {
				pre[k] = (k * 7) % 3 == 0 ? 0 : 64 - k;
				len[k] = k == n / 2 ? lens[e] : 4096 + k * 3;
				off[k] = k;
			}
			total++;
			bad += !many_match(n, pre, len, off);
		}
	CHECK_INT(total, SHA256_MANY * NF_ARRAY_LEN(lens));
	CHECK_INT(bad, 0);
}

/* the FIPS 180-2 long example, a million 'a', in sixteen streams on each road */
TEST(sha_many_known_answer)
{
	static const unsigned char million_a[32] = {
		0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
		0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
	};
	static const int ways[] = { 16, 2, 1 };
	unsigned char *a = malloc(1000000), md[32];
	SHA256_CTX c[SHA256_MANY], *cp[SHA256_MANY];
	const void *p[SHA256_MANY];
	size_t len[SHA256_MANY], k, w, bad = 0;

	memset(a, 'a', 1000000);
	for (w = 0; w < NF_ARRAY_LEN(ways); w++) {
		sha256_ways_limit(ways[w]);
		for (k = 0; k < SHA256_MANY; k++) {
			sha256_state_init(&c[k]);
			sha256_state_update(&c[k], a, k);	/* each stream at its own offset in a block */
			cp[k] = &c[k];
			p[k] = a;
			len[k] = 1000000 - k;
		}
		sha256_update_many(cp, p, len, SHA256_MANY);
		for (k = 0; k < SHA256_MANY; k++) {
			sha256_state_final(&c[k], md);
			bad += memcmp(md, million_a, 32) != 0;
		}
	}
	sha256_ways_limit(SHA256_MANY);
	free(a);
	CHECK_INT(bad, 0);
}
