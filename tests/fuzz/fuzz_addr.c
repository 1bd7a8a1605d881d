/*
 * fuzz_addr - addr_check on arbitrary bytes (the first byte picks the flags;
 * DNS is never asked). Beyond not crashing, every answer must be coherent:
 *   - a valid address has code "ok", a normalised form within 254 octets with
 *     a lower-case A-label domain, and checking that form again, or the
 *     display form, gives the same normalised form and key (idempotence);
 *   - an invalid one has a known code other than "ok" and empty forms;
 *   - every output string is NUL-terminated inside its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
terminated(const char *field, size_t size)
{
	if (memchr(field, '\0', size) == NULL)
		abort();
}

static void
check_domain_form(const char *normalized)
{
	const char *at = strrchr(normalized, '@'), *p;

	if (at == NULL)
		abort();
	for (p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			abort();
}

static void
recheck(const char *form, unsigned flags, const struct addr_result *first)
{
	struct addr_result again;

	addr_check(form, strlen(form), flags, &again);
	if (!again.valid || strcmp(again.normalized, first->normalized) ||
	    strcmp(again.key, first->key) || again.needs_smtputf8 != first->needs_smtputf8)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_result r;
	unsigned flags;

	if (size == 0)
		return 0;
	flags = data[0] & ADDR_SMTPUTF8;	/* never ADDR_CHECK_MX: no network */
	if (addr_check((const char *)data + 1, size - 1, flags, &r) != 0)
		abort();
	terminated(r.normalized, sizeof(r.normalized));
	terminated(r.display, sizeof(r.display));
	terminated(r.key, sizeof(r.key));
	terminated(r.suggestion, sizeof(r.suggestion));
	if (addr_reason_lookup(r.code) != (int)r.reason || r.valid != (r.reason == ADDR_OK))
		abort();
	if (!r.valid) {
		if (r.normalized[0] || r.display[0] || r.key[0] || r.needs_smtputf8)
			abort();
		return 0;
	}
	if (strlen(r.normalized) > ADDR_MAX || r.key[0] == '\0')
		abort();
	check_domain_form(r.normalized);
	recheck(r.normalized, flags, &r);
	recheck(r.display, flags, &r);
	return 0;
}
