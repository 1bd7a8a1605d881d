/*
 * tmpl/loader.c - partials from a directory: DIR/NAME.mustache
 *
 * Owns: tmpl_load_dir, the loader the CLI and the web pages use. A name may
 * come from the data ({{>*name}}), so it is checked before it touches the
 * file system: no '/', no NUL, no leading '.', at most 200 bytes - a name
 * cannot leave DIR. Such a name, like a missing file, is "no such partial"
 * and renders as empty. The file is read into the caller's buffer, whose
 * ceiling bounds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tmpl_internal.h"

#define NAME_MAX_BYTES 200

static int
name_ok(const char *name, size_t len)
{
	return len > 0 && len <= NAME_MAX_BYTES && name[0] != '.' &&
	       memchr(name, '/', len) == NULL && memchr(name, '\0', len) == NULL;
}

static int
read_fd(int fd, struct buf *src)
{
	ssize_t got;
	int rc;

	for (;;) {
		if ((rc = buf_reserve(src, 8192)) != NF_OK) {
			/* maybe the file ends within the ceiling: try what room is left */
			if (src->max - src->len == 0 || (rc = buf_reserve(src, src->max - src->len)))
				return rc;
		}
		got = read(fd, src->data + src->len, src->cap - src->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return NF_ERR_IO;
		if (got == 0)
			break;
		if ((size_t)got > src->max - src->len)
			return NF_ERR_LIMIT;
		src->len += (size_t)got;
		src->data[src->len] = '\0';
	}
	return NF_OK;
}

int
tmpl_load_dir(void *dir, const char *name, size_t len, struct buf *src)
{
	struct buf path;
	int fd, rc;

	if (!name_ok(name, len))
		return NF_ERR_NOTFOUND;
	buf_init(&path, 0);
	buf_printf(&path, "%s/%.*s.mustache", (const char *)dir, (int)len, name);
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	buf_free(&path);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? NF_ERR_NOTFOUND : NF_ERR_IO;
	rc = read_fd(fd, src);
	close(fd);
	return rc;
}
