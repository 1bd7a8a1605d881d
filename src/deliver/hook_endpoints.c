/*
 * deliver/hook_endpoints.c - making a webhook endpoint: the checks every door shares
 *
 * Owns: turning what a person gave (a URL, a list of events, perhaps a
 * secret, whether payloads carry addresses) into a stored endpoint, with
 * the one message that says what is wrong. The CLI (`newsflash webhook
 * add`), the API (POST /api/webhooks) and the newsroom's form all call it,
 * so the three accept and refuse the same things.
 */
#include <stdio.h>
#include <string.h>

#include "deliver.h"

int
deliver_hook_create(struct store *s, const struct deliver_hook_spec *in, int64_t *id,
		    char secret[DELIVER_HOOK_SECRET_MAX], char *err, size_t errlen)
{
	char bad[80];
	const char *why;
	int64_t mask = 0;
	int rc;

	secret[0] = '\0';
	if ((why = deliver_hook_url_check(in->url)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return NF_ERR_INVALID;
	}
	if (in->events == NULL || in->events_len == 0) {
		snprintf(err, errlen, "events are needed: a comma-separated list, or *");
		return NF_ERR_INVALID;
	}
	if (store_hook_events_parse(in->events, in->events_len, &mask, bad, sizeof(bad)) != NF_OK) {
		snprintf(err, errlen, "unknown event '%s'", bad);
		return NF_ERR_INVALID;
	}
	if (in->secret && (why = deliver_hook_secret_check(in->secret)) != NULL) {
		snprintf(err, errlen, "secret: %s", why);
		return NF_ERR_INVALID;
	}
	if (in->secret)
		snprintf(secret, DELIVER_HOOK_SECRET_MAX, "%s", in->secret);
	else
		deliver_hook_secret_new(secret);
	if ((rc = store_hook_add(s, in->url, secret, mask, in->include_email, id)) != NF_OK) {
		snprintf(err, errlen, "%s", store_errmsg(s));
		memset(secret, 0, DELIVER_HOOK_SECRET_MAX);
		secret[0] = '\0';
	}
	return rc;
}
