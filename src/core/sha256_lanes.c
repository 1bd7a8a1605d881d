/*
 * core/sha256_lanes.c - sixteen SHA-256 hashes at once, one per AVX-512 lane
 *
 * Owns: sha256_blocks16, the whole-block compression (FIPS 180-4 6.2.2)
 * of up to sixteen independent streams, and sha256_has16, whether the
 * CPU can run it. Does not own: the states' bookkeeping (partial blocks,
 * bit counts) or the choice of road; sha256_update_many in
 * sha256_pairs.c does those.
 *
 * Why. After an Ed25519 signature the body hash is a signed alert's
 * largest cost (~13.6 KB per message in bench/mail.sh's alert, hashed
 * again for every subscriber: SHA-256 is a chain and the text part's
 * footer, which names the subscriber, comes before the whole HTML part).
 * SHA-NI is bound by the latency of its round instruction: one stream
 * ~9 us a message, two side by side ~6 us each (sha256_pairs.c). Sixteen
 * messages of one alert, one in each 32-bit lane of a 512-bit register,
 * run the plain round function with no chain between lanes: ~3.4 us a
 * message on the same AMD EPYC, bound by the vector units (~1,700
 * operations a block for the sixteen lanes, a third of them rotations).
 * No library offers many independent streams through one call; OpenSSL's
 * multi-buffer SHA is internal to its TLS record layer.
 *
 * A round is written with VPTERNLOGD (Ch, Maj, and the three-way XOR of
 * the Sigma functions) and VPRORD (rotations); a block's sixteen words of
 * the sixteen lanes arrive as a 16x16 matrix of rows (one lane's block
 * each) and are transposed with four butterfly stages of VPERMT2D.
 */
#include <string.h>

#include "core_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/*
 * tune=znver3: GCC orders the same instructions for AMD's schedulers;
 * measured 12% faster on the EPYC (Zen 4) the benchmarks run on, where
 * GCC 12's generic order spends cycles the vector units could use. The
 * instructions and their count do not change, so other CPUs run them too.
 */
#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,tune=znver3")))

/*
 * transpose - rows r[i] (lane i's sixteen words) into r[t] (word t of
 * every lane). Stage b swaps the off-diagonal b x b blocks of each 2b x 2b
 * block: row i (bit b clear) keeps its columns without bit b and takes row
 * i + b's columns c - b for the columns with bit b; row i + b takes row
 * i's columns c + b and keeps its own. After b = 8, 4, 2, 1 the matrix is
 * transposed.
 */
AVX512_TARGET static inline void
transpose(__m512i r[16])
{
	const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	int b, i;

	/* unrolled whole, so that r[] stays in registers (~8% of the kernel's time) */
#pragma GCC unroll 4
	for (b = 8; b >= 1; b /= 2) {
		__mmask16 hi = _mm512_test_epi32_mask(iota, _mm512_set1_epi32(b));
		/* in VPERMT2D's index, 16 + c names column c of the second row */
		__m512i keep = _mm512_mask_add_epi32(iota, hi, iota, _mm512_set1_epi32(16 - b));
		__m512i give = _mm512_mask_add_epi32(_mm512_add_epi32(iota, _mm512_set1_epi32(b)), hi,
						     iota, _mm512_set1_epi32(16));

#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			__m512i lo;

			if (i & b)
				continue;
			lo = r[i];
			r[i] = _mm512_permutex2var_epi32(lo, keep, r[i + b]);
			r[i + b] = _mm512_permutex2var_epi32(lo, give, r[i + b]);
		}
	}
}

#define XOR3 0x96	/* VPTERNLOGD truth tables: a ^ b ^ c */
#define CH 0xca		/* a ? b : c */
#define MAJ 0xe8	/* at least two of a, b, c */

#define ROR(x, n) _mm512_ror_epi32((x), (n))
#define SIGMA(x, p, q, r) _mm512_ternarylogic_epi32(ROR(x, p), ROR(x, q), ROR(x, r), XOR3)

/* the schedule: W[t] from W[t-16], W[t-15], W[t-7], W[t-2], in a ring of 16 */
AVX512_TARGET static inline __m512i
schedule(__m512i w[16], int t)
{
	__m512i a = w[(t - 15) & 15], b = w[(t - 2) & 15];
	__m512i s0 = _mm512_ternarylogic_epi32(ROR(a, 7), ROR(a, 18), _mm512_srli_epi32(a, 3), XOR3);
	__m512i s1 = _mm512_ternarylogic_epi32(ROR(b, 17), ROR(b, 19), _mm512_srli_epi32(b, 10), XOR3);

	w[t & 15] = _mm512_add_epi32(_mm512_add_epi32(w[t & 15], s0),
				     _mm512_add_epi32(w[(t - 7) & 15], s1));
	return w[t & 15];
}

