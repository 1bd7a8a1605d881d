/*
 * core/config.c - configuration from flags and NEWSFLASH_* variables
 *
 * Owns: reading options. Every flag --some-flag can also be given as the
 * environment variable NEWSFLASH_SOME_FLAG; a flag on the command line wins
 * over the environment, which wins over the built-in default (what the
 * target held before config_parse). Lists (--dkim-key given twice) take
 * every occurrence; from the environment a list is comma-separated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const struct config_opt *
find_opt(const struct config_opt *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

static int
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return NF_ERR_INVALID;
	*out = v;
	return NF_OK;
}

static int
parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = 0;
	else
		return NF_ERR_INVALID;
	return NF_OK;
}

static void
list_add(struct config_list *l, const char *v)
{
	l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
	l->items[l->count++] = v;
}

void
config_list_free(struct config_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* set one option from text; where says where the text came from */
static int
set_value(const struct config_opt *o, const char *v, const char *where)
{
	int rc = NF_OK;

	switch (o->type) {
	case CONFIG_STRING:
		*(const char **)o->target = v;
		break;
	case CONFIG_INT:
		rc = parse_long(v, (long *)o->target);
		break;
	case CONFIG_BOOL:
		rc = parse_bool(v, (int *)o->target);
		break;
	case CONFIG_LIST:
		list_add(o->target, v);
		break;
	}
	if (rc)
		fprintf(stderr, "newsflash: %s: invalid value for --%s\n", where, o->name);
	return rc;
}

static void
env_name(const char *opt, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "NEWSFLASH_%s", opt), i;

	for (i = 10; i < n && i < size; i++)
		out[i] = out[i] == '-' ? '_' : (char)(out[i] >= 'a' && out[i] <= 'z' ? out[i] - 32 : out[i]);
}

/*
 * Environment list values are split at commas into a copy that lives for
 * the process: options are read once at start-up.
 */
static int
apply_env(const struct config_opt *o)
{
	char name[128], *copy, *item, *next;
	const char *v;

	env_name(o->name, name, sizeof(name));
	v = getenv(name);
	if (v == NULL)
		return NF_OK;
	if (o->type != CONFIG_LIST)
		return set_value(o, v, name);
	copy = xstrdup(v);
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (*item)
			list_add(o->target, item);
	}
	/* copy is owned by the list items now; released at exit */
	return NF_OK;
}

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "newsflash: %s: %s\n", what, arg);
	return NF_ERR_USAGE;
}

int
config_parse(const struct config_opt *opts, int argc, char **argv,
	     char ***pos, int *npos)
{
	const struct config_opt *o;
	int i, rc = NF_OK, only_pos = 0;

	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	*npos = 0;
	for (o = opts; o->name; o++)
		if ((rc = apply_env(o)) != NF_OK)
			return NF_ERR_USAGE;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *value = NULL;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			(*pos)[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (a[1] != '-')
			return usage_error("unknown option", a);
		eq = strchr(a + 2, '=');
		o = find_opt(opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o == NULL)
			return usage_error("unknown option", a);
		if (eq)
			value = eq + 1;
		else if (o->type == CONFIG_BOOL)
			value = "1";
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return usage_error("option needs a value", a);
		if (set_value(o, value, "command line"))
			return NF_ERR_USAGE;
	}
	return NF_OK;
}

void
config_usage(const struct config_opt *opts, FILE *to)
{
	char flag[96];

	for (; opts->name; opts++) {
		snprintf(flag, sizeof(flag), "--%s%s%s", opts->name,
			 opts->metavar ? " " : "", opts->metavar ? opts->metavar : "");
		fprintf(to, "  %-28s %s\n", flag, opts->help);
	}
}
