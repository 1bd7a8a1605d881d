/*
 * web/public/public.c - the reader pages' life: their state made and freed
 *
 * Owns: struct public_state as a whole, in the order the wing needs it:
 * the signup rate limit, the templates, the signup writer's thread; and
 * letting go of suspended signups before the daemon stops (the writer
 * writes and answers everything queued). The purge timer starts after the
 * server listens (web/app.c), and stops first.
 */
#include <stdlib.h>

#include "public.h"

int
public_start(struct web *w)
{
	struct public_state *pub = xcalloc(1, sizeof(*pub));

	w->pub = pub;
	pub->signup_limit = http_ratelimit_new(w->cfg.signup_burst, w->cfg.signup_rate, 65536);
	if (w->cfg.signup_pow > 0)
		pub->pow = http_pow_new(&w->cfg.key, w->cfg.signup_pow, HTTP_POW_TTL, HTTP_POW_SEEN_MAX);
	if (public_pages_load(w) != NF_OK || public_embed_load(w) != NF_OK || (pub->writer = public_writer_start(w)) == NULL)
		return NF_ERR;
	return NF_OK;
}

void
public_quiesce(struct web *w)
{
	/* every signup queued is written and resumed; their answers go out */
	if (w->pub)
		public_writer_stop(w->pub->writer);
}

void
public_free(struct web *w)
{
	struct public_state *pub = w->pub;

	if (pub == NULL)
		return;
	public_writer_free(pub->writer);	/* after the daemon: no thread can submit now */
	public_pages_free(w);
	public_embed_free(w);
	http_ratelimit_free(pub->signup_limit);
	http_pow_free(pub->pow);
	free(pub);
	w->pub = NULL;
}