/*
 * One round (FIPS 180-4 6.2.2 step 3). Rather than move eight variables,
 * the caller rotates their names: only d and h are written.
 */
#define ROUND(a, b, c, d, e, f, g, h, t)					\
	do {									\
		__m512i w_ = (t) < 16 ? w[(t)] : schedule(w, (t));		\
		__m512i t1_ = _mm512_add_epi32(_mm512_add_epi32((h), SIGMA((e), 6, 11, 25)), \
			_mm512_add_epi32(_mm512_ternarylogic_epi32((e), (f), (g), CH), \
				_mm512_add_epi32(w_, _mm512_set1_epi32((int)sha256_k[(t)])))); \
		__m512i t2_ = _mm512_add_epi32(SIGMA((a), 2, 13, 22),		\
			_mm512_ternarylogic_epi32((a), (b), (c), MAJ));		\
		(d) = _mm512_add_epi32((d), t1_);				\
		(h) = _mm512_add_epi32(t1_, t2_);				\
	} while (0)

/* one block of every lane: v[0..7] are a..h of the sixteen lanes */
AVX512_TARGET static inline void
compress(__m512i v[8], __m512i w[16])
{
	__m512i a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
	int t;

	/* eight rounds a pass: after eight the names are back where they began */
	for (t = 0; t < 64; t += 8) {
		ROUND(a, b, c, d, e, f, g, h, t);
		ROUND(h, a, b, c, d, e, f, g, t + 1);
		ROUND(g, h, a, b, c, d, e, f, t + 2);
		ROUND(f, g, h, a, b, c, d, e, t + 3);
		ROUND(e, f, g, h, a, b, c, d, t + 4);
		ROUND(d, e, f, g, h, a, b, c, t + 5);
		ROUND(c, d, e, f, g, h, a, b, t + 6);
		ROUND(b, c, d, e, f, g, h, a, t + 7);
	}
	v[0] = _mm512_add_epi32(v[0], a), v[1] = _mm512_add_epi32(v[1], b);
	v[2] = _mm512_add_epi32(v[2], c), v[3] = _mm512_add_epi32(v[3], d);
	v[4] = _mm512_add_epi32(v[4], e), v[5] = _mm512_add_epi32(v[5], f);
	v[6] = _mm512_add_epi32(v[6], g), v[7] = _mm512_add_epi32(v[7], h);
}

AVX512_TARGET static void
blocks16(uint32_t *const h[16], const unsigned char *const p[16], size_t n)
{
	/* each 32-bit word from big-endian: reverse the octets of every word */
	const __m512i swap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
	uint32_t cols[8][16] __attribute__((aligned(64)));
	__m512i v[8], w[16];
	size_t at;
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 8; j++)
			cols[j][i] = h[i][j];
	for (j = 0; j < 8; j++)
		v[j] = _mm512_load_si512(cols[j]);
	for (at = 0; at < n * 64; at += 64) {
		for (i = 0; i < 16; i++)
			w[i] = _mm512_loadu_si512(p[i] + at);
		transpose(w);
		for (i = 0; i < 16; i++)
			w[i] = _mm512_shuffle_epi8(w[i], swap);
		compress(v, w);
	}
	for (j = 0; j < 8; j++)
		_mm512_store_si512(cols[j], v[j]);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 8; j++)
			h[i][j] = cols[j][i];
}

int
sha256_has16(void)
{
	static int has = -1;	/* threads that race here all store the same answer */
	int v = __atomic_load_n(&has, __ATOMIC_RELAXED);

	if (v < 0) {
		/* libgcc's and compiler-rt's checks include the OS saving ZMM state (XCR0) */
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
		__atomic_store_n(&has, v, __ATOMIC_RELAXED);
	}
	return v;
}
#else
int
sha256_has16(void)
{
	return 0;
}

static void
blocks16(uint32_t *const h[16], const unsigned char *const p[16], size_t n)
{
	(void)h, (void)p, (void)n;	/* never called: sha256_has16 said no */
}
#endif

void
sha256_blocks16(uint32_t *const h[], const unsigned char *const p[], size_t lanes, size_t n)
{
	uint32_t spare[8];
	uint32_t *hh[16];
	const unsigned char *pp[16];
	size_t i;

	/* idle lanes rehash lane 0's data into a state nobody reads */
	for (i = 0; i < 16; i++) {
		hh[i] = i < lanes ? h[i] : spare;
		pp[i] = i < lanes ? p[i] : p[0];
	}
	memcpy(spare, h[0], sizeof(spare));
	blocks16(hh, pp, n);
}
