/*
 * tests for smtp/redact.c: relay text with the addresses cut out, as data
 */
#include <string.h>

#include "core/core.h"
#include "smtp/smtp.h"
#include "../../harness.h"

static const struct {
	const char *in, *want;
} redact_cases[] = {
	{ "550 5.1.1 <jo@example.org>: Recipient address rejected",
	  "550 5.1.1 <[address]>: Recipient address rejected" },
	{ "550 5.1.1 jo.smith+news@mail.example.org... User unknown",
	  "550 5.1.1 [address]... User unknown" },
	{ "mailbox jo@example.org. is full", "mailbox [address]. is full" },
	{ "550 \"jo smith\"@example.org unknown", "550 [address] unknown" },
	{ "550 postmaster@[192.0.2.1] refused", "550 [address] refused" },
	{ "two: a@b.example, c@d.example;", "two: [address], [address];" },
	{ "550 j\xc3\xb6@b\xc3\xbc.example no", "550 [address] no" },
	{ "451 4.3.0 try again later", "451 4.3.0 try again later" },
	{ "a lone @ sign", "a lone @ sign" },
	{ "", "" },
	{ "trailing jo@", "trailing [address]" },
	{ "@example.org leading", "[address] leading" },
	{ "550 <\"unterminated@example.org>", "550 <\"[address]>" },
};

TEST(smtp_redact_cases)
{
	char out[SMTP_REPLY_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "smtp_redact_case_%zu", i);
		smtp_text_redact(redact_cases[i].in, out, sizeof(out));
		test_case_result(name, strcmp(out, redact_cases[i].want) == 0, out);
	}
}

TEST(smtp_redact_truncates)
{
	char small[12];

	smtp_text_redact("550 jo@example.org rejected", small, sizeof(small));
	CHECK_STR(small, "550 [addres");
	smtp_text_redact(NULL, small, sizeof(small));
	CHECK_STR(small, "");
	smtp_text_redact("x@y", small, 1);
	CHECK_STR(small, "");
}

TEST(smtp_redact_never_leaks_the_local_part)
{
	char out[SMTP_REPLY_MAX + 1];
	struct buf in;
	int i;

	/* a long reply with many addresses: none survives, the words between do */
	buf_init(&in, 0);
	for (i = 0; i < 50; i++)
		buf_printf(&in, "user%d@host%d.example rejected; ", i, i);
	smtp_text_redact(in.data, out, sizeof(out));
	CHECK(strstr(out, "user") == NULL);
	CHECK(strstr(out, "host") == NULL);
	CHECK(strstr(out, "[address] rejected; [address]") != NULL);
	buf_free(&in);
}
