/*
 * core/alloc.c - allocation that succeeds or does not return
 *
 * Owns: the one place where running out of memory is handled. A service that
 * cannot allocate a few hundred bytes cannot do anything useful, so every
 * caller is spared a NULL check (Postfix's mymalloc does the same).
 * Also owns the failure injection the tests use to prove that limits,
 * not allocation, bound memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static long fail_countdown;	/* 0 = never fail */

/* xalloc_fail_after - make the nth allocation from now abort (tests only) */
void
xalloc_fail_after(long n)
{
	fail_countdown = n;
}

static void
oom(size_t n)
{
	fprintf(stderr, "newsflash: out of memory allocating %zu bytes\n", n);
	abort();
}

static void
maybe_inject_failure(size_t n)
{
	if (fail_countdown > 0 && --fail_countdown == 0)
		oom(n);
}

void *
xmalloc(size_t n)
{
	void *p;

	maybe_inject_failure(n);
	p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t count, size_t n)
{
	void *p;

	maybe_inject_failure(n);
	p = calloc(count ? count : 1, n ? n : 1);
	if (p == NULL)
		oom(count * n);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p;

	maybe_inject_failure(n);
	p = realloc(old, n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

char *
xmemdup0(const void *src, size_t n)
{
	char *p = xmalloc(n + 1);

	if (n)
		memcpy(p, src, n);
	p[n] = '\0';
	return p;
}

/* nf_strstatus - a status code in words, for logs and CLI errors */
const char *
nf_strstatus(int status)
{
	switch (status) {
	case NF_OK: return "ok";
	case NF_ERR: return "error";
	case NF_ERR_LIMIT: return "size limit reached";
	case NF_ERR_INVALID: return "invalid input";
	case NF_ERR_IO: return "input/output error";
	case NF_ERR_NOTFOUND: return "not found";
	case NF_ERR_USAGE: return "usage error";
	case NF_ERR_TEMP: return "temporary failure";
	}
	return "unknown status";
}
