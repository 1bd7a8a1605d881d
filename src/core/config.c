/*
 * core/config.c - options from flags, NEWSFLASH_* variables and a file
 *
 * Owns: reading options, and the one order of precedence every command
 * follows. For an option --some-flag:
 *
 *   1. --some-flag VALUE (or --some-flag=VALUE) on the command line
 *   2. NEWSFLASH_SOME_FLAG in the environment
 *   3. some-flag = VALUE in the configuration file (--config FILE, else the
 *      file NEWSFLASH_CONFIG names, else the installed one when it is
 *      there; the syntax is in config_file.c)
 *   4. the built-in default: what the target held before config_parse
 *
 * The sources are applied weakest first, each one over the last, and each
 * option remembers the strongest source that set it, so that a list (a
 * repeatable flag such as --dkim-key) is replaced, not extended, by a
 * stronger source: three keys in the file and one on the command line give
 * one key. Inside one source a list takes every occurrence; from the
 * environment a list is comma-separated.
 *
 * Strings taken from the environment or the file are copied into an arena
 * that lives as long as the process: options are read once, at start-up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

enum source { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG };

/* one config_parse call */
struct parse {
	const struct config_opt *opts;
	unsigned char *level;		/* per option: the source that set it last */
	unsigned flags;
	struct buf *problems;
	int nproblems;
};

static struct arena *config_mem;	/* process lifetime, reachable: not a leak */
static const char *config_path;
static const char *config_default_path;	/* read when neither --config nor NEWSFLASH_CONFIG says */
static const char *config_default_skipped;	/* why it was not read, for config_origin */

/* where each option of the last parse got its value, for config_origin */
#define ORIGINS_MAX 96
static struct origin {
	const char *name, *where, *raw;	/* raw: "--NAME", the variable, or FILE:LINE */
} origins[ORIGINS_MAX];
static size_t norigins;

static char *
keep(const char *s, size_t n)
{
	if (config_mem == NULL)
		config_mem = arena_new(0);
	return arena_strndup(config_mem, s, n);
}

const char *
config_file_used(void)
{
	return config_path;
}

void
config_default_file(const char *path)
{
	config_default_path = path;
}

/* remember that option name was last set from where (flag, variable or FILE:LINE) */
static void
origin_set(const char *name, enum source src, const char *where)
{
	char text[4300];
	size_t i;

	if (src == SRC_FLAG)
		snprintf(text, sizeof(text), "the flag --%s", name);
	else if (src == SRC_ENV)
		snprintf(text, sizeof(text), "the environment (%s)", where);
	else
		snprintf(text, sizeof(text), "the configuration file (%s)", where);
	for (i = 0; i < norigins; i++)
		if (strcmp(origins[i].name, name) == 0)
			break;
	if (i == ORIGINS_MAX)
		return;
	if (i == norigins)
		origins[norigins++].name = name;
	origins[i].where = keep(text, strlen(text));
	if (src == SRC_FLAG)
		snprintf(text, sizeof(text), "--%s", name);
	else
		snprintf(text, sizeof(text), "%s", where);
	origins[i].raw = keep(text, strlen(text));
}

const char *
config_where(const char *name)
{
	size_t i;

	for (i = 0; i < norigins; i++)
		if (strcmp(origins[i].name, name) == 0)
			return origins[i].raw;
	return NULL;
}

const char *
config_origin(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < norigins; i++)
		if (strcmp(origins[i].name, name) == 0)
			return origins[i].where;
	if (config_path)
		snprintf(buf, len, "the built-in default (%s has no %s line)", config_path, name);
	else if (config_default_skipped)
		snprintf(buf, len, "the built-in default (no configuration file: %s)", config_default_skipped);
	else
		snprintf(buf, len, "the built-in default (no configuration file: no --config, no NEWSFLASH_CONFIG)");
	return buf;
}

