/*
 * cli/cmd_embed.c - newsflash embed snippet: the signup box for publishers' pages
 *
 * Owns: printing the HTML a publisher pastes into its article template:
 * the form (the signup page's fields and texts), the error template and
 * the <script> tag with its versioned URL and integrity value, made by
 * web_embed_snippet from the templates serve uses. Reads --base-url,
 * --publication and --templates as serve does (flags, NEWSFLASH_*, the
 * configuration file), so the snippet points at the running service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "web/web.h"
#include "cli.h"

static int
embed_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash embed snippet [--list LIST] [--base-url URL] [--publication NAME]\n\n"
		    "Prints the HTML that puts the signup box on a publisher's own pages: paste it\n"
		    "into the article template, and list the site with serve's --embed-origin.\n\n");
	config_usage(opts, to);
	return rc;
}

int
cmd_embed(int argc, char **argv)
{
	const char *base_url = NULL, *publication = WEB_DEFAULT_PUBLICATION, *templates = NULL;
	const char *list = NULL;
	int help = 0, npos = 0, rc;
	const struct config_opt opts[] = {
		{ "base-url", CONFIG_STRING, &base_url, "URL", "newsflash's public URL (the serve's --base-url)" },
		{ "publication", CONFIG_STRING, &publication, "NAME", "the publication's name in the box" },
		{ "templates", CONFIG_STRING, &templates, "DIR", "the templates serve uses (embed.js, embed-snippet.html)" },
		{ "list", CONFIG_STRING, &list, "LIST", "signups from this box join LIST (breaking-news)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct web_embed_in in;
	struct buf out;
	char **pos = NULL, url[512];
	size_t n;

	if (argc < 2 || strcmp(argv[1], "snippet") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
			return embed_usage(opts, stdout, 0);
		return cli_fail("embed", "expected a subcommand: snippet");
	}
	if (config_parse(opts, argc - 2, argv + 2, &pos, &npos) != NF_OK) {
		free(pos);
		return embed_usage(opts, stderr, EXIT_USAGE);
	}
	free(pos);
	if (help)
		return embed_usage(opts, stdout, 0);
	if (npos > 0)
		return cli_fail("embed", "snippet takes no arguments");
	if (base_url == NULL || (strncmp(base_url, "https://", 8) != 0 && strncmp(base_url, "http://", 7) != 0))
		return cli_fail("embed", "--base-url: newsflash's public http:// or https:// URL is needed");
	if (list && !store_list_name_ok(list))
		return cli_fail("embed", "--list: not a list name (lower-case letters, digits and -)");
	if ((rc = cli_templates_find("embed", &templates)) != 0)
		return rc;
	n = strlen(base_url);
	while (n > 0 && base_url[n - 1] == '/')
		n--;
	if (n >= sizeof(url) || memchr(base_url, '"', n) || memchr(base_url, '<', n))
		return cli_fail("embed", "--base-url: not a usable URL");
	snprintf(url, sizeof(url), "%.*s", (int)n, base_url);
	in.templates_dir = templates;
	in.base_url = url;
	in.publication = publication;
	in.list = list;
	buf_init(&out, 0);
	rc = web_embed_snippet(&in, &out);
	if (rc == NF_OK)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return rc == NF_OK ? 0 : EXIT_PROBLEM;
}
