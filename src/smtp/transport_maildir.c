/*
 * smtp/transport_maildir.c - the Maildir transport: one file per message, readable by any mail client
 *
 * Owns: "maildir:PATH", the embedded default that lets newsflash run without
 * a relay. Follows the Maildir convention (cr.yp.to/proto/maildir.html):
 * each message is written to tmp/ under a name unique across time, process,
 * host and a counter, fsync'd, then renamed into new/, so a reader never
 * sees half a message. Missing PATH, cur/, new/ and tmp/ are created. The
 * envelope goes in front as Return-Path: and Delivered-To: header fields,
 * as a delivery agent writes them; the message itself is stored as given
 * (no dot-stuffing: that belongs to SMTP). smtp_transport_drain fsyncs
 * new/ so the renames are durable too.
 *
 * Submitting writes the file at once and calls done before returning:
 * accepted, or temporary with the system's error (a full disk is worth a
 * retry later). Does not own: the message's content.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "smtp_internal.h"

struct maildir {
	char *path;
	char host[128];
	int newfd;			/* new/, for fsync */
	unsigned long seq;
	int dirty;			/* renamed into new/ since the last fsync of it */
	struct smtp_stats stats;
};

/* mkdirs - mkdir -p, 0700: outgoing mail is nobody else's business */
static int
mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = NF_OK;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		{
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				rc = NF_ERR_IO;
			*s = c;
		}
		if (*s == '\0' || rc)
			break;
	}
	free(p);
	return rc;
}

/* host_part - the host name with '/' and ':' escaped as the convention asks */
static void
host_part(char *out, size_t size)
{
	char h[64];
	size_t i, o = 0;

	if (gethostname(h, sizeof(h) - 1) != 0)
		snprintf(h, sizeof(h), "localhost");
	h[sizeof(h) - 1] = '\0';
	for (i = 0; h[i] && o + 5 < size; i++) {
		if (h[i] == '/')
			o += (size_t)snprintf(out + o, size - o, "\\057");
		else if (h[i] == ':')
			o += (size_t)snprintf(out + o, size - o, "\\072");
		else
			out[o++] = h[i];
	}
	out[o] = '\0';
}

int
smtp_maildir_open(void **impl, const char *path, char *err, size_t errlen)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct maildir *m;
	struct buf b;
	size_t i;

	if (path[0] == '\0') {
		snprintf(err, errlen, "maildir: needs a path (maildir:PATH)");
		return NF_ERR_INVALID;
	}
	buf_init(&b, 0);
	for (i = 0; i < NF_ARRAY_LEN(sub); i++) {
		buf_reset(&b);
		buf_printf(&b, "%s/%s", path, sub[i]);
		if (mkdirs(b.data) != NF_OK) {
			snprintf(err, errlen, "maildir: cannot create %s: %s", b.data, strerror(errno));
			buf_free(&b);
			return NF_ERR_IO;
		}
	}
	m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path);
	host_part(m->host, sizeof(m->host));
	buf_reset(&b);
	buf_printf(&b, "%s/new", path);
	m->newfd = open(b.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf_free(&b);
	*impl = m;
	return NF_OK;
}

/* envelope_fields - Return-Path and Delivered-To, in the message's line ending */
static void
envelope_fields(struct buf *h, const struct smtp_job *job)
{
	const char *nl = memchr(job->msg, '\n', job->len);
	const char *eol = nl && nl > job->msg && nl[-1] == '\r' ? "\r\n" : "\n";
	size_t i;

	buf_printf(h, "Return-Path: <%s>%s", job->from, eol);
	for (i = 0; i < job->nrcpt; i++)
		buf_printf(h, "Delivered-To: %s%s", job->rcpt[i].addr, eol);
}

static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return NF_ERR_IO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return NF_OK;
}

/* store - tmp/NAME, fsync, rename to new/NAME; err says what failed */
static int
maildir_write(struct maildir *m, const struct smtp_job *job, char *name, size_t namelen,
      char *err, size_t errlen)
{
	struct timespec now;
	struct buf head, tmp, dst;
	struct iovec iov[2];
	int fd, rc = NF_ERR_IO;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, namelen, "%lld.M%ldP%ldQ%luR%016llx.%s", (long long)now.tv_sec,
		 now.tv_nsec / 1000, (long)getpid(), ++m->seq, (unsigned long long)random_u64(),
		 m->host);
	buf_init(&head, 0);
	buf_init(&tmp, 0);
	buf_init(&dst, 0);
	envelope_fields(&head, job);
	buf_printf(&tmp, "%s/tmp/%s", m->path, name);
	buf_printf(&dst, "%s/new/%s", m->path, name);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "maildir: create tmp/%s: %s", name, strerror(errno));
		goto out;
	}
	iov[0].iov_base = head.data;
	iov[0].iov_len = head.len;
	iov[1].iov_base = (void *)job->msg;
	iov[1].iov_len = job->len;
	if (write_all(fd, iov, 2) != NF_OK || fsync(fd) != 0) {
		snprintf(err, errlen, "maildir: write tmp/%s: %s", name, strerror(errno));
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	close(fd);
	if (rename(tmp.data, dst.data) != 0) {
		snprintf(err, errlen, "maildir: rename into new/: %s", strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	m->dirty = 1;
	rc = NF_OK;
out:
	buf_free(&head);
	buf_free(&tmp);
	buf_free(&dst);
	return rc;
}

static int
op_submit(void *impl, const struct smtp_envelope *env, const char *msg, size_t len,
	  enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	struct maildir *m = impl;
	struct smtp_job *job;
	char name[256], err[SMTP_TEXT_MAX], text[300];
	enum smtp_outcome o;
	int rc;

	/* the same envelope checks as SMTP: an address that is refused there
	   must not be written here either */
	if ((job = smtp_job_new(env, msg, len, own, done, arg, &rc)) == NULL)
		return rc;
	job->attempts = 1;
	m->stats.submitted++;
	if (maildir_write(m, job, name, sizeof(name), err, sizeof(err)) == NF_OK) {
		snprintf(text, sizeof(text), "new/%s", name);
		smtp_job_fail_open(job, SMTP_ACCEPTED, 0, "", text, strlen(text));
	} else {
		log_event(LOG_WARN, "maildir.write.failed", "why", err, NULL);
		smtp_job_fail_open(job, SMTP_TEMPORARY, 0, "", err, strlen(err));
	}
	o = smtp_job_report(job);
	m->stats.accepted += o == SMTP_ACCEPTED;
	m->stats.temporary += o == SMTP_TEMPORARY;
	smtp_job_free(job);
	return NF_OK;
}

static int
op_wait(void *impl, size_t want, int timeout_ms)
{
	NF_UNUSED(impl);
	NF_UNUSED(want);
	NF_UNUSED(timeout_ms);
	return 0;		/* nothing is ever waiting */
}

static int
op_drain(void *impl)
{
	struct maildir *m = impl;

	if (m->dirty && m->newfd >= 0 && fsync(m->newfd) != 0)
		return NF_ERR_IO;
	m->dirty = 0;
	return NF_OK;
}

static size_t
op_pending(void *impl)
{
	NF_UNUSED(impl);
	return 0;
}

static void
op_stats(void *impl, struct smtp_stats *out)
{
	*out = ((struct maildir *)impl)->stats;
}

static void
op_free(void *impl)
{
	struct maildir *m = impl;

	op_drain(m);
	if (m->newfd >= 0)
		close(m->newfd);
	free(m->path);
	free(m);
}

const struct smtp_transport_ops smtp_maildir_ops = {
	"maildir", op_submit, op_wait, op_drain, op_pending, op_stats, op_free,
};
