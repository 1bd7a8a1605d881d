/*
 * core/sha256_pairs.c - two SHA-256 hashes at once, and the road for many
 *
 * Owns: sha256_update_many, which advances up to SHA256_MANY SHA-256
 * (FIPS 180-4) states over their inputs: the whole blocks they share
 * through sha256_lanes.c's sixteen lanes when the CPU has AVX-512 and
 * there are enough of them, the rest in pairs (update2: two states over
 * two inputs at the same time). Does not own: the states themselves
 * (core/hmac.c) or what is hashed (mail/alert.c's DKIM body hashes).
 *
 * Why. Every body octet after a subscriber's own first octet (the text
 * part's footer comes before the whole HTML part) is hashed once per
 * message: ~14 KB in bench/mail.sh's alert, the largest cost after an
 * Ed25519 signature. With the SHA extensions (SHA-NI) one stream is bound
 * by the latency of SHA256RNDS2, each pair of rounds waiting for the one
 * before; the unit can take a second, independent stream in those gaps.
 * Two messages of one alert hashed side by side cost ~1.5x one, not 2x
 * (measured on an AMD EPYC: ~6 us per 14 KB instead of ~9).
 *
 * The states are core's sha256_state_*, OpenSSL's SHA256_CTX (core/hmac.c
 * says why): OpenSSL's own assembly (SHA-NI, AVX2 or plain, chosen at run
 * time) does every single stream, so a CPU without SHA-NI loses nothing.
 * Only update2's middle, the whole blocks both inputs have, runs
 * the code below; it writes the chaining value h[] and the bit count (Nl,
 * Nh) as SHA256_Update would. EVP could not do this: it hides both.
 */
#include <stdint.h>
#include <string.h>

#include "core_internal.h"

#define BLOCK 64

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * One stream in the registers SHA256RNDS2 wants: s0 holds A B E F and s1
 * C D G H (high lane to low), w the next sixteen message words.
 */
struct lane {
	__m128i s0, s1, w[4];
};

/* lane_load - h[0..7] = a..h into the ABEF/CDGH halves */
SHA_TARGET static inline void
lane_load(struct lane *l, const uint32_t h[8])
{
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xb1);
	__m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1b);

	l->s0 = _mm_alignr_epi8(abcd, efgh, 8);
	l->s1 = _mm_blend_epi16(efgh, abcd, 0xf0);
}

SHA_TARGET static inline void
lane_store(const struct lane *l, uint32_t h[8])
{
	__m128i feba = _mm_shuffle_epi32(l->s0, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(l->s1, 0xb1);

	_mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

/* lane_words - a block's sixteen big-endian words */
SHA_TARGET static inline void
lane_words(struct lane *l, const unsigned char *p)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	int i;

	for (i = 0; i < 4; i++)
		l->w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
}

/* the schedule (FIPS 180-4 6.2.2 step 1): W[t..t+3] from W[t-16..t-1] */
SHA_TARGET static inline __m128i
next_words(__m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
	__m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));

	return _mm_sha256msg2_epu32(t, w3);
}

/*
 * Four rounds of each lane, interleaved so that each SHA256RNDS2 of one
 * lane runs while the other's result is still on its way; each pair of
 * rounds leaves the new A B E F where C D G H was, so the two halves swap
 * roles and swap back. Then the schedule moves on by four words.
 */
#define ROUNDS4(a, b, i)							\
	do {									\
		__m128i k_ = _mm_loadu_si128((const __m128i *)(sha256_k + 4 * (i)));	\
		__m128i x_ = _mm_add_epi32((a).w[(i) & 3], k_);			\
		__m128i y_ = _mm_add_epi32((b).w[(i) & 3], k_);			\
		(a).s1 = _mm_sha256rnds2_epu32((a).s1, (a).s0, x_);		\
		(b).s1 = _mm_sha256rnds2_epu32((b).s1, (b).s0, y_);		\
		(a).s0 = _mm_sha256rnds2_epu32((a).s0, (a).s1, _mm_shuffle_epi32(x_, 0x0e)); \
		(b).s0 = _mm_sha256rnds2_epu32((b).s0, (b).s1, _mm_shuffle_epi32(y_, 0x0e)); \
		if ((i) < 12) {							\
			(a).w[(i) & 3] = next_words((a).w[(i) & 3], (a).w[((i) + 1) & 3], \
						    (a).w[((i) + 2) & 3], (a).w[((i) + 3) & 3]); \
			(b).w[(i) & 3] = next_words((b).w[(i) & 3], (b).w[((i) + 1) & 3], \
						    (b).w[((i) + 2) & 3], (b).w[((i) + 3) & 3]); \
		}								\
	} while (0)

/* blocks2 - n whole blocks of p into ha and of q into hb, side by side */
SHA_TARGET static void
blocks2(uint32_t ha[8], const unsigned char *p, uint32_t hb[8], const unsigned char *q, size_t n)
{
	struct lane a, b;
	__m128i a0, a1, b0, b1;

	lane_load(&a, ha);
	lane_load(&b, hb);
	for (; n > 0; n--, p += BLOCK, q += BLOCK) {
		a0 = a.s0, a1 = a.s1, b0 = b.s0, b1 = b.s1;
		lane_words(&a, p);
		lane_words(&b, q);
		ROUNDS4(a, b, 0); ROUNDS4(a, b, 1); ROUNDS4(a, b, 2); ROUNDS4(a, b, 3);
		ROUNDS4(a, b, 4); ROUNDS4(a, b, 5); ROUNDS4(a, b, 6); ROUNDS4(a, b, 7);
		ROUNDS4(a, b, 8); ROUNDS4(a, b, 9); ROUNDS4(a, b, 10); ROUNDS4(a, b, 11);
		ROUNDS4(a, b, 12); ROUNDS4(a, b, 13); ROUNDS4(a, b, 14); ROUNDS4(a, b, 15);
		a.s0 = _mm_add_epi32(a.s0, a0), a.s1 = _mm_add_epi32(a.s1, a1);
		b.s0 = _mm_add_epi32(b.s0, b0), b.s1 = _mm_add_epi32(b.s1, b1);
	}
	lane_store(&a, ha);
	lane_store(&b, hb);
}

