/*
 * tests/harness.h - the unit test harness
 *
 * Owns: TEST() registration, the CHECK family of assertions, and SKIP.
 * A TEST registers itself before main runs, so adding a test is adding a
 * function; the runner (harness.c) selects tests by substring of their name
 * and ends with the line "N passed, N failed, N skipped".
 * A failed CHECK records the failure and returns from the test.
 */
#ifndef NEWSFLASH_HARNESS_H
#define NEWSFLASH_HARNESS_H

#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *t);
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void test_skip(const char *why);
/*
 * Data-driven tests report each case (a spec entry, a data file) by name;
 * cases count in the totals like tests, and a failed case fails its test.
 */
void test_case_result(const char *name, int ok, const char *detail);
void test_case_skipped(const char *name, const char *why);
/* the folder holding ../shared/testdata (NEWSFLASH_TESTDATA overrides) */
const char *test_data_dir(void);
/* read a whole file; NULL when missing. Caller frees. */
char *test_read_file(const char *path, size_t *len);

#define TEST(name)							\
	static void test_##name(void);					\
	static struct test_case test_case_##name = {			\
		#name, __FILE__, test_##name, NULL			\
	};								\
	__attribute__((constructor)) static void test_reg_##name(void)	\
	{								\
		test_register(&test_case_##name);			\
	}								\
	static void test_##name(void)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			test_fail_at(__FILE__, __LINE__, "%s", #cond);	\
			return;						\
		}							\
	} while (0)

#define CHECK_INT(a, b)							\
	do {								\
		long long va_ = (long long)(a), vb_ = (long long)(b);	\
		if (va_ != vb_) {					\
			test_fail_at(__FILE__, __LINE__,		\
				     "%s == %s: %lld != %lld", #a, #b, va_, vb_); \
			return;						\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *sa_ = (a), *sb_ = (b);			\
		if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) { \
			test_fail_at(__FILE__, __LINE__,		\
				     "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				     sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
			return;						\
		}							\
	} while (0)

#define CHECK_MEM(a, alen, b, blen)					\
	do {								\
		size_t la_ = (alen), lb_ = (blen);			\
		if (la_ != lb_ || memcmp((a), (b), la_) != 0) {		\
			test_fail_at(__FILE__, __LINE__,		\
				     "%s == %s: \"%.*s\" != \"%.*s\"", #a, #b, \
				     (int)la_, (const char *)(a), (int)lb_, (const char *)(b)); \
			return;						\
		}							\
	} while (0)

#define SKIP(why)							\
	do {								\
		test_skip(why);						\
		return;							\
	} while (0)

#endif
