/*
 * mail/tmplcache.c - the compiled mail templates, once per process
 *
 * Owns: a process-wide cache of compiled templates keyed by (directory,
 * name, escaping), so mail_alert_prepare and mail_confirm_compose compile
 * alert.* and confirm.* once, not per alert or per confirmation. Does not
 * own: compiling (mail_template_load in mime.c) or rendering (tmpl/).
 *
 * Sharing is safe because a struct tmpl is immutable once compiled and any
 * number of threads may render it at once (tmpl.h). Templates are read at
 * their first use and not again: a changed template takes a restart, as
 * every other setting does. A template that fails to load is not cached,
 * so a file put in place later is found. The keys come from configuration
 * (a few directories, four names), so the cache stays small; it is freed
 * by mail_template_cache_clear.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "mail.h"

struct cached {
	char *dir, *name;
	int html;
	struct tmpl *t;
	struct cached *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache;

static struct cached *
find(const char *dir, const char *name, int html)
{
	struct cached *c;

	for (c = cache; c; c = c->next)
		if (c->html == html && strcmp(c->name, name) == 0 && strcmp(c->dir, dir) == 0)
			return c;
	return NULL;
}

/*
 * mail_template_get - compiled under the lock: two threads asking for the
 * same new template compile it once, and compiling is rare enough that
 * nobody waits long.
 */
int
mail_template_get(const char *dir, const char *name, int html, const struct tmpl **out)
{
	struct cached *c;
	struct tmpl *t;
	int rc = NF_OK;

	html = html != 0;
	pthread_mutex_lock(&cache_lock);
	c = find(dir, name, html);
	if (c == NULL && (rc = mail_template_load(dir, name, html, &t)) == NF_OK) {
		c = xcalloc(1, sizeof(*c));
		c->dir = xstrdup(dir);
		c->name = xstrdup(name);
		c->html = html;
		c->t = t;
		c->next = cache;
		cache = c;
	}
	*out = c ? c->t : NULL;
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

void
mail_template_cache_clear(void)
{
	struct cached *c, *next;

	pthread_mutex_lock(&cache_lock);
	for (c = cache; c; c = next) {
		next = c->next;
		tmpl_free(c->t);
		free(c->dir);
		free(c->name);
		free(c);
	}
	cache = NULL;
	pthread_mutex_unlock(&cache_lock);
}

/*
 * mail_render_pair - NAME.txt and NAME.html rendered against ctx, each
 * within max bytes, into a multipart/alternative body: what every one-off
 * message (a confirmation, a mailed link) is made of
 */
int
mail_render_pair(struct buf *body, const char *boundary, const char *dir, const char *name,
		 const struct json_t *ctx, size_t max)
{
	const struct tmpl *txt = NULL, *html = NULL;
	char tname[128], hname[128];
	struct buf t, h;
	int rc = NF_ERR_INVALID;

	if (snprintf(tname, sizeof(tname), "%s.txt", name) >= (int)sizeof(tname) ||
	    snprintf(hname, sizeof(hname), "%s.html", name) >= (int)sizeof(hname))
		return rc;
	buf_init(&t, max);
	buf_init(&h, max);
	rc = mail_template_get(dir, tname, 0, &txt);
	if (rc == NF_OK)
		rc = mail_template_get(dir, hname, 1, &html);
	if (rc == NF_OK)
		rc = mail_render(txt, ctx, &t);
	if (rc == NF_OK)
		rc = mail_render(html, ctx, &h);
	if (rc == NF_OK)
		rc = mail_mime_body(body, boundary, t.data ? t.data : "", t.len, h.data ? h.data : "", h.len);
	buf_free(&t);
	buf_free(&h);
	return rc;
}
