/*
 * smtp/transport.c - the one interface to send mail through, chosen by URL
 *
 * Owns: smtp_transport_*: picking the implementation from the URL
 * ("smtp://" and "smtps://": a relay pool, smtp/transport_smtp.c;
 * "direct": the same pool routing to each domain's MX hosts, smtp/direct.c;
 * "maildir:PATH": files, smtp/transport_maildir.c; a prefix given to
 * smtp_transport_register: the caller's own kind) and calling it through
 * its table of operations, as OpenSMTPD's queue backends are called.
 * Callers see neither the pool nor the files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

struct smtp_transport {
	const struct smtp_transport_ops *ops;
	void *impl;
};

/* the kinds registered at run time: written before any open, read after */
static struct {
	char prefix[32];
	smtp_transport_open_fn open;
	const struct smtp_transport_ops *ops;
} kinds[SMTP_TRANSPORT_KINDS_MAX];
static size_t nkinds;

int
smtp_transport_register(const char *prefix, smtp_transport_open_fn open,
			const struct smtp_transport_ops *ops)
{
	size_t i;

	if (strlen(prefix) >= sizeof(kinds[0].prefix))
		return NF_ERR_INVALID;
	for (i = 0; i < nkinds && strcasecmp(kinds[i].prefix, prefix) != 0; i++)
		;
	if (i == SMTP_TRANSPORT_KINDS_MAX)
		return NF_ERR_LIMIT;
	snprintf(kinds[i].prefix, sizeof(kinds[i].prefix), "%s", prefix);
	kinds[i].open = open;
	kinds[i].ops = ops;
	if (i == nkinds)
		nkinds++;
	return NF_OK;
}

int
smtp_transport_open(struct smtp_transport **out, const char *url,
		    const struct smtp_options *opt, char *err, size_t errlen)
{
	const struct smtp_transport_ops *ops;
	void *impl = NULL;
	size_t i;
	int rc;

	for (i = 0; i < nkinds; i++)
		if (strncasecmp(url, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			break;

	if (i < nkinds) {
		ops = kinds[i].ops;
		rc = kinds[i].open(&impl, url, opt, err, errlen);
	} else if (strncasecmp(url, "maildir:", 8) == 0) {
		ops = &smtp_maildir_ops;
		rc = smtp_maildir_open(&impl, url + 8, err, errlen);
	} else if (strcasecmp(url, "direct") == 0) {
		ops = &smtp_direct_ops;
		rc = smtp_relay_open(&impl, url, opt, err, errlen);
	} else if (strncasecmp(url, "smtp://", 7) == 0 || strncasecmp(url, "smtps://", 8) == 0) {
		ops = &smtp_relay_ops;
		rc = smtp_relay_open(&impl, url, opt, err, errlen);
	} else {
		snprintf(err, errlen, "unknown transport: expected smtp://, smtps://, direct or maildir:PATH");
		return NF_ERR_INVALID;
	}
	if (rc != NF_OK)
		return rc;
	*out = xcalloc(1, sizeof(**out));
	(*out)->ops = ops;
	(*out)->impl = impl;
	return NF_OK;
}

int
smtp_transport_submit(struct smtp_transport *t, const struct smtp_envelope *env,
		      const char *msg, size_t len, enum smtp_msg_own own,
		      smtp_done_fn done, void *arg)
{
	return t->ops->submit(t->impl, env, msg, len, own, done, arg);
}

int
smtp_transport_wait(struct smtp_transport *t, int timeout_ms)
{
	return t->ops->wait(t->impl, 1, timeout_ms);
}

int
smtp_transport_wait_for(struct smtp_transport *t, size_t want, int timeout_ms)
{
	return t->ops->wait(t->impl, want > 0 ? want : 1, timeout_ms);
}

int
smtp_transport_drain(struct smtp_transport *t)
{
	return t->ops->drain(t->impl);
}

size_t
smtp_transport_pending(struct smtp_transport *t)
{
	return t->ops->pending(t->impl);
}

void
smtp_transport_stats(struct smtp_transport *t, struct smtp_stats *out)
{
	t->ops->stats(t->impl, out);
}

const char *
smtp_transport_name(const struct smtp_transport *t)
{
	return t->ops->name;
}

void
smtp_transport_free(struct smtp_transport *t)
{
	if (t == NULL)
		return;
	t->ops->free(t->impl);
	free(t);
}
