/* tests for smtp/transport_maildir.c through the transport interface */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "../../harness.h"

struct seen {
	int calls;
	enum smtp_outcome outcome;
	char text[300];
};

static void
on_done(void *arg, const struct smtp_result *r)
{
	struct seen *s = arg;

	s->calls++;
	s->outcome = r->outcome;
	snprintf(s->text, sizeof(s->text), "%s", r->text);
}

static char *
temp_dir(void)
{
	char tmpl[] = "/tmp/newsflash-maildir.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? xstrdup(d) : NULL;
}

static void
remove_tree(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

/* count_files - regular files in dir; the last one's name in last */
static int
count_files(const char *dir, char *last, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (last)
			snprintf(last, size, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

/* fresh - a Maildir transport on a new temporary folder (*dir, freed by done_with) */
static struct smtp_transport *
fresh(char **dir)
{
	struct smtp_transport *t = NULL;
	char url[600], err[200];

	if ((*dir = temp_dir()) == NULL)
		return NULL;
	snprintf(url, sizeof(url), "maildir:%s", *dir);
	if (smtp_transport_open(&t, url, NULL, err, sizeof(err)) != NF_OK)
		return NULL;
	return t;
}

static void
done_with(struct smtp_transport *t, char *dir)
{
	smtp_transport_free(t);
	remove_tree(dir);
	free(dir);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the folders are made, the message lands in new/ whole, tmp/ is left empty */
TEST(maildir_writes_one_file_into_new)
{
	const char *to[] = { "reader@example.com", "other@example.com" };
	struct smtp_envelope env = { "alerts@example.com", to, 2 };
	const char msg[] = "Subject: breaking\r\n\r\n.a line with a dot\r\n";
	char *dir = temp_dir(), path[600], name[300], want[600];
	struct smtp_transport *t;
	struct seen s = { 0 };
	char err[200], *data;
	size_t len;

	CHECK(dir != NULL);
	snprintf(path, sizeof(path), "maildir:%s/deep/outbox", dir);
	CHECK_INT(smtp_transport_open(&t, path, NULL, err, sizeof(err)), NF_OK);
	CHECK_STR(smtp_transport_name(t), "maildir");
	snprintf(path, sizeof(path), "%s/deep/outbox/cur", dir);
	CHECK(is_dir(path));
	CHECK_INT(smtp_transport_submit(t, &env, msg, sizeof(msg) - 1, SMTP_MSG_BORROW, on_done, &s),
		  NF_OK);
	CHECK_INT(s.calls, 1);	/* done before submit returned */
	CHECK_INT(s.outcome, SMTP_ACCEPTED);
	CHECK_INT(smtp_transport_pending(t), 0);
	CHECK_INT(smtp_transport_drain(t), NF_OK);
	snprintf(path, sizeof(path), "%s/deep/outbox/new", dir);
	CHECK_INT(count_files(path, name, sizeof(name)), 1);
	snprintf(want, sizeof(want), "new/%s", name);
	CHECK_STR(s.text, want);
	snprintf(path, sizeof(path), "%s/deep/outbox/tmp", dir);
	CHECK_INT(count_files(path, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/deep/outbox/new/%s", dir, name);
	data = test_read_file(path, &len);
	CHECK(data != NULL);
	CHECK_STR(data, "Return-Path: <alerts@example.com>\r\nDelivered-To: reader@example.com\r\n"
			"Delivered-To: other@example.com\r\nSubject: breaking\r\n\r\n"
			".a line with a dot\r\n");
	free(data);
	smtp_transport_free(t);
	remove_tree(dir);
	free(dir);
}

/* every message gets its own name, even within one microsecond */
TEST(maildir_names_are_unique)
{
	const char *to[] = { "r@example.com" };
	struct smtp_envelope env = { "", to, 1 };
	char *dir, path[600];
	struct smtp_transport *t = fresh(&dir);
	struct seen s = { 0 };
	int i;

	CHECK(t != NULL);
	for (i = 0; i < 50; i++)
		CHECK_INT(smtp_transport_submit(t, &env, "x\n", 2, SMTP_MSG_COPY, on_done, &s), NF_OK);
	CHECK_INT(s.calls, 50);
	snprintf(path, sizeof(path), "%s/new", dir);
	CHECK_INT(count_files(path, NULL, 0), 50);
	done_with(t, dir);
}

/* a write that fails is temporary, with the system's words, and leaves nothing behind */
TEST(maildir_failure_is_temporary)
{
	const char *to[] = { "r@example.com" };
	struct smtp_envelope env = { "a@example.com", to, 1 };
	char *dir, path[600];
	struct smtp_transport *t = fresh(&dir);
	struct seen s = { 0 };
	FILE *f;

	CHECK(t != NULL);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	CHECK(rmdir(path) == 0);
	f = fopen(path, "w");	/* tmp is now a file: nothing can be created in it */
	CHECK(f != NULL);
	fclose(f);
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);	/* the failure is on purpose */
	CHECK_INT(smtp_transport_submit(t, &env, "x\n", 2, SMTP_MSG_BORROW, on_done, &s), NF_OK);
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	CHECK_INT(s.calls, 1);
	CHECK_INT(s.outcome, SMTP_TEMPORARY);
	CHECK(strstr(s.text, "maildir: create tmp/") == s.text);
	CHECK(strstr(s.text, "Not a directory") != NULL);
	snprintf(path, sizeof(path), "%s/new", dir);
	CHECK_INT(count_files(path, NULL, 0), 0);
	done_with(t, dir);
}

/* the envelope is checked as for SMTP: nothing written, done not called */
TEST(maildir_refuses_bad_envelopes)
{
	const char *to[] = { "r@example.com\r\nBcc: victim@example.com" };
	struct smtp_envelope env = { "a@example.com", to, 1 };
	char *dir, path[600];
	struct smtp_transport *t = fresh(&dir);
	struct seen s = { 0 };

	CHECK(t != NULL);
	CHECK_INT(smtp_transport_submit(t, &env, "x\n", 2, SMTP_MSG_BORROW, on_done, &s),
		  NF_ERR_INVALID);
	CHECK_INT(s.calls, 0);
	snprintf(path, sizeof(path), "%s/new", dir);
	CHECK_INT(count_files(path, NULL, 0), 0);
	done_with(t, dir);
}

TEST(transport_open_rejects_unknown_urls)
{
	struct smtp_transport *t = NULL;
	char err[200];

	CHECK_INT(smtp_transport_open(&t, "ftp://x", NULL, err, sizeof(err)), NF_ERR_INVALID);
	CHECK(strstr(err, "unknown transport") != NULL);
	CHECK_INT(smtp_transport_open(&t, "maildir:", NULL, err, sizeof(err)), NF_ERR_INVALID);
	CHECK_INT(smtp_transport_open(&t, "smtp://", NULL, err, sizeof(err)), NF_ERR_INVALID);
	CHECK(t == NULL);
}
