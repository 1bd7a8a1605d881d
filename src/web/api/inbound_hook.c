/*
 * web/api/inbound_hook.c - POST /api/inbound: returned mail from a relay's webhook
 *
 * Owns: the HTTP door to inbound/ for relays and mail services that post
 * what comes back to the VERP and mailto addresses (bounces, complaints,
 * unsubscribe mail) instead of delivering it to a Maildir. The body is the
 * raw RFC 5322 message; the API key (Authorization: Bearer, as every /api/
 * route) is required. Answers: 200 {"kind", "outcome"} for anything read,
 * including reports that were not ours to act on and repeats ("duplicate":
 * a webhook that retries does no harm); 422 for bytes that are no message;
 * 401 without a key; 503 when the store failed (the relay should retry).
 */
#include <stdlib.h>

#include "inbound/inbound.h"
#include "store/store.h"
#include "api.h"

void
api_inbound_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct store *s = api_store(w, req, res);
	struct inbound_config cfg;
	struct inbound_result r;

	NF_UNUSED(arg);
	if (s == NULL)
		return;
	inbound_config_defaults(&cfg);
	cfg.key = &w->cfg.key;
	cfg.soft_limit = w->cfg.soft_bounce_limit;
	if (inbound_process(s, &cfg, "api", req->body.data ? req->body.data : "", req->body.len, &r) != NF_OK) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return;
	}
	http_reply_json(res, r.kind == INBOUND_MALFORMED ? 422 : 200,
		       json_pack("{s:s,s:s}", "kind", inbound_kind_name(r.kind),
				 "outcome", inbound_outcome_name(r.outcome)));
}