/* have_sha_ni - CPUID: SHA (leaf 7 EBX bit 29), SSSE3 and SSE4.1 (leaf 1 ECX 9, 19) */
static int
have_sha_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1;
}
#else
static int
have_sha_ni(void)
{
	return 0;
}

static inline void
blocks2(uint32_t ha[8], const unsigned char *p, uint32_t hb[8], const unsigned char *q, size_t n)
{
	(void)ha, (void)p, (void)hb, (void)q, (void)n;	/* never called: no SHA-NI here */
}
#endif

static int two_way = -1;	/* -1: not asked yet; the answer never changes */
static int ways_cap = 16;	/* sha256_ways_limit's */

/* 1 when update2 runs two streams at once (the CPU has SHA-NI, and no limit says no) */
static int
two_way_ok(void)
{
	int v = __atomic_load_n(&two_way, __ATOMIC_RELAXED);

	if (v < 0) {
		v = have_sha_ni();	/* threads that race here all store the same answer */
		__atomic_store_n(&two_way, v, __ATOMIC_RELAXED);
	}
	return v && __atomic_load_n(&ways_cap, __ATOMIC_RELAXED) >= 2;
}

int
sha256_ways(void)
{
	if (sha256_has16() && __atomic_load_n(&ways_cap, __ATOMIC_RELAXED) >= 16)
		return 16;
	return two_way_ok() ? 2 : 1;
}

void
sha256_ways_limit(int n)
{
	__atomic_store_n(&ways_cap, n, __ATOMIC_RELAXED);
}

/* add n blocks to the bit count as SHA256_Update would */
static void
count_blocks(SHA256_CTX *c, size_t n)
{
	uint64_t bits = ((uint64_t)c->Nh << 32 | c->Nl) + (uint64_t)n * BLOCK * 8;

	c->Nl = (SHA_LONG)bits;
	c->Nh = (SHA_LONG)(bits >> 32);
}

/* fill_block - top up a part-filled block from the input; the octets taken */
static size_t
fill_block(SHA256_CTX *c, const unsigned char *p, size_t n)
{
	size_t take = c->num ? BLOCK - c->num : 0;

	if (take > n)
		take = n;
	if (take)
		sha256_state_update(c, p, take);
	return take;
}

/*
 * update2 - sha256_state_update(a, pa, na) then (b, pb, nb), the whole
 * blocks both inputs have hashed side by side
 */
static void
update2(SHA256_CTX *a, const void *pa, size_t na, SHA256_CTX *b, const void *pb, size_t nb)
{
	const unsigned char *p = pa, *q = pb;
	size_t n, i;

	if (two_way_ok()) {
		i = fill_block(a, p, na);
		p += i, na -= i;
		i = fill_block(b, q, nb);
		q += i, nb -= i;
		/* both states at a block boundary: the whole blocks they share */
		n = a->num == 0 && b->num == 0 ? (na < nb ? na : nb) / BLOCK : 0;
		if (n > 0) {
			blocks2(a->h, p, b->h, q, n);
			count_blocks(a, n);
			count_blocks(b, n);
			p += n * BLOCK, na -= n * BLOCK;
			q += n * BLOCK, nb -= n * BLOCK;
		}
	}
	sha256_state_update(a, p, na);
	sha256_state_update(b, q, nb);
}

/*
 * Sixteen lanes cost the same whether they carry sixteen messages or ten:
 * ~54 us a pass over bench/mail.sh's ~13.6 KB. Pairs on SHA-NI cost ~6 us
 * a message, so the lanes win from ten streams on (measured: 5.3 against
 * 5.8 us at ten, 5.9 against 6.1 at nine); against one plain stream
 * (~9 us, no SHA-NI), from six.
 */
static size_t
wide_min(void)
{
	return two_way_ok() ? 10 : 6;
}

/* wide - the whole blocks all n streams share through the 16-lane kernel */
static void
wide(SHA256_CTX *const c[], const unsigned char *p[], size_t len[], size_t n)
{
	uint32_t *h[16];
	size_t i, take, blocks = SIZE_MAX;

	for (i = 0; i < n; i++) {
		take = fill_block(c[i], p[i], len[i]);
		p[i] += take, len[i] -= take;
		if (c[i]->num != 0)	/* its input ended inside a block: nothing left */
			blocks = 0;
		else if (len[i] / BLOCK < blocks)
			blocks = len[i] / BLOCK;
		h[i] = c[i]->h;
	}
	if (blocks == 0)
		return;
	sha256_blocks16(h, p, n, blocks);
	for (i = 0; i < n; i++) {
		count_blocks(c[i], blocks);
		p[i] += blocks * BLOCK, len[i] -= blocks * BLOCK;
	}
}

void
sha256_update_many(SHA256_CTX *const c[], const void *const p[], const size_t len[], size_t n)
{
	const unsigned char *q[SHA256_MANY];
	size_t left[SHA256_MANY], i;

	for (i = 0; i < n; i++)
		q[i] = p[i], left[i] = len[i];
	if (n >= wide_min() && sha256_ways() == 16)
		wide(c, q, left, n);
	for (i = 0; i + 1 < n; i += 2)
		update2(c[i], q[i], left[i], c[i + 1], q[i + 1], left[i + 1]);
	if (i < n)
		sha256_state_update(c[i], q[i], left[i]);
}