/* problem - record one; 1 when the caller should stop (not KEEP_GOING) */
static int
problem(struct parse *p, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
problem(struct parse *p, const char *where, const char *fmt, ...)
{
	struct buf line;
	va_list ap;

	buf_init(&line, 8192);
	buf_printf(&line, "%s: ", where);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (p->problems)
		buf_printf(p->problems, "%s\n", line.data);
	else
		fprintf(stderr, "newsflash: %s\n", line.data);
	buf_free(&line);
	p->nproblems++;
	return !(p->flags & CONFIG_KEEP_GOING);
}

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

static const char *
type_name(enum config_type t)
{
	return t == CONFIG_INT ? "an integer" : t == CONFIG_BOOL ? "yes or no" : "text";
}

/*
 * set_value - one option from text, from source src. A list set by a
 * weaker source before is emptied first: the stronger source replaces it.
 * Returns 1 when parsing should stop.
 */
static int
set_value(struct parse *p, const struct config_opt *o, const char *v, enum source src,
	  const char *where)
{
	size_t idx = (size_t)(o - p->opts);
	int rc = NF_OK;

	if (o->type == CONFIG_LIST && p->level[idx] < src)
		((struct config_list *)o->target)->count = 0;
	p->level[idx] = (unsigned char)src;
	origin_set(o->name, src, where);
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
	if (rc == NF_OK)
		return 0;
	/* only integers and booleans fail, so the value is no secret */
	return problem(p, where, "invalid value \"%.40s\" for %s (%s)", v, o->name,
		       type_name(o->type));
}

static void
env_name(const char *opt, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "NEWSFLASH_%s", opt), i;

	for (i = 10; i < n && i < size; i++)
		out[i] = out[i] == '-' ? '_' : (char)(out[i] >= 'a' && out[i] <= 'z' ? out[i] - 32 : out[i]);
}

static int
apply_env(struct parse *p, const struct config_opt *o)
{
	char name[128], *copy, *item, *next;
	const char *v;

	env_name(o->name, name, sizeof(name));
	v = getenv(name);
	if (v == NULL)
		return 0;
	if (o->type != CONFIG_LIST)
		return set_value(p, o, keep(v, strlen(v)), SRC_ENV, name);
	copy = keep(v, strlen(v));
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (*item && set_value(p, o, item, SRC_ENV, name))
			return 1;
	}
	return 0;
}

/* the file's text, up to CONFIG_FILE_MAX; a problem when it cannot be read */
static int
read_file(struct parse *p, const char *path, struct buf *text)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc = NF_OK;

	if (f == NULL) {
		problem(p, path, "cannot read the configuration file: %s", strerror(errno));
		return NF_ERR_IO;
	}
	while (rc == NF_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(text, chunk, n);
	if (rc == NF_OK && ferror(f))
		rc = NF_ERR_IO;
	fclose(f);
	if (rc == NF_ERR_LIMIT)
		problem(p, path, "the configuration file is larger than %d bytes", CONFIG_FILE_MAX);
	else if (rc != NF_OK)
		problem(p, path, "cannot read the configuration file");
	return rc;
}

/* one entry of the file: a key this table has, or one it skips */
static int
apply_entry(struct parse *p, const char *path, const struct config_entry *e)
{
	const struct config_opt *o = find_opt(p->opts, e->key, e->key_len);
	char where[4200];

	snprintf(where, sizeof(where), "%s:%ld", path, e->line);
	if (o == NULL || strcmp(o->name, "help") == 0) {
		if (!(p->flags & CONFIG_STRICT_KEYS))
			return 0;
		return problem(p, where, "unknown key '%.*s'", (int)e->key_len, e->key);
	}
	return set_value(p, o, keep(e->value, e->value_len), SRC_FILE, where);
}

static int
apply_file(struct parse *p, const char *path)
{
	struct config_entry e;
	struct buf text;
	const char *why = "";
	char where[4200];
	size_t pos = 0;
	long line = 0;
	int rc, stop = 0;

	config_path = keep(path, strlen(path));
	buf_init(&text, CONFIG_FILE_MAX);
	if (read_file(p, path, &text) != NF_OK) {
		buf_free(&text);
		return !(p->flags & CONFIG_KEEP_GOING);
	}
	while (!stop && (rc = config_file_next(text.data ? text.data : "", text.len, &pos, &line,
					       &e, &why)) != NF_ERR_NOTFOUND) {
		snprintf(where, sizeof(where), "%s:%ld", path, e.line);
		stop = rc == NF_OK ? apply_entry(p, path, &e) : problem(p, where, "%s", why);
	}
	buf_free(&text);
	return stop;
}

