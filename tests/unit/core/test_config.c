/* tests for core/config.c (sources and precedence) and core/config_file.c (the syntax) */
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "../../harness.h"

/* the entries of text as "key=value@line;" and errors as "!line;" */
static void
entries(const char *text, size_t len, struct buf *out)
{
	struct config_entry e;
	const char *why;
	size_t pos = 0;
	long line = 0;
	int rc;

	buf_reset(out);
	while ((rc = config_file_next(text, len, &pos, &line, &e, &why)) != NF_ERR_NOTFOUND) {
		if (rc == NF_OK)
			buf_printf(out, "%.*s=%.*s@%ld;", (int)e.key_len, e.key, (int)e.value_len,
				   e.value, e.line);
		else
			buf_printf(out, "%s%ld;", rc == NF_ERR_LIMIT ? "!!" : "!", e.line);
	}
}

#define ENTRIES(text, want)				\
	do {						\
		entries(text, sizeof(text) - 1, &out);	\
		CHECK_STR(out.data ? out.data : "", want);	\
	} while (0)

TEST(config_file_syntax)
{
	struct buf out;

	buf_init(&out, 0);
	ENTRIES("", "");
	ENTRIES("listen = 127.0.0.1:1\n", "listen=127.0.0.1:1@1;");
	ENTRIES("  # comment\n\n\tdb=sqlite:x.db  \r\nfrom = \"A B <a@b>\"",
		"db=sqlite:x.db@3;from=A B <a@b>@4;");
	/* '#' inside a value is kept; quotes keep blanks at the ends */
	ENTRIES("transport = smtp://u:p#w@h\nbase-url = \" x \"\n",
		"transport=smtp://u:p#w@h@1;base-url= x @2;");
	ENTRIES("empty =\n", "empty=@1;");
	/* a '#' after a blank, outside quotes, starts a comment */
	ENTRIES("listen = 127.0.0.1:1   # loopback only\nfrom = \"A # B <a@b>\" # quoted\n",
		"listen=127.0.0.1:1@1;from=A # B <a@b>@2;");
	/* one that is not after a blank inside the value is the value's own */
	ENTRIES("pass = a#b\tc = x\t# tab\nd = #x\n", "pass=a#b\tc = x@1;d=#x@2;");
	/* malformed lines are reported with their number, and the rest is read */
	ENTRIES("Listen = x\nno equals\n-x = 1\n= 1\nok = 1\n", "!1;!2;!3;!4;ok=1@5;");
	ENTRIES("a = b\x01c\nb = 2\n", "!1;b=2@2;");
	ENTRIES("\xef\xbb\xbfkey = v\n", "key=v@1;");
	ENTRIES("a = \"\n", "a=\"@1;");
	buf_free(&out);
}

TEST(config_file_line_ceiling)
{
	size_t n = CONFIG_LINE_MAX + 10;
	char *text = xmalloc(n + 8);
	struct buf out;

	memset(text, 'a', n);
	memcpy(text, "k = ", 4);
	memcpy(text + n, "\nb = 1\n", 7);
	buf_init(&out, 0);
	entries(text, n + 7, &out);
	CHECK_STR(out.data, "!!1;b=1@2;");
	free(text);
	buf_free(&out);
}

struct fixture {
	const char *listen, *from, *db;
	long workers;
	int trust;
	struct config_list keys;
};

static char conf_path[64];

static void
write_conf(const char *text)
{
	FILE *f;

	snprintf(conf_path, sizeof(conf_path), "/tmp/nf-conf-%d", (int)getpid());
	f = fopen(conf_path, "w");
	fputs(text, f);
	fclose(f);
}

#define FIXTURE_OPTS(x)								\
	const struct config_opt opts[] = {					\
		{ "listen", CONFIG_STRING, &(x).listen, "ADDR", "where" },	\
		{ "from", CONFIG_STRING, &(x).from, "ADDR", "sender" },		\
		{ "db", CONFIG_STRING, &(x).db, "URL", "db" },			\
		{ "workers", CONFIG_INT, &(x).workers, "N", "workers" },	\
		{ "trust-proxy", CONFIG_BOOL, &(x).trust, NULL, "trust" },	\
		{ "dkim-key", CONFIG_LIST, &(x).keys, "FILE", "keys" },		\
		{ 0, 0, 0, 0, 0 }						\
	}

/* flag > environment > file > default, option by option */
TEST(config_precedence_flag_env_file_default)
{
	struct fixture x = { "default:1", "default-from", "default-db", 1, 0, { 0, 0 } };
	FIXTURE_OPTS(x);
	char *argv[] = { "--config", conf_path, "--listen", "flag:1" };
	char **pos;
	int npos;

	write_conf("listen = file:1\nfrom = file-from\nworkers = 3\ntrust-proxy = yes\n");
	setenv("NEWSFLASH_LISTEN", "env:1", 1);
	setenv("NEWSFLASH_FROM", "env-from", 1);
	CHECK_INT(config_parse(opts, 4, argv, &pos, &npos), NF_OK);
	unsetenv("NEWSFLASH_LISTEN");
	unsetenv("NEWSFLASH_FROM");
	unlink(conf_path);
	CHECK_STR(x.listen, "flag:1");		/* flag over env and file */
	CHECK_STR(x.from, "env-from");		/* env over file */
	CHECK_INT(x.workers, 3);		/* file over default */
	CHECK_INT(x.trust, 1);
	CHECK_STR(x.db, "default-db");		/* nobody set it */
	CHECK_INT(npos, 0);
	CHECK_STR(config_file_used(), conf_path);
	free(pos);
}

