/*
 * cli/sender.c - who mail comes from: the options every mail-sending command shares
 *
 * Owns: turning --from, --base-url, --publication, --templates,
 * --secret-file and the repeatable --dkim-key/--dkim-domain/--dkim-selector
 * triples into a struct mail_sender with its keys loaded. serve, worker,
 * publish and message compose all take these, so they read them one way.
 */
#include <errno.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mail/mail.h"
#include "tmpl/tmpl.h"
#include "cli.h"

void
cli_sender_defaults(struct cli_sender *s)
{
	memset(s, 0, sizeof(*s));
	s->from = "Breaking News <alerts@localhost>";
	s->publication = WEB_DEFAULT_PUBLICATION;
	s->templates = NULL;	/* cli_sender_build finds them */
	s->secret_file = CLI_DEFAULT_SECRET_FILE;
}

/* split "Display Name <addr@domain>" or a bare address */
static int
split_from(struct cli_sender *s)
{
	const char *lt = strrchr(s->from, '<'), *gt = strrchr(s->from, '>');
	size_t n;

	if (lt == NULL) {
		s->from_name_buf[0] = '\0';
		snprintf(s->from_addr_buf, sizeof(s->from_addr_buf), "%s", s->from);
		return NF_OK;
	}
	if (gt == NULL || gt < lt || gt[1] != '\0')
		return NF_ERR_INVALID;
	n = (size_t)(lt - s->from);
	while (n > 0 && s->from[n - 1] == ' ')
		n--;
	if (n >= sizeof(s->from_name_buf) || (size_t)(gt - lt - 1) >= sizeof(s->from_addr_buf))
		return NF_ERR_INVALID;
	memcpy(s->from_name_buf, s->from, n);
	s->from_name_buf[n] = '\0';
	memcpy(s->from_addr_buf, lt + 1, (size_t)(gt - lt - 1));
	s->from_addr_buf[gt - lt - 1] = '\0';
	return NF_OK;
}

static int
load_keys(const char *cmd, struct cli_sender *s)
{
	size_t i, n = s->dkim_keys.count;

	if (s->dkim_domains.count != n || s->dkim_selectors.count != n)
		return cli_fail(cmd, "give --dkim-key, --dkim-domain and --dkim-selector together, once per key");
	if (n > MAIL_KEYS_MAX)
		return cli_fail(cmd, "at most %d DKIM keys", MAIL_KEYS_MAX);
	for (i = 0; i < n; i++) {
		if (mail_dkim_key_load(s->dkim_keys.items[i], s->dkim_domains.items[i],
				       s->dkim_selectors.items[i], &s->keys[i]) != NF_OK)
			return cli_fail(cmd, "cannot load DKIM key %s", s->dkim_keys.items[i]);
		s->nkeys++;
	}
	return 0;
}

/*
 * cli_sender_build - check the options and fill s->sender; 0, or the exit
 * status after a line on stderr. base_url NULL takes fallback_base_url.
 */
int
cli_sender_build(const char *cmd, struct cli_sender *s, const char *fallback_base_url)
{
	int rc;

	if (split_from(s) != NF_OK)
		return cli_fail(cmd, "--from must be an address or \"Name <address>\"");
	if (cli_secret_load(s->secret_file, &s->key) != NF_OK)
		return EXIT_PROBLEM;
	if ((rc = load_keys(cmd, s)) != 0)
		return rc;
	if ((rc = cli_templates_find(cmd, &s->templates)) != 0)
		return rc;
	s->sender.from_name = s->from_name_buf;
	s->sender.from_addr = s->from_addr_buf;
	s->sender.base_url = s->base_url ? s->base_url : fallback_base_url;
	s->sender.publication = s->publication;
	s->sender.templates_dir = s->templates;
	s->sender.secret = &s->key;
	s->sender.keys = s->keys;
	s->sender.nkeys = s->nkeys;
	if (mail_sender_check(&s->sender) != NF_OK)
		return cli_fail(cmd, "the sender settings (--from, --base-url, --publication) are not usable in mail headers");
	return 0;
}

void
cli_sender_free(struct cli_sender *s)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		mail_dkim_key_free(s->keys[i]);
	s->nkeys = 0;
	config_list_free(&s->dkim_keys);
	config_list_free(&s->dkim_domains);
	config_list_free(&s->dkim_selectors);
}

static void
problem(struct buf *problems, const char *flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct buf *problems, const char *flag, const char *fmt, ...)
{
	va_list ap;

	buf_printf(problems, "%s: ", flag);
	va_start(ap, fmt);
	buf_vprintf(problems, fmt, ap);
	va_end(ap);
	buf_putc(problems, '\n');
}

