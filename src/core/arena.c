/*
 * core/arena.c - per-request memory freed in one call
 *
 * Owns: struct arena, a chain of blocks handed out by bumping a pointer.
 * A request allocates as it parses and frees everything at the end, so no
 * path through a handler can leak. The total is capped at creation: a
 * request that would need more gets NULL and answers 413 or 400.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define ARENA_BLOCK 4096
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	_Alignas(ARENA_ALIGN) unsigned char mem[];
};

struct arena {
	struct arena_block *head;
	size_t total;		/* bytes handed out */
	size_t max;
};

struct arena *
arena_new(size_t max)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->max = max ? max : SIZE_MAX;
	return a;
}

static struct arena_block *
block_new(size_t need)
{
	size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
	struct arena_block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->used = 0;
	b->size = size;
	return b;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t off;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	if (n > a->max - a->total)
		return NULL;
	if (b == NULL || b->size - b->used < n) {
		b = block_new(n);
		b->next = a->head;
		a->head = b;
	}
	off = b->used;
	b->used += n;
	a->total += n;
	return b->mem + off;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
