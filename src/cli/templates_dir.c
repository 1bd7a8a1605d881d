/*
 * cli/templates_dir.c - which folder the Mustache templates are read from
 *
 * Owns: the answer when --templates (or NEWSFLASH_TEMPLATES, or the
 * configuration file) did not give one. The compiled-in folder is where
 * make install and the Debian package put the templates; a program run from
 * its build tree (build/newsflash, build/asan/newsflash) has none there yet,
 * so it also looks in the checkout around its own executable. When nothing
 * is found the error names every place that was tried.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* a folder counts only if it holds the signup page: any "templates" will not do */
#define TEMPLATES_PROBE "signup.html.mustache"
/* build/newsflash and build/asan/newsflash sit one and two levels under the checkout */
#define TEMPLATES_UP_MAX 2

static int
templates_here(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;

	if (snprintf(probe, sizeof(probe), "%s/" TEMPLATES_PROBE, dir) >= (int)sizeof(probe))
		return 0;
	return stat(probe, &st) == 0 && S_ISREG(st.st_mode);
}

/* the folder holding the running executable, or "" */
static void
exe_dir(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);
	char *slash;

	if (len <= 0) {
		out[0] = '\0';
		return;
	}
	out[len] = '\0';
	slash = strrchr(out, '/');
	if (slash == NULL)
		out[0] = '\0';
	else
		*slash = '\0';
}

/* cli_templates_find - set *dir to the folder to use; 0, or EXIT_PROBLEM after a line on stderr */
int
cli_templates_find(const char *cmd, const char **dir)
{
	static char found[PATH_MAX];
	char base[PATH_MAX], tried[4 * PATH_MAX];
	size_t used;
	int up;

	if (*dir != NULL)
		return 0;	/* given: it wins, and a missing file there is reported by whoever reads it */
	if (templates_here(NEWSFLASH_TEMPLATES_DIR)) {
		*dir = NEWSFLASH_TEMPLATES_DIR;
		return 0;
	}
	used = (size_t)snprintf(tried, sizeof(tried), "%s", NEWSFLASH_TEMPLATES_DIR);
	exe_dir(base, sizeof(base));
	for (up = 0; base[0] != '\0' && up <= TEMPLATES_UP_MAX; up++) {
		char *slash;

		if (snprintf(found, sizeof(found), "%s/templates", base) < (int)sizeof(found) &&
		    templates_here(found)) {
			*dir = found;
			return 0;
		}
		if (used < sizeof(tried))
			used += (size_t)snprintf(tried + used, sizeof(tried) - used, ", %s", found);
		slash = strrchr(base, '/');
		if (slash == NULL || slash == base)
			break;
		*slash = '\0';
	}
	fprintf(stderr, "newsflash: %s: no templates (looked for " TEMPLATES_PROBE " in %s); "
		"give --templates DIR or NEWSFLASH_TEMPLATES\n", cmd, tried);
	return EXIT_PROBLEM;
}
