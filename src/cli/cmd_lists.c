/*
 * cli/cmd_lists.c - newsflash lists [create NAME]
 *
 * Owns: the operator's lists from a shell. Bare, a table of every list with
 * its members (everyone not erased) and the confirmed among them; `create
 * NAME` makes a list, which is how a topic gets followers: an article's
 * topic "royal-family" reaches the list of that name (news_topic_list), and
 * the preference centre offers every list to follow. Creating a list that
 * exists changes nothing and says so.
 */
#include <stdlib.h>
#include <string.h>

#include "news/news.h"
#include "store/store.h"
#include "cli.h"

#define USAGE "newsflash lists [create NAME] [--db URL]"

static int
lists_show(struct store *s)
{
	struct store_list **ls = NULL;
	size_t n = 0, i;

	if (store_lists_all(s, &ls, &n) != NF_OK) {
		fprintf(stderr, "newsflash: lists: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	printf("%-6s %-32s %10s %10s\n", "id", "name", "members", "confirmed");
	for (i = 0; i < n; i++)
		printf("%-6lld %-32s %10lld %10lld\n", (long long)ls[i]->id, ls[i]->name,
		       (long long)ls[i]->members, (long long)ls[i]->confirmed);
	store_list_list_free(ls, n);
	return 0;
}

static int
lists_create(struct store *s, const char *name)
{
	int64_t id = 0;

	if (store_list_get(s, name, &id) == NF_OK) {
		printf("list %s exists (id %lld)\n", name, (long long)id);
		return 0;
	}
	if (store_list_ensure(s, name, &id) != NF_OK)
		return cli_fail("lists", "%s", store_errmsg(s));
	printf("list %s created (id %lld)\n", name, (long long)id);
	return 0;
}

/* a name that is not a list name: say which list the same words as a topic would name */
static int
bad_name(const char *name)
{
	char slug[NEWS_TOPIC_MAX + 1];

	if (news_topic_list(name, slug))
		return cli_fail("lists", "not a list name: \"%s\" (1-%d of a-z, 0-9, - and _); "
				"as a topic it names the list %s", name, STORE_LIST_NAME_MAX, slug);
	return cli_fail("lists", "not a list name: \"%s\" (1-%d of a-z, 0-9, - and _)", name,
			STORE_LIST_NAME_MAX);
}

int
cmd_lists(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	struct store *s;
	char **pos;
	int npos, rc;

	if ((rc = cli_db_option("lists", USAGE, argc - 1, argv + 1, &db, &pos, &npos)) != 0)
		return rc < 0 ? 0 : rc;
	if (!(npos == 0 || (npos == 2 && strcmp(pos[0], "create") == 0))) {
		free(pos);
		return cli_fail("lists", "usage: %s", USAGE);
	}
	if (npos == 2 && !store_list_name_ok(pos[1])) {
		rc = bad_name(pos[1]);
		free(pos);
		return rc;
	}
	if ((rc = cli_store_open("lists", db, &s)) != 0) {
		free(pos);
		return rc;
	}
	rc = npos == 2 ? lists_create(s, pos[1]) : lists_show(s);
	store_close(s);
	free(pos);
	return rc;
}