/* the templates mail and the pages are made from, each compiled once */
static void
check_templates(const char *dir, struct buf *problems)
{
	static const struct {
		const char *name;
		int html;
	} names[] = {
		{ "alert.txt", 0 }, { "alert.html", 1 }, { "confirm.txt", 0 }, { "confirm.html", 1 },
		{ "signup.html", 1 }, { "thanks.html", 1 }, { "error.html", 1 },
		{ "confirm-page.html", 1 }, { "confirmed.html", 1 }, { "privacy.html", 1 },
	};
	struct tmpl *t;
	size_t i;

	if (access(dir, R_OK | X_OK) != 0) {
		problem(problems, "--templates", "cannot read the folder %s: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < NF_ARRAY_LEN(names); i++) {
		t = NULL;
		if (mail_template_load(dir, names[i].name, names[i].html, &t) != NF_OK)
			problem(problems, "--templates", "%s/%s.mustache is missing or does not compile",
				dir, names[i].name);
		tmpl_free(t);
	}
}

void
cli_sender_check(const struct cli_sender *s, struct buf *problems)
{
	struct cli_sender copy = *s;
	struct mail_dkim_key *k;
	const char *dir = NULL;
	char err[512];
	size_t i, n = s->dkim_keys.count;

	if (split_from(&copy) != NF_OK)
		problem(problems, "--from", "must be an address or \"Name <address>\"");
	if (s->base_url && strncmp(s->base_url, "http://", 7) && strncmp(s->base_url, "https://", 8))
		problem(problems, "--base-url", "must start with http:// or https://");
	if (cli_secret_check(s->secret_file, err, sizeof(err)) != NF_OK)
		problem(problems, "--secret-file", "%s", err);
	if (s->dkim_domains.count != n || s->dkim_selectors.count != n)
		problem(problems, "--dkim-key", "%zu keys, %zu domains, %zu selectors: give the three "
			"together, once per key", n, s->dkim_domains.count, s->dkim_selectors.count);
	for (i = 0; i < n; i++) {
		k = NULL;
		if (i < s->dkim_domains.count && i < s->dkim_selectors.count &&
		    mail_dkim_key_load(s->dkim_keys.items[i], s->dkim_domains.items[i],
				       s->dkim_selectors.items[i], &k) != NF_OK)
			problem(problems, "--dkim-key", "cannot use %s (unreadable, not an RSA or Ed25519 "
				"private key, or a bad domain or selector)", s->dkim_keys.items[i]);
		mail_dkim_key_free(k);
	}
	if (s->templates == NULL && cli_templates_find("config", &dir) != 0)
		problem(problems, "--templates", "no template folder found (see the line above)");
	else
		check_templates(s->templates ? s->templates : dir, problems);
}

/* local_domain - localhost, a name under it, or a bare name with no dot */
static int
local_domain(const char *d)
{
	size_t n = strlen(d);

	return strcasecmp(d, "localhost") == 0 || strchr(d, '.') == NULL ||
	       (n > 10 && strcasecmp(d + n - 10, ".localhost") == 0);
}

/* loopback_url - a URL whose host is this machine: localhost, 127.0.0.0/8, [::1] or 0.0.0.0 */
static int
loopback_url(const char *url)
{
	const char *h = strstr(url, "://");
	char host[256];
	size_t n;

	if (h == NULL)
		return 0;
	h += 3;
	n = strcspn(h, "/?#");
	if (n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (host[0] == '[')
		return strncmp(host, "[::1]", 5) == 0;
	host[strcspn(host, ":")] = '\0';
	return local_domain(host) || strncmp(host, "127.", 4) == 0 || strcmp(host, "0.0.0.0") == 0;
}

/*
 * org_domain - DMARC's organizational domain (RFC 7489 3.2): the
 * registrable domain by the Public Suffix List (libpsl: Debian's list in
 * /usr/share/publicsuffix when newer than its own); the domain itself
 * when the list knows no such thing (localhost, a bare suffix).
 */
static const char *
org_domain(const psl_ctx_t *psl, const char *domain)
{
	const char *r = psl ? psl_registrable_domain(psl, domain) : NULL;

	return r ? r : domain;
}

void
cli_sender_warn(const struct cli_sender *s, struct buf *warnings)
{
	struct cli_sender copy = *s;
	const char *from_domain, *from_org;
	psl_ctx_t *psl;
	size_t i;
	int aligned = 0;

	if (s->base_url == NULL)
		buf_puts(warnings, "--base-url: not set: links in mail lead to http://LISTEN, which "
			 "readers elsewhere cannot reach\n");
	else if (loopback_url(s->base_url))
		buf_puts(warnings, "--base-url: is on this machine (loopback): readers cannot follow "
			 "its links\n");
	if (s->base_url && strncasecmp(s->base_url, "http://", 7) == 0)
		buf_puts(warnings, "--base-url: is http: mail clients offer one-click unsubscribe "
			 "(RFC 8058) only for an https link\n");
	if (split_from(&copy) != NF_OK || (from_domain = mail_addr_domain(copy.from_addr_buf)) == NULL)
		return;
	if (local_domain(from_domain))
		buf_printf(warnings, "--from: is at %s: receivers refuse mail from a domain that is "
			   "not in DNS\n", from_domain);
	if (s->dkim_domains.count == 0)
		return;
	psl = psl_latest(NULL);
	from_org = org_domain(psl ? psl : psl_builtin(), from_domain);
	for (i = 0; i < s->dkim_domains.count; i++)
		aligned |= strcasecmp(org_domain(psl ? psl : psl_builtin(), s->dkim_domains.items[i]),
				      from_org) == 0;
	if (!aligned)
		buf_printf(warnings, "--from: its domain %s is not aligned with any --dkim-domain "
			   "(relaxed alignment: the same organizational domain, %s): DMARC fails, and "
			   "receivers with p=reject or p=quarantine refuse or bin the mail\n",
			   from_domain, from_org);
	psl_free(psl);
}
