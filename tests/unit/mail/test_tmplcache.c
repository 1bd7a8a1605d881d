/*
 * tests for mail/tmplcache.c: a template is compiled once per process and
 * shared, also by threads asking at once; a failed load is not remembered;
 * the escaping is part of the key.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mail/mail.h"
#include "tmpl/tmpl.h"
#include "../../harness.h"

static int
put_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
rm_dir(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/t.txt.mustache", dir);
	unlink(path);
	rmdir(dir);
}

static int
render_is(const struct tmpl *t, const char *want)
{
	struct tmpl_value v;
	struct buf out;
	int ok;

	tmpl_ctx_json(&v, NULL);
	buf_init(&out, 0);
	ok = tmpl_render(t, &v, &out) == NF_OK && strcmp(out.data ? out.data : "", want) == 0;
	buf_free(&out);
	return ok;
}

TEST(tmplcache_compiles_once_and_retries_failures)
{
	char dir[] = "/tmp/newsflash-tmplcache.XXXXXX";
	const struct tmpl *a = NULL, *b = NULL, *h = NULL;

	CHECK(mkdtemp(dir) != NULL);
	/* missing: an error, and not remembered */
	CHECK(mail_template_get(dir, "t.txt", 0, &a) != NF_OK);
	CHECK(a == NULL);
	CHECK_INT(put_file(dir, "t.txt.mustache", "one <&>"), 0);
	CHECK_INT(mail_template_get(dir, "t.txt", 0, &a), NF_OK);
	CHECK(a != NULL && render_is(a, "one <&>"));
	/* the file is read at first use only: a later edit is not seen */
	CHECK_INT(put_file(dir, "t.txt.mustache", "two"), 0);
	CHECK_INT(mail_template_get(dir, "t.txt", 0, &b), NF_OK);
	CHECK(b == a);
	CHECK(render_is(b, "one <&>"));
	/* another escaping is another template */
	CHECK_INT(mail_template_get(dir, "t.txt", 1, &h), NF_OK);
	CHECK(h != a);
	rm_dir(dir);
	mail_template_cache_clear();
	/* cleared: compiled afresh from the file as it is now */
	memcpy(dir, "/tmp/newsflash-tmplcache.XXXXXX", sizeof(dir));
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(put_file(dir, "t.txt.mustache", "three"), 0);
	CHECK_INT(mail_template_get(dir, "t.txt", 0, &a), NF_OK);
	CHECK(render_is(a, "three"));
	rm_dir(dir);
	mail_template_cache_clear();
}

struct racer {
	const char *dir;
	const struct tmpl *got[50];
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 50 && r->rc == NF_OK; i++)
		r->rc = mail_template_get(r->dir, "t.txt", 0, &r->got[i]);
	return NULL;
}

TEST(tmplcache_threads_share_one_template)
{
	char dir[] = "/tmp/newsflash-tmplcache.XXXXXX";
	struct racer r[4];
	pthread_t th[4];
	int i, j, same = 1;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(put_file(dir, "t.txt.mustache", "shared"), 0);
	for (i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].dir = dir;
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 50; j++)
			same = same && r[i].rc == NF_OK && r[i].got[j] == r[0].got[0];
	rm_dir(dir);
	CHECK(same);
	CHECK(render_is(r[0].got[0], "shared"));
	mail_template_cache_clear();
}
