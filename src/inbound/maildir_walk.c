/*
 * inbound/maildir_walk.c - a Maildir of returned mail, processed once
 *
 * Owns: walking DIR/new (the Maildir convention, cr.yp.to/proto/maildir.html:
 * a delivery agent renames complete messages into new/, so whatever is there
 * is whole), handing each message to inbound_process, and moving it to
 * DIR/cur/NAME:2,S as a mail client does once it has read it. The store
 * remembers what was processed, so a message put back in new/, or left
 * there by a crash between the commit and the rename, is a duplicate the
 * next time, not a second bounce.
 *
 * Names are taken in sorted order (Maildir names start with the delivery
 * time), so a run handles mail in the order it arrived. A message whose
 * token did not verify stays in new/ (inbound_process did not record it):
 * with the right secret a later run still acts on it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inbound_internal.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in DIR/new, sorted; *n of them */
static int
list_new(const char *dir, char ***names, size_t *n)
{
	struct {
		char **v;
		size_t n, cap;
	} l = { NULL, 0, 0 };
	struct dirent *e;
	struct buf path;
	DIR *d;

	buf_init(&path, 0);
	buf_printf(&path, "%s/new", dir);
	d = opendir(path.data);
	buf_free(&path);
	if (d == NULL)
		return NF_ERR_IO;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (l.n == l.cap) {
			l.cap = l.cap ? l.cap * 2 : 64;
			l.v = xrealloc(l.v, l.cap * sizeof(*l.v));
		}
		l.v[l.n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_name);
	*names = l.v;
	*n = l.n;
	return NF_OK;
}

/* the whole file, up to INBOUND_MESSAGE_MAX; NF_ERR_LIMIT past it */
static int
read_message(const char *path, struct buf *out)
{
	char chunk[65536];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = NF_OK;

	if (fd < 0)
		return NF_ERR_IO;
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = NF_ERR_IO;
			break;
		}
		if ((rc = buf_append(out, chunk, (size_t)got)) != NF_OK)
			break;
	}
	close(fd);
	return rc;
}

/* new/NAME -> cur/NAME:2,S (a name with its info part already keeps it) */
static int
move_to_cur(const char *dir, const char *name)
{
	struct buf from, to;
	int rc;

	buf_init(&from, 0);
	buf_init(&to, 0);
	buf_printf(&from, "%s/new/%s", dir, name);
	buf_printf(&to, "%s/cur/%s%s", dir, name, strstr(name, ":2,") ? "" : ":2,S");
	rc = rename(from.data, to.data) == 0 ? NF_OK : NF_ERR_IO;
	if (rc != NF_OK)
		log_event(LOG_WARN, "inbound.move_failed", "file", name, "why", strerror(errno), NULL);
	buf_free(&from);
	buf_free(&to);
	return rc;
}

static void
one_message(struct store *s, const struct inbound_config *cfg, const char *dir,
	    const char *name, struct inbound_counts *c)
{
	struct inbound_result res;
	struct buf path, msg;
	int rc;

	buf_init(&path, 0);
	buf_printf(&path, "%s/new/%s", dir, name);
	buf_init(&msg, INBOUND_MESSAGE_MAX);
	rc = read_message(path.data, &msg);
	if (rc == NF_OK)
		rc = inbound_process(s, cfg, "maildir", msg.data ? msg.data : "", msg.len, &res);
	else {
		/* too large or unreadable: said once, then out of the way */
		log_event(LOG_WARN, "inbound.unreadable", "file", name, "why", nf_strstatus(rc), NULL);
		res.outcome = INBOUND_SKIPPED;
		rc = NF_OK;
	}
	if (rc != NF_OK) {
		c->failed++;	/* the store could not take it: it stays for the next run */
	} else {
		c->processed += res.outcome != INBOUND_DUPLICATE;
		c->duplicates += res.outcome == INBOUND_DUPLICATE;
		c->skipped += res.outcome == INBOUND_SKIPPED;
		c->by_outcome[res.outcome]++;
		/* unverified: not acted on, so not read either; it waits in new/ */
		if (res.outcome != INBOUND_UNVERIFIED && move_to_cur(dir, name) != NF_OK)
			c->failed++;
	}
	buf_free(&msg);
	buf_free(&path);
}

int
inbound_maildir_process(struct store *s, const struct inbound_config *cfg, const char *dir,
			struct inbound_counts *counts)
{
	struct buf cur;
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	memset(counts, 0, sizeof(*counts));
	buf_init(&cur, 0);
	buf_printf(&cur, "%s/cur", dir);
	if (mkdir(cur.data, 0700) != 0 && errno != EEXIST) {
		buf_free(&cur);
		return NF_ERR_IO;
	}
	buf_free(&cur);
	if ((rc = list_new(dir, &names, &n)) != NF_OK)
		return rc;
	for (i = 0; i < n; i++) {
		one_message(s, cfg, dir, names[i], counts);
		free(names[i]);
	}
	free(names);
	return counts->failed ? NF_ERR : NF_OK;
}
