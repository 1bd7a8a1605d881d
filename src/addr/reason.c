/*
 * addr/reason.c - the stable codes and human messages for address checks
 *
 * Owns: the complete, documented set of outcomes. Codes are an interface:
 * the signup page, the import report and stored rejection statistics use
 * them, so a code never changes meaning and is never reused. Messages are
 * for people (the page shows "Please enter a valid email address" and,
 * where it helps, the message) and may be reworded.
 */
#include <string.h>

#include "addr.h"

struct reason_row {
	const char *code;
	const char *message;
};

static const struct reason_row reasons[ADDR_REASON_COUNT] = {
	[ADDR_OK] = { "ok", "The address looks right." },
	[ADDR_EMPTY] = { "empty", "Please enter your email address." },
	[ADDR_CONTROL_CHAR] = { "control_char",
		"The address contains an invisible control character (such as a line break or tab)." },
	[ADDR_BAD_UTF8] = { "bad_utf8", "The address contains characters that could not be read." },
	[ADDR_TOO_LONG] = { "too_long", "The address is too long: at most 254 characters." },
	[ADDR_NO_AT] = { "no_at",
		"An email address needs an @ between the name and the domain, like name@example.com." },
	[ADDR_DISPLAY_NAME] = { "display_name",
		"Please enter only the address itself, without a name or <...>." },
	[ADDR_ANGLE_BRACKET] = { "angle_bracket", "Please enter the address without < and >." },
	[ADDR_COMMENT] = { "comment", "Please enter the address without anything in brackets ( )." },
	[ADDR_LIST] = { "list", "Please enter a single email address." },
	[ADDR_WHITE_SPACE] = { "white_space", "An email address cannot contain spaces." },
	[ADDR_MULTIPLE_AT] = { "multiple_at", "An email address has only one @." },
	[ADDR_LOCAL_EMPTY] = { "local_empty", "Something is missing before the @." },
	[ADDR_LOCAL_TOO_LONG] = { "local_too_long",
		"The part before the @ is too long: at most 64 characters." },
	[ADDR_LOCAL_DOT] = { "local_dot",
		"The part before the @ cannot start or end with a dot, or have two dots in a row." },
	[ADDR_LOCAL_CHAR] = { "local_char",
		"The part before the @ contains a character that is not allowed there." },
	[ADDR_LOCAL_QUOTED] = { "local_quoted", "The quoted part before the @ is not well formed." },
	[ADDR_LOCAL_UTF8] = { "local_utf8",
		"The part before the @ can only use Latin letters, digits and . _ - + symbols." },
	[ADDR_DOMAIN_EMPTY] = { "domain_empty", "The domain after the @ is missing." },
	[ADDR_ADDRESS_LITERAL] = { "address_literal",
		"Please use a domain name after the @, not an IP address in [ ]." },
	[ADDR_DOMAIN_TOO_LONG] = { "domain_too_long",
		"The domain after the @ is too long: at most 253 characters." },
	[ADDR_DOMAIN_LABEL] = { "domain_label",
		"The domain after the @ cannot start or end with a dot, or have two dots in a row." },
	[ADDR_DOMAIN_HYPHEN] = { "domain_hyphen",
		"No part of the domain can start or end with a hyphen." },
	[ADDR_DOMAIN_LABEL_TOO_LONG] = { "domain_label_too_long",
		"Each part of the domain between dots can have at most 63 characters." },
	[ADDR_DOMAIN_CHAR] = { "domain_char",
		"The domain after the @ can only contain letters, digits, hyphens and dots." },
	[ADDR_DOMAIN_IDN] = { "domain_idn", "The domain after the @ is not a valid international domain name." },
	[ADDR_DOMAIN_NO_TLD] = { "domain_no_tld",
		"The domain after the @ is incomplete: it needs an ending such as .com." },
	[ADDR_DOMAIN_NUMERIC_TLD] = { "domain_numeric_tld",
		"The domain after the @ cannot end with a number." },
	[ADDR_DOMAIN_NOT_FOUND] = { "domain_not_found", "The domain after the @ does not exist." },
	[ADDR_DOMAIN_NULL_MX] = { "domain_null_mx", "The domain after the @ does not accept email." },
	[ADDR_DOMAIN_NO_MAIL] = { "domain_no_mail", "The domain after the @ has no mail server." },
};

/* addr_reason_code - the stable code for r */
const char *
addr_reason_code(enum addr_reason r)
{
	return (unsigned)r < ADDR_REASON_COUNT ? reasons[r].code : "unknown";
}

/* addr_reason_message - the message for r */
const char *
addr_reason_message(enum addr_reason r)
{
	return (unsigned)r < ADDR_REASON_COUNT ? reasons[r].message : "Unknown reason.";
}

/* addr_reason_lookup - the reason a stored code stands for */
int
addr_reason_lookup(const char *code)
{
	int r;

	for (r = 0; r < ADDR_REASON_COUNT; r++)
		if (strcmp(reasons[r].code, code) == 0)
			return r;
	return -1;
}
