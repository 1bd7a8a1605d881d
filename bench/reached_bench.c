/*
 * bench/reached_bench.c - the reached record's size and cost at 1,000,000 recipients
 *
 * Builds the set an alert's shards would commit (core/idset.c: Roaring,
 * portable bytes) for several audiences of n ids, and for each prints the
 * serialized size, the size stored (base64 text, what alert_reached holds),
 * the ratio to a plain array of 4-byte ids (the reference: the smallest
 * uncompressed form), and the time to add, save and load it. Audiences:
 *   sequential  ids 1..n (everyone on the list, no gaps)
 *   dense       n random ids of 1.25 n (breaking-news: most subscribers)
 *   half        n random ids of 2 n (a big topic list)
 *   sparse      n random ids of 10 n (a small topic list of a large service)
 *   shards      dense, split in 8 shards' parts as the engine stores it (summed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* n distinct ids of 1..span, each kept with probability n / span (about n of them) */
static size_t
fill(struct idset **parts, int nparts, int64_t n, int64_t span)
{
	int64_t id;
	size_t count = 0;

	for (id = 1; id <= span; id++) {
		if (span != n && (int64_t)(next_rand() % (uint64_t)span) >= n)
			continue;
		idset_add(parts[nparts == 1 ? 0 : (int)((id - 1) * nparts / span)], id);
		count++;
	}
	return count;
}

static void
run(const char *name, int64_t n, int64_t span, int nparts)
{
	struct idset *parts[8], *back = NULL;
	struct buf raw, text;
	size_t count, bytes = 0, stored = 0;
	int64_t t0, t1, t2, t3;
	int i;

	for (i = 0; i < nparts; i++)
		parts[i] = idset_new();
	t0 = time_mono_us();
	count = fill(parts, nparts, n, span);
	t1 = time_mono_us();
	for (i = 0; i < nparts; i++) {
		buf_init(&raw, 0);
		buf_init(&text, 0);
		idset_save(parts[i], &raw);
		base64_encode(&text, raw.data, raw.len);
		bytes += raw.len;
		stored += text.len;
		if (i == 0) {
			t2 = time_mono_us();
			if (idset_load(&back, raw.data, raw.len) != NF_OK || idset_count(back) != idset_count(parts[0])) {
				fprintf(stderr, "%s: the round trip lost ids\n", name);
				exit(1);
			}
			t3 = time_mono_us();
			idset_free(back);
		}
		buf_free(&raw);
		buf_free(&text);
		idset_free(parts[i]);
	}
	printf("%-10s ids %7zu of 1..%-8lld bytes %8zu (%.2f per id) stored %8zu ratio %.4f of 4-byte ids"
	       "  add %lld ms load %lld ms  %s\n", name, count, (long long)span, bytes,
	       (double)bytes / (double)count, stored, (double)bytes / (4.0 * (double)count),
	       (long long)((t1 - t0) / 1000), (long long)((t3 - t2) / 1000),
	       bytes < 1000000 ? "under 1 MB" : "OVER 1 MB");
}

int
main(int argc, char **argv)
{
	int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;

	run("sequential", n, n, 1);
	run("dense", n, n + n / 4, 1);
	run("half", n, 2 * n, 1);
	run("sparse", n, 10 * n, 1);
	run("shards", n, n + n / 4, 8);
	return 0;
}