/*
 * The file named by --config: the command line is walked as the main pass
 * walks it (values of options are skipped), so "--from --config" reads as
 * the sender "--config", not as a file.
 */
static int
find_config_flag(struct parse *p, int argc, char **argv, const char **path)
{
	const struct config_opt *o;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;

		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--", 2) != 0)
			continue;
		if (strncmp(a, "--config=", 9) == 0) {
			*path = a + 9;
			continue;
		}
		if (strcmp(a, "--config") == 0) {
			if (i + 1 >= argc)
				return problem(p, "--config", "option needs a value");
			*path = argv[++i];
			continue;
		}
		eq = strchr(a + 2, '=');
		o = find_opt(p->opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o && !eq && o->type != CONFIG_BOOL)
			i++;
	}
	return 0;
}

/*
 * default_file - the installed configuration, when NEWSFLASH_CONFIG is not
 * set at all (set but empty means: no file): read if it is there and
 * readable, else passed over with the reason kept for config_origin, so a
 * command run by a user who may not read it still runs on flags.
 */
static const char *
default_file(void)
{
	char why[4300];

	if (config_default_path == NULL || getenv("NEWSFLASH_CONFIG") != NULL)
		return NULL;
	if (access(config_default_path, R_OK) == 0)
		return config_default_path;
	snprintf(why, sizeof(why), "%s: %s", config_default_path, strerror(errno));
	config_default_skipped = keep(why, strlen(why));
	return NULL;
}

/* the command line, over what the file and the environment set */
static int
apply_flags(struct parse *p, int argc, char **argv, char **pos, int *npos)
{
	const struct config_opt *o;
	int i, only_pos = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *value = NULL;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			i += a[8] == '\0';	/* read before the file */
			continue;
		}
		eq = a[1] == '-' ? strchr(a + 2, '=') : NULL;
		o = a[1] == '-' ? find_opt(p->opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2)) : NULL;
		if (o == NULL) {
			if (problem(p, a, "unknown option"))
				return 1;
			continue;
		}
		if (eq)
			value = eq + 1;
		else if (o->type == CONFIG_BOOL)
			value = "1";
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			problem(p, a, "option needs a value");
			return 1;
		}
		if (set_value(p, o, value, SRC_FLAG, a))
			return 1;
	}
	return 0;
}

int
config_parse_ex(const struct config_opt *opts, int argc, char **argv,
		char ***pos, int *npos, unsigned flags, struct buf *problems)
{
	struct parse p = { opts, NULL, flags, problems, 0 };
	const struct config_opt *o;
	const char *path = getenv("NEWSFLASH_CONFIG");
	size_t n = 0;
	int stop = 0;

	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	*npos = 0;
	for (o = opts; o->name; o++)
		n++;
	p.level = xcalloc(n + 1, 1);
	config_path = NULL;
	config_default_skipped = NULL;
	norigins = 0;
	if (path && *path == '\0')
		path = NULL;
	else if (path == NULL)
		path = default_file();
	stop = find_config_flag(&p, argc, argv, &path);
	if (!stop && path)
		stop = apply_file(&p, path);
	for (o = opts; !stop && o->name; o++)
		stop = apply_env(&p, o);
	if (!stop)
		apply_flags(&p, argc, argv, *pos, npos);
	free(p.level);
	return p.nproblems ? NF_ERR_USAGE : NF_OK;
}

int
config_parse(const struct config_opt *opts, int argc, char **argv,
	     char ***pos, int *npos)
{
	return config_parse_ex(opts, argc, argv, pos, npos, 0, NULL);
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
	fprintf(to, "  %-28s %s\n", "--config FILE",
		"KEY = VALUE settings (NEWSFLASH_CONFIG); flags beat the environment beat the file");
	if (config_default_path)
		fprintf(to, "  %-28s else %s when it is there\n", "", config_default_path);
}
