/* tests for core/buf.c and core/arena.c: growth, ceilings, ownership */
#include <stdlib.h>

#include "core/core.h"
#include "../../harness.h"

TEST(buf_append_grows_and_terminates)
{
	struct buf b;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		CHECK_INT(buf_puts(&b, "abc"), NF_OK);
	CHECK_INT(b.len, 3000);
	CHECK(b.data[3000] == '\0');
	CHECK(memcmp(b.data + 2997, "abc", 3) == 0);
	buf_free(&b);
	CHECK(b.data == NULL);
}

TEST(buf_empty_append_is_ok)
{
	struct buf b;

	buf_init(&b, 4);
	CHECK_INT(buf_append(&b, "", 0), NF_OK);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	buf_free(&b);
}

/* the ceiling: exactly max fits, one more byte is refused, nothing changes */
TEST(buf_ceiling_is_exact)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK_INT(buf_puts(&b, "12345678"), NF_OK);
	CHECK_INT(buf_putc(&b, 'x'), NF_ERR_LIMIT);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	CHECK_INT(buf_printf(&b, "%d", 1), NF_ERR_LIMIT);
	buf_reset(&b);
	CHECK_INT(buf_printf(&b, "%s-%d", "ab", 42), NF_OK);
	CHECK_STR(b.data, "ab-42");
	buf_free(&b);
}

/* printf into spare room, past it (grows), and past the ceiling with room to spare */
TEST(buf_printf_room_growth_and_ceiling)
{
	char big[300];
	struct buf b;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 20);
	CHECK_INT(buf_puts(&b, "abc"), NF_OK);	/* 64 octets allocated: room to spare */
	CHECK_INT(buf_printf(&b, "-%d-", 7), NF_OK);
	CHECK_STR(b.data, "abc-7-");
	CHECK_INT(buf_printf(&b, "%s", "0123456789abcdefghij"), NF_ERR_LIMIT);
	CHECK_INT(b.len, 6);
	CHECK_STR(b.data, "abc-7-");
	CHECK_INT(buf_printf(&b, "%s", "0123456789abcd"), NF_OK);
	CHECK_INT(b.len, 20);
	CHECK_STR(b.data, "abc-7-0123456789abcd");
	buf_free(&b);
	buf_init(&b, 0);
	CHECK_INT(buf_puts(&b, "x"), NF_OK);
	CHECK_INT(buf_printf(&b, "%s|%s", big, big), NF_OK);
	CHECK_INT(b.len, 1 + 2 * (sizeof(big) - 1) + 1);
	CHECK(b.data[0] == 'x' && b.data[sizeof(big)] == '|' && b.data[b.len] == '\0');
	buf_free(&b);
}

TEST(buf_consume_and_steal)
{
	struct buf b;
	size_t n;
	char *p;

	buf_init(&b, 0);
	buf_puts(&b, "hello world");
	buf_consume(&b, 6);
	CHECK_STR(b.data, "world");
	p = buf_steal(&b, &n);
	CHECK_INT(n, 5);
	CHECK_STR(p, "world");
	CHECK(b.data == NULL && b.len == 0);
	free(p);
	buf_free(&b);	/* freeing an empty buffer does nothing */
}

TEST(arena_allocates_aligned_and_respects_max)
{
	struct arena *a = arena_new(10000);
	char *s;
	void *p;
	int i;

	for (i = 0; i < 100; i++) {
		p = arena_alloc(a, 33);
		CHECK(p != NULL);
		CHECK(((uintptr_t)p % 16) == 0);
	}
	s = arena_strndup(a, "abcdef", 3);
	CHECK_STR(s, "abc");
	CHECK(arena_alloc(a, 20000) == NULL);	/* past the cap: refused */
	CHECK(arena_alloc(a, 16) != NULL);	/* and the arena goes on */
	arena_free(a);
	arena_free(NULL);
}

TEST(arena_large_allocation_gets_own_block)
{
	struct arena *a = arena_new(0);
	char *big = arena_alloc(a, 100000);

	CHECK(big != NULL);
	memset(big, 'x', 100000);
	CHECK(arena_used(a) >= 100000);
	arena_free(a);
}
