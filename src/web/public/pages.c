/*
 * web/public/pages.c - the reader pages' templates and the consent wording
 *
 * Owns: which templates the reader pages are (loaded once at start through
 * http_page_load), rendering one of them, and the consent wording's version
 * and hash: the exact text a person was shown when they ticked or
 * submitted, recorded in the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl.h"
#include "public.h"

static const char *const page_names[PUBLIC_PAGE_COUNT] = {
	[PUBLIC_PAGE_SIGNUP] = "signup.html",
	[PUBLIC_PAGE_THANKS] = "thanks.html",
	[PUBLIC_PAGE_CONFIRM] = "confirm-page.html",
	[PUBLIC_PAGE_CONFIRMED] = "confirmed.html",
	[PUBLIC_PAGE_PRIVACY] = "privacy.html",
	[PUBLIC_PAGE_UNSUBSCRIBE] = "unsubscribe.html",
	[PUBLIC_PAGE_UNSUBSCRIBED] = "unsubscribed.html",
	[PUBLIC_PAGE_ERASED] = "erased.html",
	[PUBLIC_PAGE_NEVER] = "never.html",
	[PUBLIC_PAGE_LINK] = "link-page.html",
};

int
public_pages_load(struct web *w)
{
	struct public_state *pub = w->pub;
	unsigned char *digest;
	int i;

	for (i = 0; i < PUBLIC_PAGE_COUNT; i++) {
		digest = i == PUBLIC_PAGE_SIGNUP ? pub->signup_hash :
			 i == PUBLIC_PAGE_UNSUBSCRIBE ? pub->prefs_hash : NULL;
		if ((pub->pages[i] = http_page_load(w, page_names[i], digest)) == NULL)
			return NF_ERR;
	}
	return NF_OK;
}

void
public_pages_free(struct web *w)
{
	int i;

	for (i = 0; i < PUBLIC_PAGE_COUNT; i++) {
		tmpl_free(w->pub->pages[i]);
		w->pub->pages[i] = NULL;
	}
}

void
public_page_render(struct web *w, struct http_response *res, int status, enum public_page id,
		   json_t *ctx)
{
	http_page_render(w, res, status, w->pub->pages[id], ctx);
}

/*
 * The wording a person consented to: the signup template's hash (the exact
 * text on the page) and a short version derived from it, so a ledger row
 * says which form, word for word, was shown.
 */
static void
wording(const unsigned char digest[32], const char *page, char version[32], char hash[65])
{
	struct buf hex;

	buf_init(&hex, 64);
	hex_encode(&hex, digest, 32);
	snprintf(hash, 65, "%s", hex.data);
	snprintf(version, 32, "%s-%.12s", page, hex.data);
	buf_free(&hex);
}

void
public_wording_from(const unsigned char digest[32], const char *page, char version[32], char hash[65])
{
	wording(digest, page, version, hash);
}

void
public_wording(const struct web *w, char version[32], char hash[65])
{
	wording(w->pub->signup_hash, "signup", version, hash);
}

void
public_wording_prefs(const struct web *w, char version[32], char hash[65])
{
	wording(w->pub->prefs_hash, "preferences", version, hash);
}
