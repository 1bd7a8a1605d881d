/*
 * bench/mail_bench.c - composed and signed messages per second, one thread
 *
 * usage: mail_bench ARTICLE.json TEMPLATES KEYFILE SECONDS [sign | N [WAYS]]
 * Prepares the alert once, then composes for distinct subscribers (their
 * own id, address and salt) until SECONDS have passed, as the fan-out
 * does. Prints "messages N seconds S rate R bytes B fast F wall W
 * hashed H ways T": H is the body octets hashed per message (those
 * from the first per-subscriber octet on; the rest is hashed once per
 * alert), T the most bodies one SHA-256 pass hashes at once (16 with
 * AVX-512, 2 with SHA-NI, 1).
 *
 * Time is this process's CPU time (user + system), as `openssl speed`
 * divides by CPU time (user) unless given -elapsed: on a shared machine
 * wall time counts what other processes ran, which openssl's reference
 * would not, and the ratio would measure the machine's load. W is the
 * wall-clock rate, for reference. The clock is read every 32 messages
 * (a CPU-time read is a system call, not a vDSO one).
 *
 * With N, composes N subscribers per call (mail_alert_compose_many; the
 * fan-out gives 16), on no wider SHA-256 road than WAYS (16, 2 or 1:
 * sha256_ways_limit) when given. With "sign", only signs
 * (mail_dkim_signer_finish over a fixed header hash) with the same key:
 * the floor the composer stands on.
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
	printf("messages %ld seconds %.3f rate %.1f bytes %zu fast %s wall %.1f hashed %zu ways %d\n",
	       n, (double)cpu / 1e6, (double)n * 1e6 / (double)cpu, bytes, fast,
	       (double)n * 1e6 / (double)wall, hashed, sha256_ways());
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

/* compose - the next per subscribers' messages, in one call */
static void
compose(struct mail_alert *p, long n, size_t per, struct buf out[])
{
	char email[MAIL_COMPOSE_MANY][64], salt[MAIL_COMPOSE_MANY][32];
	struct mail_subscriber sub[MAIL_COMPOSE_MANY];
	struct buf *o[MAIL_COMPOSE_MANY];
	int rc[MAIL_COMPOSE_MANY];
	size_t i;

	for (i = 0; i < per; i++) {
		long id = n + (long)i;

		snprintf(email[i], sizeof(email[i]), "reader%ld@example.org", id);
		snprintf(salt[i], sizeof(salt[i]), "salt-%ld", id * 31);
		sub[i] = (struct mail_subscriber){ (uint64_t)id + 1, email[i], salt[i] };
		o[i] = &out[i];
		buf_reset(o[i]);
	}
	mail_alert_compose_many(p, sub, per, o, rc);
	for (i = 0; i < per; i++)
		if (rc[i] != NF_OK) {
			fprintf(stderr, "mail_bench: compose failed\n");
			exit(1);
		}
}

int
main(int argc, char **argv)
{
	static const struct token_key secret = { (const unsigned char *)"bench-secret-0123456789abcdef", 29 };
	struct news_errors errs = { .count = 0 };
	struct news_article a = { 0 };
	struct mail_dkim_key *key = NULL;
	struct mail_alert *p = NULL;
	struct mail_content content;
	json_t *ctx = NULL;
	struct mail_sender s = { 0 };
	struct buf json, out[MAIL_COMPOSE_MANY];
	int64_t start, now, limit, wall;
	int sign = argc >= 6 && strcmp(argv[5], "sign") == 0;
	size_t per = argc >= 6 && !sign ? strtoul(argv[5], NULL, 10) : 1, i;
	long n = 0, clock_at = CLOCK_EVERY;
	size_t bytes = 0, hlen, body;
	FILE *f;
	char chunk[65536];
	size_t got;

	if (argc < 5 || argc > 7 || per < 1 || per > MAIL_COMPOSE_MANY)
		return 2;
	if (argc == 7)
		sha256_ways_limit(atoi(argv[6]));
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
	if (sign)
		return sign_only(key, atof(argv[4]));
	ctx = news_article_context(&a);
	content = (struct mail_content){ a.headline, ctx };
	if (mail_alert_prepare(&s, &content, 1, 1795921800, &p) != NF_OK) {
		fprintf(stderr, "mail_bench: prepare failed\n");
		return 1;
	}
	for (i = 0; i < per; i++)
		buf_init(&out[i], 0);
	limit = (int64_t)(atof(argv[4]) * 1e6);
	start = now = cpu_us();
	wall = time_mono_us();
	do {
		compose(p, n, per, out);
		n += (long)per;
		if (n >= clock_at) {
			now = cpu_us();
			clock_at += CLOCK_EVERY;
		}
	} while (now - start < limit);
	bytes = out[0].len;
	mail_msg_split(out[0].data, out[0].len, &hlen, &body);
	report(n, now - start, time_mono_us() - wall, bytes, mail_alert_is_fast(p) ? "1" : "0",
	       out[0].len - body - mail_alert_shared_body(p));
	for (i = 0; i < per; i++)
		buf_free(&out[i]);
	buf_free(&json);
	mail_alert_free(p);
	json_decref(ctx);
	mail_dkim_key_free(key);
	news_article_free(&a);
	return 0;
}
