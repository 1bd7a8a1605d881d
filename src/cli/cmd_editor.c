/*
 * cli/cmd_editor.c - newsflash editor add|passwd|list|remove: the newsroom's accounts
 *
 * Owns: making editors who can sign in at /newsroom, giving one a new
 * password, listing them, and removing one (their sessions end with them). The password is read from the terminal with
 * echo off (asked twice), or as one line from standard input when that is
 * not a terminal (for scripts: `printf '%s\n' "$pw" | newsflash editor add
 * jane`). It is hashed with Argon2id (password_hash) and only the hash
 * is stored; it never appears in argv, the environment or a log.
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "addr/addr.h"
#include "store/store.h"
#include "cli.h"

#define LINE_MAX_PW (PASSWORD_MAX + 2)

struct editor_opts {
	const char *db, *email;
	int help;
};

static int
usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash editor add NAME [--email ADDR] [--db URL]\n"
		    "       newsflash editor passwd NAME [--db URL]\n"
		    "       newsflash editor list [--db URL]\n"
		    "       newsflash editor remove NAME [--db URL]\n\n"
		    "Editors sign in to the newsroom at /newsroom. NAME is 1-%d of a-z 0-9 - _;\n"
		    "the password (%d-%d characters) is read from the terminal without echo,\n"
		    "or as one line from standard input. Test alerts go to --email.\n\n",
		STORE_EDITOR_NAME_MAX, PASSWORD_MIN, PASSWORD_MAX);
	config_usage(opts, to);
	return rc;
}

/* one line from f without its line break; NF_ERR_LIMIT when longer than out */
static int
read_line(FILE *f, char *out, size_t outlen, size_t *len)
{
	size_t n;

	if (fgets(out, (int)outlen, f) == NULL)
		return NF_ERR_IO;
	n = strlen(out);
	if (n == outlen - 1 && out[n - 1] != '\n')
		return NF_ERR_LIMIT;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	*len = n;
	return NF_OK;
}

