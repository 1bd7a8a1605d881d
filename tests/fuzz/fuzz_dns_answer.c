/*
 * fuzz_dns_answer - smtp/dns_answer.c on whatever a resolver might send
 *
 * The first byte picks the type asked for (MX, A or AAAA); the rest is the
 * answer. Beyond not crashing: a parsed answer keeps at most
 * SMTP_DNS_RR_MAX records, all of the type asked for, its TTL is the
 * smallest of theirs, every exchange name is terminated inside its field
 * and holds only host-name bytes and dots, and a null MX is one whose
 * exchange is the root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct smtp_dns_answer *a, unsigned qtype)
{
	size_t i, k;
	int null_mx = 0;

	if (a->nrr > SMTP_DNS_RR_MAX)
		abort();
	for (i = 0; i < a->nrr; i++) {
		const struct smtp_dns_rr *r = &a->rr[i];

		if (r->type != qtype || r->ttl > 0x7fffffff || r->ttl < a->ttl)
			abort();
		if (memchr(r->name, '\0', sizeof(r->name)) == NULL)
			abort();
		for (k = 0; r->name[k]; k++) {
			char c = r->name[k];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || c == '.'))
				abort();
		}
		null_mx |= qtype == SMTP_DNS_MX && r->name[0] == '\0';
	}
	if (null_mx != a->null_mx)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned types[] = { SMTP_DNS_MX, SMTP_DNS_A, SMTP_DNS_AAAA };
	struct smtp_dns_answer *a;
	unsigned qtype;

	if (size < 1)
		return 0;
	qtype = types[data[0] % 3];
	a = malloc(sizeof(*a));
	if (a == NULL)
		return 0;
	if (smtp_dns_parse(data + 1, size - 1, qtype, a) == NF_OK)
		check(a, qtype);
	free(a);
	return 0;
}
