/*
 * tests for inbound/ident.c: the signed local parts (bounce+ID-MAC,
 * unsubscribe+ID-MAC) and link tokens, as the delivery engine and the mail
 * module make them, verify; changed, foreign or stale ones do not.
 */
#include <string.h>

#include "deliver/deliver.h"
#include "inbound/inbound.h"
#include "mail/mail.h"
#include "../../harness.h"

static const struct token_key key = { (const unsigned char *)"an inbound test secret, 32 bytes", 32 };

static int
verify_local(const char *local, const char *salt, struct inbound_ident *id)
{
	if (inbound_local_part(local, strlen(local), id) != NF_OK)
		return -1;
	return inbound_ident_verify(&key, id, salt);
}

/* what deliver_return_path writes verifies as a bounce of that subscriber, and only so */
TEST(inbound_verp_from_the_delivery_engine_verifies)
{
	struct inbound_ident id;
	struct buf rp;
	char local[128], *at;

	buf_init(&rp, 0);
	deliver_return_path(&key, "news.example", 4242, "salt-a", &rp);
	at = strchr(rp.data, '@');
	CHECK(at != NULL);
	CHECK((size_t)(at - rp.data) <= 64);	/* RFC 5321 4.5.3.1.1 */
	snprintf(local, sizeof(local), "%.*s", (int)(at - rp.data), rp.data);
	buf_free(&rp);
	CHECK_INT(verify_local(local, "salt-a", &id), 1);
	CHECK_INT(id.kind, INBOUND_ID_BOUNCE);
	CHECK_INT(id.id, 4242);
	CHECK_INT(verify_local(local, "salt-b", &id), 0);	/* rotated: erased */
	local[strlen(local) - 1] ^= 1;
	CHECK_INT(verify_local(local, "salt-a", &id), 0);
}

/* the mailto of an alert's List-Unsubscribe verifies as an unsubscribe, not as a bounce */
TEST(inbound_mailto_token_verifies_for_its_purpose_only)
{
	char tok[TOKEN_SHORT_MAX], local[128];
	struct inbound_ident id;

	token_short_make(&key, "unsubscribe", 77, "s", tok);
	snprintf(local, sizeof(local), "unsubscribe+%s", tok);
	CHECK(strlen(local) <= 64);
	CHECK_INT(verify_local(local, "s", &id), 1);
	CHECK_INT(id.kind, INBOUND_ID_MAILTO);
	snprintf(local, sizeof(local), "bounce+%s", tok);
	CHECK_INT(verify_local(local, "s", &id), 0);
	snprintf(local, sizeof(local), "Unsubscribe+%s", tok);	/* a relay that capitalised it */
	CHECK_INT(verify_local(local, "s", &id), 1);
	CHECK_INT(inbound_local_part("unsubscribe+", 12, &id), NF_ERR_INVALID);
	CHECK_INT(inbound_local_part("unsubscribe+77-", 15, &id), NF_ERR_INVALID);
	CHECK_INT(inbound_local_part("reader", 6, &id), NF_ERR_INVALID);
	CHECK_INT(inbound_local_part("bounce", 6, &id), NF_ERR_INVALID);
}

/* a link token in a returned List-Unsubscribe verifies like the one-click page does */
TEST(inbound_link_token_verifies)
{
	char tok[TOKEN_MAX];
	struct inbound_ident id;

	token_make(&key, "unsubscribe", 9, 0, "s9", tok);
	memset(&id, 0, sizeof(id));
	id.kind = INBOUND_ID_LINK;
	id.id = 9;
	snprintf(id.token, sizeof(id.token), "%s", tok);
	CHECK_INT(inbound_ident_verify(&key, &id, "s9"), 1);
	CHECK_INT(inbound_ident_verify(&key, &id, "other"), 0);
	token_make(&key, "confirm", 9, 0, "s9", tok);
	snprintf(id.token, sizeof(id.token), "%s", tok);
	CHECK_INT(inbound_ident_verify(&key, &id, "s9"), 0);
}

/* a whole alert, composed by the mail module and returned in a DSN, names its subscriber */
TEST(inbound_finds_the_tokens_of_a_composed_alert)
{
	char tok[TOKEN_SHORT_MAX];
	struct inbound_report r;
	struct buf m;
	size_t i;
	int kinds = 0;

	token_short_make(&key, "unsubscribe", 31, "s31", tok);
	buf_init(&m, 0);
	buf_printf(&m, "To: bounce@news.example\nMessage-ID: <d@x>\n"
		   "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		   "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
		   "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n\n"
		   "--b\nContent-Type: text/rfc822-headers\n\nTo: a@example.org\n"
		   "List-Unsubscribe: <https://news.example/u/AQAAAAAAAAAfAAAAAAAAAABEFmpylGmCHr6mBvfkhVShFxMLo2L7HdvhHPfoXYf0fA>,\n"
		   " <mailto:unsubscribe+%s@news.example>\n\n--b--\n", tok);
	inbound_classify(m.data, m.len, &r);
	buf_free(&m);
	CHECK_INT(r.kind, INBOUND_DSN);
	CHECK_INT(r.nidents, 2);
	for (i = 0; i < r.nidents; i++) {
		CHECK_INT(r.idents[i].id, 31);
		CHECK_INT(r.idents[i].envelope, 0);
		kinds |= 1 << r.idents[i].kind;
	}
	CHECK_INT(kinds, (1 << INBOUND_ID_LINK) | (1 << INBOUND_ID_MAILTO));
	CHECK_INT(inbound_ident_verify(&key, &r.idents[r.idents[0].kind == INBOUND_ID_MAILTO ? 0 : 1], "s31"), 1);
}
