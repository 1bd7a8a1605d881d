/*
 * tests/unit/smtp/transcript.c - reading the smtp tests' data files
 *
 * Owns: listing tests/unit/smtp/SUB/ *.EXT (under $NEWSFLASH_SRC, or the
 * current folder when make check is not the caller) and undoing the
 * escapes the files use so that CR, LF and any byte can be written.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
smtp_test_files(const char *sub, const char *ext, size_t *n)
{
	const char *root = getenv("NEWSFLASH_SRC");
	char **list = NULL;
	struct dirent *e;
	struct buf dir;
	DIR *d;

	*n = 0;
	buf_init(&dir, 0);
	buf_printf(&dir, "%s/tests/unit/smtp/%s", root && *root ? root : ".", sub);
	if ((d = opendir(dir.data)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name), elen = strlen(ext);
			struct buf p;

			if (len <= elen || strcmp(e->d_name + len - elen, ext) != 0)
				continue;
			buf_init(&p, 0);
			buf_printf(&p, "%s/%s", dir.data, e->d_name);
			list = xrealloc(list, (*n + 1) * sizeof(*list));
			list[(*n)++] = buf_steal(&p, NULL);
		}
		closedir(d);
	}
	buf_free(&dir);
	if (*n)
		qsort(list, *n, sizeof(*list), by_name);
	return list;
}

void
smtp_test_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

void
smtp_test_unescape(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			char e = s[++i];

			/* \xNN through core's hex decoder */
			if (e == 'x' && i + 2 < n && hex_decode(out, s + i + 1, 2) == NF_OK) {
				i += 2;
				continue;
			}
			c = e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : e;
		}
		buf_putc(out, c);
	}
}

const char *
smtp_test_name(const char *path)
{
	static char name[256];
	const char *base = strrchr(path, '/'), *dot;
	size_t n;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot ? (size_t)(dot - base) : strlen(base);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, base, n);
	name[n] = '\0';
	return name;
}
