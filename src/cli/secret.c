/*
 * cli/secret.c - the server secret: the HMAC key behind every token
 *
 * Owns: loading the secret file, creating it (32 random bytes, mode 0600,
 * O_EXCL so two processes starting at once cannot write two different
 * keys) on first start. The secret is never logged or printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "cli.h"

#define SECRET_LEN 32

static int
make_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = NF_OK;

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			rc = NF_ERR_IO;
	}
	free(dir);
	return rc;
}

/*
 * Written to a private temporary name, then link()ed into place: a process
 * starting at the same moment sees either no file or the whole key, never a
 * half-written one, and link() fails with EEXIST if someone else won.
 */
static int
create_secret(const char *path)
{
	unsigned char key[SECRET_LEN];
	char tmp[4096];
	int fd, rc = NF_OK;

	if (make_parent(path) != NF_OK)
		return NF_ERR_IO;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return NF_ERR_IO;
	if (random_bytes(key, sizeof(key)) != NF_OK ||
	    write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) != 0)
		rc = NF_ERR_IO;
	close(fd);
	if (rc == NF_OK && link(tmp, path) != 0 && errno != EEXIST)
		rc = NF_ERR_IO;
	unlink(tmp);
	if (rc == NF_OK)
		log_event(LOG_INFO, "secret.ready", "path", path, NULL);
	return rc;
}

/* fill key from path, creating the file when it is absent and create is set */
static int
secret_load(const char *path, int create, struct token_key *key)
{
	static unsigned char secret[256];
	struct stat st;
	ssize_t n;
	int fd;

	if (create && access(path, F_OK) != 0 && create_secret(path) != NF_OK) {
		log_error("cannot create secret file %s: %s", path, strerror(errno));
		return NF_ERR_IO;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		log_error("cannot read secret file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NF_ERR_IO;
	}
	if (st.st_mode & 077)
		log_warn("secret file %s is readable by others: chmod 600 it", path);
	n = read(fd, secret, sizeof(secret));
	close(fd);
	if (n < 16) {
		log_error("secret file %s holds fewer than 16 bytes", path);
		return NF_ERR_INVALID;
	}
	key->secret = secret;
	key->len = (size_t)n;
	return NF_OK;
}

/* cli_secret_load - fill key from path, creating the file if it is absent */
int
cli_secret_load(const char *path, struct token_key *key)
{
	return secret_load(path, 1, key);
}

/*
 * cli_secret_read - fill key from path, which must exist: a command that
 * checks tokens the service made (inbound process) would verify nothing
 * with a secret of its own
 */
int
cli_secret_read(const char *path, struct token_key *key)
{
	return secret_load(path, 0, key);
}

/* cut path to its folder, in place ("." when it has none) */
static void
to_parent(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL)
		memcpy(path, ".", 2);	/* room: path held one byte at least, and its NUL */
	else
		*(slash == path ? slash + 1 : slash) = '\0';
}

/*
 * cli_secret_check - the file is there, readable and long enough, or it is
 * absent and can be made as cli_secret_load makes it (its folder, created
 * one level deep when missing): config check creates nothing
 */
int
cli_secret_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *dir;
	int ok;

	if (stat(path, &st) == 0) {
		if (access(path, R_OK) != 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			return NF_ERR_IO;
		}
		if (st.st_size < 16) {
			snprintf(err, errlen, "%s holds fewer than 16 bytes", path);
			return NF_ERR_INVALID;
		}
		return NF_OK;
	}
	dir = xstrdup(*path ? path : ".");
	to_parent(dir);
	if (stat(dir, &st) != 0)
		to_parent(dir);
	ok = stat(dir, &st) == 0 && access(dir, W_OK) == 0;
	if (!ok)
		snprintf(err, errlen, "%s is absent and cannot be created (%s is not writable)", path, dir);
	free(dir);
	return ok ? NF_OK : NF_ERR_IO;
}
