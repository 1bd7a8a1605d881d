/*
 * tests/harness.c - runs the registered unit tests
 *
 * usage: unit-tests [-l] [PATTERN...]
 *   -l       list test names
 *   PATTERN  run only tests whose name or file contains one of the patterns
 *
 * Prints "ok NAME", "FAIL NAME: file:line: what" or "skip NAME: why" per test,
 * then "N passed, N failed, N skipped". Exits 1 when anything failed.
 * Tests may also report several data-driven cases each (test_case_result),
 * which count like tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct test_case *tests;
static int current_failed, current_skipped;
static int cases_passed, cases_failed, cases_skipped;

void
test_register(struct test_case *t)
{
	t->next = tests;
	tests = t;
}

void
test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = 1;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void
test_skip(const char *why)
{
	current_skipped = 1;
	fprintf(stdout, "  skipped: %s\n", why);
}

void
test_case_result(const char *name, int ok, const char *detail)
{
	if (ok) {
		cases_passed++;
		printf("  ok %s\n", name);
		return;
	}
	cases_failed++;
	current_failed = 1;
	printf("  FAIL %s%s%s\n", name, detail ? ": " : "", detail ? detail : "");
}

void
test_case_skipped(const char *name, const char *why)
{
	cases_skipped++;
	printf("  skip %s: %s\n", name, why);
}

const char *
test_data_dir(void)
{
	const char *d = getenv("NEWSFLASH_TESTDATA");

	return d && *d ? d : "../shared/testdata";
}

char *
test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
			if (data == NULL)
				abort();
		}
		got = fread(data + n, 1, cap - n - 1, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

static int
selected(const struct test_case *t, int npat, char **pat)
{
	int i;

	if (npat == 0)
		return 1;
	for (i = 0; i < npat; i++)
		if (strstr(t->name, pat[i]) || strstr(t->file, pat[i]))
			return 1;
	return 0;
}

/* registration runs in reverse link order: put tests back in file order */
static void
reverse_tests(void)
{
	struct test_case *t, *next, *prev = NULL;

	for (t = tests; t; t = next) {
		next = t->next;
		t->next = prev;
		prev = t;
	}
	tests = prev;
}

int
main(int argc, char **argv)
{
	struct test_case *t;
	int passed = 0, failed = 0, skipped = 0, list = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		list = 1;
		argc--;
		argv++;
	}
	reverse_tests();
	for (t = tests; t; t = t->next) {
		if (!selected(t, argc - 1, argv + 1))
			continue;
		if (list) {
			printf("%s\n", t->name);
			continue;
		}
		int cases_before = cases_passed + cases_failed + cases_skipped;
		/* a data-driven test counts as its cases, not once more */
		int counts_itself, case_failures_before = cases_failed;

		current_failed = current_skipped = 0;
		t->fn();
		counts_itself = cases_passed + cases_failed + cases_skipped == cases_before;
		if (current_failed) {
			printf("FAIL %s\n", t->name);
			/* a setup CHECK that failed outside any case still counts */
			failed += counts_itself || cases_failed == case_failures_before;
		} else if (current_skipped) {
			printf("skip %s\n", t->name);
			skipped += counts_itself;
		} else {
			printf("ok %s\n", t->name);
			passed += counts_itself;
		}
	}
	passed += cases_passed;
	failed += cases_failed;
	skipped += cases_skipped;
	if (!list)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
