/*
 * web/prometheus.c - GET /metrics: the process's counters in Prometheus text format
 *
 * Owns: the figures a scraper reads (text format 0.0.4): the delivery
 * engine's counters and latency histogram, and the signup writer's; the
 * sent count is the database's (every alert's, added up), not this
 * process's, so it always agrees with the alerts' counts. It sits
 * on top with app.c and routes.c because it reads more than one wing.
 * With --metrics-token-file the scraper must send "Authorization: Bearer
 * TOKEN" (compared in constant time); with --metrics-listen it is served on
 * that address only (routes.c), which a firewall can keep private.
 */
#include <string.h>
#include <strings.h>

#include "deliver/deliver.h"
#include "store/store.h"
#include "web/public/public.h"
#include "app.h"

static void
metric(struct buf *b, const char *name, const char *type, const char *help, unsigned long long v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

/* "Bearer TOKEN" with our token; the token's length is no secret, its bytes are */
static int
bearer_ok(const char *token, const char *authorization)
{
	size_t n = strlen(token);

	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return strlen(authorization) == n && ct_equal(authorization, token, n);
}

void
web_metrics_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct deliver_stats st;
	struct buf *b = &res->body;
	struct store *s;
	uint64_t batches, signups, retries;
	int64_t sent = 0;

	NF_UNUSED(arg);
	if (w->cfg.metrics_token && !bearer_ok(w->cfg.metrics_token, req->authorization)) {
		http_reply_header(req, res, "WWW-Authenticate", "Bearer realm=\"metrics\"");
		http_reply_text(res, 401, "A bearer token is needed for /metrics\n");
		return;
	}
	memset(&st, 0, sizeof(st));
	if (w->cfg.engine)
		deliver_stats(w->cfg.engine, &st);
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4";
	buf_reset(b);
	/*
	 * One source with the alerts' own counts (the API, the newsroom, the
	 * CLI): every alert's sent count added up, from the database, so it
	 * equals their sum after a stop or a restart too, and on every node.
	 * When the database does not answer the line is left out, not guessed.
	 */
	if ((s = http_store(w)) != NULL && store_sent_total(s, &sent) == NF_OK)
		metric(b, "newsflash_messages_sent_total", "counter",
		       "Messages the relay accepted (250 to DATA): every alert's sent count added up.",
		       (unsigned long long)sent);
	metric(b, "newsflash_messages_temp_failed_total", "counter", "Temporary failures (4xx, lost connection), to be retried.", st.temp_failed);
	metric(b, "newsflash_messages_perm_failed_total", "counter", "Permanent failures (5xx).", st.perm_failed);
	metric(b, "newsflash_suppressed_total", "counter", "Addresses suppressed after an unknown-user answer.", st.suppressed);
	metric(b, "newsflash_confirmations_sent_total", "counter", "Priority messages (confirmations) accepted.", st.priority_sent);
	metric(b, "newsflash_shards_done_total", "counter", "Alert shards completed by this node.", st.shards_done);
	metric(b, "newsflash_alerts_done_total", "counter", "Alerts whose last shard this node completed.", st.alerts_done);
	metric(b, "newsflash_possible_duplicates_total", "counter", "Upper bound of messages repeated after resuming shards.", st.possible_duplicates);
	public_writer_counts(w->pub->writer, &batches, &signups, &retries);
	metric(b, "newsflash_signups_written_total", "counter", "Signups committed by the group-commit writer.", signups);
	metric(b, "newsflash_signup_commits_total", "counter", "Transactions (batches) the signup writer ran.", batches);
	metric(b, "newsflash_signup_batch_retries_total", "counter", "Batches that failed and were redone row by row.", retries);
	deliver_latency_histogram(w->cfg.engine, b);
}
