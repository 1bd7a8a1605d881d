/*
 * cli/sender.c - who mail comes from: the options every mail-sending command shares
 *
 * Owns: turning --from, --base-url, --publication, --templates,
 * --secret-file and the repeatable --dkim-key/--dkim-domain/--dkim-selector
 * triples into a struct mail_sender with its keys loaded. serve, worker,
 * publish and message compose all take these, so they read them one way.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "cli.h"

void
cli_sender_defaults(struct cli_sender *s)
{
	memset(s, 0, sizeof(*s));
	s->from = "Breaking News <alerts@localhost>";
	s->publication = "newsflash";
	s->templates = NEWSFLASH_TEMPLATES_DIR;
	s->secret_file = "var/secret";
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