/* a line from the terminal with echo off */
static int
ask(const char *prompt, char *out, size_t outlen, size_t *len)
{
	struct termios old, quiet;
	int rc, restore;

	fputs(prompt, stderr);
	fflush(stderr);
	restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	rc = read_line(stdin, out, outlen, len);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

static int
read_password(const char *cmd, const char *name, char *pw, size_t pwlen, size_t *len)
{
	char again[LINE_MAX_PW], prompt[128];
	size_t alen = 0;
	int rc;

	if (!isatty(STDIN_FILENO)) {
		rc = read_line(stdin, pw, pwlen, len);
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s: ", name);
		rc = ask(prompt, pw, pwlen, len);
		if (rc == NF_OK && (rc = ask("The same again: ", again, sizeof(again), &alen)) == NF_OK &&
		    (alen != *len || memcmp(again, pw, alen) != 0))
			rc = NF_ERR_INVALID;
		memset(again, 0, sizeof(again));
	}
	if (rc == NF_ERR_INVALID)
		return cli_fail(cmd, "the two passwords differ");
	if (rc != NF_OK || !password_ok(pw, *len))
		return cli_fail(cmd, "a password of %d to %d characters is needed", PASSWORD_MIN,
				PASSWORD_MAX);
	return 0;
}

/* the password read and hashed into hash */
static int
new_hash(const char *cmd, const char *name, char hash[PASSWORD_HASH_MAX])
{
	char pw[LINE_MAX_PW];
	size_t len = 0;
	int rc = read_password(cmd, name, pw, sizeof(pw), &len);

	if (rc == 0 && password_hash(pw, len, hash, PASSWORD_HASH_MAX) != NF_OK)
		rc = cli_fail(cmd, "the password could not be hashed");
	memset(pw, 0, sizeof(pw));
	return rc;
}

static int
add(struct store *s, const char *name, const char *email)
{
	char hash[PASSWORD_HASH_MAX];
	struct addr_result ar;
	int64_t id = 0;
	int rc;

	if (email) {
		addr_check(email, strlen(email), 0, &ar);
		if (!ar.valid)
			return cli_fail("editor add", "not a valid address: %s (%s)", email, ar.message);
		email = ar.normalized;
	}
	if ((rc = new_hash("editor add", name, hash)) != 0)
		return rc;
	if (store_editor_add(s, name, email, hash, &id) != NF_OK)
		return cli_fail("editor add", "%s", store_errmsg(s));
	printf("editor %s added%s%s\n", name, email ? ", test alerts to " : "", email ? email : "");
	return 0;
}

static int
passwd(struct store *s, const char *name)
{
	char hash[PASSWORD_HASH_MAX];
	struct store_editor *e = NULL;
	int rc;

	if (store_editor_get(s, name, &e) != NF_OK)
		return cli_fail("editor passwd", "no editor named %s", name);
	store_editor_free(e);
	if ((rc = new_hash("editor passwd", name, hash)) != 0)
		return rc;
	if (store_editor_set_password(s, name, hash) != NF_OK)
		return cli_fail("editor passwd", "%s", store_errmsg(s));
	printf("new password for %s; their sessions have ended\n", name);
	return 0;
}

static int
list(struct store *s)
{
	struct store_editor **all = NULL;
	char when[TIME_RFC3339_MAX];
	size_t n = 0, i;

	if (store_editor_list(s, &all, &n) != NF_OK) {
		fprintf(stderr, "newsflash: editor list: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	printf("%-24s %-32s %-20s %s\n", "name", "email", "last sign-in", "failed sign-ins");
	for (i = 0; i < n; i++) {
		if (all[i]->last_signin_at)
			time_rfc3339((time_t)all[i]->last_signin_at, when);
		else
			snprintf(when, sizeof(when), "never");
		printf("%-24s %-32s %-20s %lld\n", all[i]->name, all[i]->email ? all[i]->email : "-",
		       when, (long long)all[i]->failed_signins);
	}
	store_editor_list_free(all, n);
	return 0;
}

/* the editor and their sessions gone: a signed-in browser is signed out at its next request */
static int
remove_editor(struct store *s, const char *name)
{
	if (store_editor_remove(s, name) != NF_OK) {
		fprintf(stderr, "newsflash: editor remove: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	printf("editor %s removed; their sessions have ended\n", name);
	return 0;
}

/* NAME folded to lower case; NULL when it cannot be a name */
static char *
fold(const char *name)
{
	char *n = xstrdup(name), *p;

	for (p = n; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!store_editor_name_ok(n)) {
		free(n);
		return NULL;
	}
	return n;
}

static int
run(struct editor_opts *o, char **pos, int npos)
{
	struct store *s = NULL;
	char *name = NULL;
	int rc;

	if (strcmp(pos[0], "list") != 0 && (npos != 2 || (name = fold(pos[1])) == NULL))
		return cli_fail("editor", "NAME must be 1-%d of a-z 0-9 - _", STORE_EDITOR_NAME_MAX);
	if ((rc = cli_store_open("editor", o->db, &s)) != 0) {
		free(name);
		return rc;
	}
	if (strcmp(pos[0], "add") == 0)
		rc = add(s, name, o->email);
	else if (strcmp(pos[0], "passwd") == 0)
		rc = passwd(s, name);
	else if (strcmp(pos[0], "remove") == 0)
		rc = remove_editor(s, name);
	else
		rc = list(s);
	store_close(s);
	free(name);
	return rc;
}

int
cmd_editor(int argc, char **argv)
{
	struct editor_opts o = { STORE_DEFAULT_URL, NULL, 0 };
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &o.db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "email", CONFIG_STRING, &o.email, "ADDR", "editor add: where the editor's test alerts go" },
		{ "help", CONFIG_BOOL, &o.help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	int npos = 0, rc;

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return usage(opts, stderr, EXIT_USAGE);
	}
	if (o.help)
		rc = usage(opts, stdout, 0);
	else if (npos < 1 || (strcmp(pos[0], "add") && strcmp(pos[0], "passwd") && strcmp(pos[0], "list") &&
			      strcmp(pos[0], "remove")) ||
		 (strcmp(pos[0], "list") == 0 && npos != 1))
		rc = usage(opts, stderr, EXIT_USAGE);
	else
		rc = run(&o, pos, npos);
	free(pos);
	return rc;
}
