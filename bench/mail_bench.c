/*
 * bench/mail_bench.c - composed and signed messages per second, one thread
 *
 * usage: mail_bench ARTICLE.json TEMPLATES KEYFILE SECONDS [sign|pairs]
 * Prepares the alert once, then composes for distinct subscribers (their
 * own id, address and salt) until SECONDS have passed, as the fan-out
 * does. Prints "messages N seconds S rate R bytes B fast F wall W
 * hashed H twoway T": H is the body octets hashed per message (those
 * from the first per-subscriber octet on; the rest is hashed once per
 * alert), T 1 when pairs hash their bodies side by side (SHA-NI).
 *
 * Time is this process's CPU time (user + system), as `openssl speed`
 * divides by CPU time (user) unless given -elapsed: on a shared machine
 * wall time counts what other processes ran, which openssl's reference
 * would not, and the ratio would measure the machine's load. W is the
 * wall-clock rate, for reference. The clock is read every 32 messages
 * (a CPU-time read is a system call, not a vDSO one).
 *
 * With "pairs", composes two subscribers per call (mail_alert_compose2,
 * as the fan-out does). With "sign", only signs (mail_dkim_signer_finish over a fixed header
 * hash) with the same key: the floor the composer stands on.
 * Built by bench/mail.sh against build/libnewsflash.a.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "mail/mail.h"
#include "news/news.h"

#define CLOCK_EVERY 32

static int64_t
cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void
report(long n, int64_t cpu, int64_t wall, size_t bytes, const char *fast, size_t hashed)
{
	printf("messages %ld seconds %.3f rate %.1f bytes %zu fast %s wall %.1f hashed %zu twoway %d\n",
	       n, (double)cpu / 1e6, (double)n * 1e6 / (double)cpu, bytes, fast,
	       (double)n * 1e6 / (double)wall, hashed, mail_sha_two_way());
}

static int
sign_only(struct mail_dkim_key *key, double seconds)
{
	static const char prefix[] = "DKIM-Signature: v=1; a=x; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=";
	struct mail_dkim_signer *s = mail_dkim_signer_new(key);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int64_t start = cpu_us(), wall = time_mono_us(), now = start;
	struct buf out;
	long n = 0;

	buf_init(&out, 0);
	do {
		EVP_DigestInit_ex(h, EVP_sha256(), NULL);
		EVP_DigestUpdate(h, "from:a@b\r\n", 10);
		buf_reset(&out);
		if (mail_dkim_signer_finish(s, h, prefix, sizeof(prefix) - 1, &out) != NF_OK)
			return 1;
		if (++n % CLOCK_EVERY == 0)
			now = cpu_us();
	} while (now - start < (int64_t)(seconds * 1e6));
	report(n, now - start, time_mono_us() - wall, out.len, "-", 0);
	buf_free(&out);
	EVP_MD_CTX_free(h);
	mail_dkim_signer_free(s);
	mail_dkim_key_free(key);
	return 0;
}

/* compose - the next subscriber's message, or the next two's; how many */
static long
compose(struct mail_alert *p, long n, int pairs, struct buf out[2])
{
	char email[2][64], salt[2][32];
	struct mail_subscriber sub[2];
	struct buf *o[2] = { &out[0], &out[1] };
	int rc[2] = { NF_OK, NF_OK }, i, k = pairs ? 2 : 1;

	for (i = 0; i < k; i++) {
		snprintf(email[i], sizeof(email[i]), "reader%ld@example.org", n + i);
		snprintf(salt[i], sizeof(salt[i]), "salt-%ld", (n + i) * 31);
		sub[i] = (struct mail_subscriber){ (uint64_t)(n + i) + 1, email[i], salt[i] };
		buf_reset(o[i]);
	}
	if (pairs)
		mail_alert_compose2(p, sub, o, rc);
	else
		rc[0] = mail_alert_compose(p, &sub[0], o[0]);
	if (rc[0] != NF_OK || rc[1] != NF_OK) {
		fprintf(stderr, "mail_bench: compose failed\n");
		exit(1);
	}
	return k;
}

int
main(int argc, char **argv)
{
	static const struct token_key secret = { (const unsigned char *)"bench-secret-0123456789abcdef", 29 };
	struct news_errors errs = { .count = 0 };
	struct news_article a = { 0 };
	struct mail_dkim_key *key = NULL;
	struct mail_alert *p = NULL;
	struct mail_sender s = { 0 };
	struct buf json, out[2];
	int64_t start, now, limit, wall;
	int pairs = argc == 6 && strcmp(argv[5], "pairs") == 0;
	long n = 0;
	size_t bytes = 0, hlen, body;
	FILE *f;
	char chunk[65536];
	size_t got;

	if (argc != 5 && argc != 6)
		return 2;
	buf_init(&json, 0);
	f = fopen(argv[1], "rb");
	while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&json, chunk, got);
	if (f)
		fclose(f);
	if (news_article_parse(json.data, json.len, &a, &errs) != NF_OK ||
	    mail_dkim_key_load(argv[3], "news.example", "bench", &key) != NF_OK) {
		fprintf(stderr, "mail_bench: bad article or key\n");
		return 1;
	}
	s.from_name = "Newsflash Desk";
	s.from_addr = "breaking@news.example";
	s.base_url = "https://news.example";
	s.publication = "The Daily Example";
	s.templates_dir = argv[2];
	s.secret = &secret;
	s.keys = &key;
	s.nkeys = getenv("BENCH_NOKEY") ? 0 : 1;
	if (argc == 6 && !pairs)
		return sign_only(key, atof(argv[4]));
	if (mail_alert_prepare(&s, &a, 1, 1795921800, &p) != NF_OK) {
		fprintf(stderr, "mail_bench: prepare failed\n");
		return 1;
	}
	buf_init(&out[0], 0);
	buf_init(&out[1], 0);
	limit = (int64_t)(atof(argv[4]) * 1e6);
	start = now = cpu_us();
	wall = time_mono_us();
	do {
		n += compose(p, n, pairs, out);
		if (n % CLOCK_EVERY == 0)
			now = cpu_us();
	} while (now - start < limit);
	bytes = out[0].len;
	mail_msg_split(out[0].data, out[0].len, &hlen, &body);
	report(n, now - start, time_mono_us() - wall, bytes, mail_alert_is_fast(p) ? "1" : "0",
	       out[0].len - body - mail_alert_shared_body(p));
	buf_free(&out[0]);
	buf_free(&out[1]);
	buf_free(&json);
	mail_alert_free(p);
	mail_dkim_key_free(key);
	news_article_free(&a);
	return 0;
}