/* a list from a stronger source replaces the weaker one's, it does not add to it */
TEST(config_lists_replace_across_sources_and_repeat_within)
{
	struct fixture x = { "", "", "", 1, 0, { 0, 0 } };
	FIXTURE_OPTS(x);
	char *argv[] = { "--dkim-key", "flag.pem" };
	char *none[] = { "x" };
	char **pos;
	int npos;

	write_conf("dkim-key = a.pem\ndkim-key = b.pem\n");
	setenv("NEWSFLASH_CONFIG", conf_path, 1);
	CHECK_INT(config_parse(opts, 0, none, &pos, &npos), NF_OK);
	free(pos);
	CHECK_INT(x.keys.count, 2);
	CHECK_STR(x.keys.items[0], "a.pem");
	CHECK_STR(x.keys.items[1], "b.pem");
	config_list_free(&x.keys);
	setenv("NEWSFLASH_DKIM_KEY", "e1.pem,e2.pem,e3.pem", 1);
	CHECK_INT(config_parse(opts, 0, none, &pos, &npos), NF_OK);
	free(pos);
	CHECK_INT(x.keys.count, 3);
	CHECK_STR(x.keys.items[2], "e3.pem");
	config_list_free(&x.keys);
	CHECK_INT(config_parse(opts, 2, argv, &pos, &npos), NF_OK);
	free(pos);
	unsetenv("NEWSFLASH_DKIM_KEY");
	unsetenv("NEWSFLASH_CONFIG");
	unlink(conf_path);
	CHECK_INT(x.keys.count, 1);
	CHECK_STR(x.keys.items[0], "flag.pem");
	config_list_free(&x.keys);
}

/* --config beats NEWSFLASH_CONFIG; a value after another flag is not a --config */
TEST(config_flag_names_the_file)
{
	struct fixture x = { "", "", "", 1, 0, { 0, 0 } };
	FIXTURE_OPTS(x);
	char *argv[] = { "--from", "--config", "--config=/nonexistent/nf.conf" };
	char **pos;
	int npos;
	struct buf problems;

	buf_init(&problems, 0);
	CHECK_INT(config_parse_ex(opts, 3, argv, &pos, &npos, 0, &problems), NF_ERR_USAGE);
	free(pos);
	CHECK_STR(x.from, "");			/* stopped before the flags */
	CHECK(strstr(problems.data, "/nonexistent/nf.conf: cannot read") != NULL);
	buf_free(&problems);
}

/* every problem at once, with where it is: file lines, variables, flags */
TEST(config_keep_going_reports_every_problem)
{
	struct fixture x = { "", "", "", 1, 0, { 0, 0 } };
	FIXTURE_OPTS(x);
	char *argv[] = { "--config", conf_path, "--nope", "--workers", "x" };
	char **pos;
	int npos;
	struct buf problems;

	write_conf("listen = a:1\nlisten-typo = 1\nworkers = many\nbroken line\ntrust-proxy = maybe\n"
		   "help = yes\n");
	setenv("NEWSFLASH_FROM", "fine", 1);
	setenv("NEWSFLASH_WORKERS", "lots", 1);
	buf_init(&problems, 0);
	CHECK_INT(config_parse_ex(opts, 5, argv, &pos, &npos, CONFIG_KEEP_GOING | CONFIG_STRICT_KEYS,
				  &problems), NF_ERR_USAGE);
	unsetenv("NEWSFLASH_FROM");
	unsetenv("NEWSFLASH_WORKERS");
	free(pos);
	CHECK(strstr(problems.data, ":2: unknown key 'listen-typo'\n") != NULL);
	CHECK(strstr(problems.data, ":3: invalid value \"many\" for workers (an integer)\n") != NULL);
	CHECK(strstr(problems.data, ":4: expected '=' after the key\n") != NULL);
	CHECK(strstr(problems.data, ":5: invalid value \"maybe\" for trust-proxy") != NULL);
	CHECK(strstr(problems.data, ":6: unknown key 'help'\n") != NULL);
	CHECK(strstr(problems.data, "NEWSFLASH_WORKERS: invalid value \"lots\"") != NULL);
	CHECK(strstr(problems.data, "--nope: unknown option\n") != NULL);
	CHECK(strstr(problems.data, "--workers: invalid value \"x\"") != NULL);
	CHECK_STR(x.listen, "a:1");		/* the good lines still count */
	CHECK_STR(x.from, "fine");
	buf_free(&problems);
	unlink(conf_path);
}

/* without STRICT_KEYS a key this command lacks is skipped: one file serves every command */
TEST(config_file_keys_of_other_commands_are_skipped)
{
	struct fixture x = { "", "", "", 1, 0, { 0, 0 } };
	FIXTURE_OPTS(x);
	char *argv[] = { "--config", conf_path };
	char **pos;
	int npos;

	write_conf("consent-source = import\ndb = sqlite:file.db\n");
	CHECK_INT(config_parse(opts, 2, argv, &pos, &npos), NF_OK);
	free(pos);
	unlink(conf_path);
	CHECK_STR(x.db, "sqlite:file.db");
}
