/* tests for web/http/form.c: form bodies and cookies */
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

TEST(form_parses_fields_and_decodes)
{
	struct arena *a = arena_new(0);
	struct http_form f;
	const char body[] = "email=a%40b.example&marketing=1&&name=J+Doe&empty=&bare";
	size_t len;

	CHECK_INT(http_form_parse(a, body, sizeof(body) - 1, &f), NF_OK);
	CHECK_INT(f.count, 5);
	CHECK_STR(http_form_get(&f, "email", &len), "a@b.example");
	CHECK_INT(len, 11);
	CHECK_STR(http_form_get(&f, "name", NULL), "J Doe");
	CHECK_STR(http_form_get(&f, "empty", NULL), "");
	CHECK_STR(http_form_get(&f, "bare", NULL), "");
	CHECK(http_form_get(&f, "missing", NULL) == NULL);
	arena_free(a);
}

TEST(form_rejects_bad_escapes_and_too_many_fields)
{
	struct arena *a = arena_new(0);
	struct http_form f;
	struct buf many;
	int i;

	CHECK_INT(http_form_parse(a, "email=%zz", 9, &f), NF_ERR_INVALID);
	CHECK_INT(http_form_parse(a, "email=%4", 8, &f), NF_ERR_INVALID);
	buf_init(&many, 0);
	for (i = 0; i <= HTTP_FIELDS_MAX; i++)
		buf_printf(&many, "f%d=1&", i);
	CHECK_INT(http_form_parse(a, many.data, many.len, &f), NF_ERR_LIMIT);
	buf_free(&many);
	arena_free(a);
}

/* a %00 in a value survives as a byte with its length, for the caller to refuse */
TEST(form_keeps_nul_bytes_visible)
{
	struct arena *a = arena_new(0);
	struct http_form f;
	size_t len;
	const char *v;

	CHECK_INT(http_form_parse(a, "email=a%00b", 11, &f), NF_OK);
	v = http_form_get(&f, "email", &len);
	CHECK_INT(len, 3);
	CHECK(v[1] == '\0');
	arena_free(a);
}

TEST(cookie_lookup)
{
	struct arena *a = arena_new(0);

	CHECK_STR(http_cookie_get(a, "a=1; nf_csrf=xyz; b=2", "nf_csrf"), "xyz");
	CHECK_STR(http_cookie_get(a, "nf_csrf=only", "nf_csrf"), "only");
	CHECK(http_cookie_get(a, "xnf_csrf=1", "nf_csrf") == NULL);
	CHECK(http_cookie_get(a, "", "nf_csrf") == NULL);
	CHECK(http_cookie_get(a, NULL, "nf_csrf") == NULL);
	arena_free(a);
}
