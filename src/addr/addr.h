/*
 * addr/addr.h - email addresses typed by people: validate, normalise, explain
 *
 * Owns: deciding whether a bare address from a web form or an import file
 * can receive mail (RFC 5321 section 4.1.2 Mailbox, section 4.5.3.1 limits;
 * RFC 6531 UTF-8 local parts; IDNA2008 domains mapped with UTS #46
 * non-transitional processing, via libidn2), the form SMTP will use, the form
 * to show, the uniqueness key, a stable code and a human message for every
 * rejection, "did you mean" hints for misspelt large mailbox providers, and
 * an optional DNS deliverability check (MX, else A/AAAA; RFC 7505 null MX).
 *
 * Does not own: storing addresses (store/), or what a page says around the
 * message (web/ and the templates).
 *
 * Input is pointer + length and is never assumed to be NUL-terminated. All
 * output lives in the caller's struct addr_result; nothing is allocated that
 * outlives the call. addr_check is thread-safe (the DNS check uses a private
 * resolver state per call).
 */
#ifndef NEWSFLASH_ADDR_H
#define NEWSFLASH_ADDR_H

#include <stddef.h>

#define ADDR_MAX 254		/* whole address, octets (RFC 5321 4.5.3.1.3: path 256 less <>) */
#define ADDR_LOCAL_MAX 64	/* local part, octets (4.5.3.1.1) */
#define ADDR_DOMAIN_MAX 253	/* domain in A-labels, octets, no trailing dot */
#define ADDR_LABEL_MAX 63	/* one label, octets (RFC 1035 2.3.4) */
/* trimmed input longer than this is too_long without further work: no valid
 * address is this long, even in U-labels full of UTS #46 deletable marks */
#define ADDR_INPUT_MAX 1024
/* a U-label domain has at most ADDR_DOMAIN_MAX code points of 4 octets */
#define ADDR_DISPLAY_SIZE (ADDR_LOCAL_MAX + 1 + 4 * ADDR_DOMAIN_MAX + 1)
/* case folding may grow a UTF-8 local part (U+0390 folds to 3 code points) */
#define ADDR_KEY_SIZE (6 * ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX + 1)

enum addr_flags {
	ADDR_SMTPUTF8 = 1,	/* accept non-ASCII local parts (RFC 6531) */
	ADDR_CHECK_MX = 2,	/* ask DNS whether the domain takes mail */
	/* bulk mode: no "did you mean" hint (suggestion stays ""); the
	 * verdict, the normalised forms and the key are the same. An import
	 * shows no hints, and looking for one was a third of the time. */
	ADDR_NO_SUGGEST = 4,
};

/*
 * Every outcome has a stable code (the string, which callers may store and
 * compare) and a human message. The complete set, in check order, is the
 * table in reason.c; addr_reason_count/addr_reason_code list it.
 */
enum addr_reason {
	ADDR_OK = 0,
	ADDR_EMPTY,		/* "empty": nothing but white space */
	ADDR_CONTROL_CHAR,	/* "control_char": CR, LF, NUL, TAB, DEL, C1, U+2028/9 anywhere */
	ADDR_BAD_UTF8,		/* "bad_utf8": bytes that are not well-formed UTF-8 */
	ADDR_TOO_LONG,		/* "too_long": more than 254 octets (or input > ADDR_INPUT_MAX) */
	ADDR_NO_AT,		/* "no_at": no @ */
	ADDR_DISPLAY_NAME,	/* "display_name": Name <a@b.c> */
	ADDR_ANGLE_BRACKET,	/* "angle_bracket": <a@b.c> */
	ADDR_COMMENT,		/* "comment": (comment) */
	ADDR_LIST,		/* "list": a@b.c, d@e.f */
	ADDR_WHITE_SPACE,	/* "white_space": a space inside (folding white space) */
	ADDR_MULTIPLE_AT,	/* "multiple_at": a second @ outside quotes */
	ADDR_LOCAL_EMPTY,	/* "local_empty": nothing before the @ */
	ADDR_LOCAL_TOO_LONG,	/* "local_too_long": more than 64 octets before the @ */
	ADDR_LOCAL_DOT,		/* "local_dot": leading, trailing or doubled dot */
	ADDR_LOCAL_CHAR,	/* "local_char": a character a Dot-string cannot hold */
	ADDR_LOCAL_QUOTED,	/* "local_quoted": a malformed Quoted-string */
	ADDR_LOCAL_UTF8,	/* "local_utf8": non-ASCII local part without SMTPUTF8 */
	ADDR_DOMAIN_EMPTY,	/* "domain_empty": nothing after the @ */
	ADDR_ADDRESS_LITERAL,	/* "address_literal": [192.0.2.1], [IPv6:...] */
	ADDR_DOMAIN_TOO_LONG,	/* "domain_too_long": more than 253 octets in A-labels */
	ADDR_DOMAIN_LABEL,	/* "domain_label": empty label (leading, trailing, doubled dot) */
	ADDR_DOMAIN_HYPHEN,	/* "domain_hyphen": label starts or ends with a hyphen */
	ADDR_DOMAIN_LABEL_TOO_LONG, /* "domain_label_too_long": label over 63 octets */
	ADDR_DOMAIN_CHAR,	/* "domain_char": not a letter, digit, hyphen or dot */
	ADDR_DOMAIN_IDN,	/* "domain_idn": not a valid internationalised name / A-label */
	ADDR_DOMAIN_NO_TLD,	/* "domain_no_tld": a single label */
	ADDR_DOMAIN_NUMERIC_TLD, /* "domain_numeric_tld": last label all digits */
	ADDR_DOMAIN_NOT_FOUND,	/* "domain_not_found": DNS says the name does not exist */
	ADDR_DOMAIN_NULL_MX,	/* "domain_null_mx": the domain says it takes no mail (RFC 7505) */
	ADDR_DOMAIN_NO_MAIL,	/* "domain_no_mail": no MX, A or AAAA record */
	ADDR_REASON_COUNT
};

/* what the DNS check found (ADDR_CHECK_MX) */
enum addr_dns_status {
	ADDR_DNS_UNCHECKED = 0,	/* not asked for, or the syntax already failed */
	ADDR_DNS_MX,		/* the domain has MX records */
	ADDR_DNS_ADDRESS,	/* no MX; an A or AAAA record (RFC 5321 5.1 implicit MX) */
	ADDR_DNS_REJECTED,	/* not found, null MX or nothing to deliver to */
	/* no answer in time (or SERVFAIL/REFUSED): the address is kept valid,
	 * since our resolver's trouble says nothing about the address */
	ADDR_DNS_TEMPFAIL,
};

struct addr_result {
	int valid;			/* 1 when the address can receive mail */
	enum addr_reason reason;
	const char *code;		/* stable code, "ok" when valid */
	const char *message;		/* human message for the code */
	/* what SMTP will use: local part as typed, domain in lower-case A-labels */
	char normalized[ADDR_MAX + 1];
	char display[ADDR_DISPLAY_SIZE];	/* domain in U-labels, for people */
	/* uniqueness key: NFC case-folded local part without needless quoting,
	 * @, the A-label domain. One subscriber per key. */
	char key[ADDR_KEY_SIZE];
	char suggestion[ADDR_MAX + 1];	/* "Did you mean" address, "" when none */
	int needs_smtputf8;		/* the relay must offer SMTPUTF8 */
	enum addr_dns_status dns;
};

/* options beyond the flags; addr_check uses the defaults (all zero) */
struct addr_options {
	unsigned flags;			/* enum addr_flags */
	const char *dns_server;		/* "IPv4[:PORT]"; NULL: the system resolver */
	int dns_timeout;		/* seconds per try, 0: 2 */
	int dns_tries;			/* 0: 2 */
};

/* addr_check - validate and normalise one address; 0, or NF_ERR_USAGE for a bad dns_server */
int addr_check(const char *input, size_t len, unsigned flags, struct addr_result *out);
/* addr_check_opts - the same with a chosen DNS server and timeout */
int addr_check_opts(const char *input, size_t len, const struct addr_options *opts,
		    struct addr_result *out);

/* addr_reason_code / addr_reason_message - the stable code and the message */
const char *addr_reason_code(enum addr_reason r);
const char *addr_reason_message(enum addr_reason r);
/* addr_reason_lookup - the reason for a code string; -1 when unknown */
int addr_reason_lookup(const char *code);

/* addr_dns_server_parse - "192.0.2.1" or "192.0.2.1:5353"; NF_OK or NF_ERR_INVALID */
int addr_dns_server_parse(const char *s, size_t len, unsigned char ip[4], unsigned *port);

/* addr_suggest - a provider domain within a small edit distance of domain
 * (UTF-8, lower case), or NULL when domain is a provider or near none */
const char *addr_suggest(const char *domain, size_t len);

/*
 * ---- module internals: shared by the files of src/addr/, not for callers ----
 */
struct addr_span {
	const char *p;
	size_t len;
};

/* scan.c: whole-input checks; each returns ADDR_OK or the reason */
int addr_has_non_ascii(const char *s, size_t n);
enum addr_reason addr_scan_bytes(const char *in, size_t len);
struct addr_span addr_scan_trim(const char *in, size_t len);
enum addr_reason addr_scan_split(struct addr_span in, struct addr_span *local,
				 struct addr_span *domain);

/* local.c: RFC 5321 Local-part (RFC 6531 with SMTPUTF8) */
enum addr_reason addr_local_parse(struct addr_span local, unsigned flags, int *utf8);
int addr_local_key(struct addr_span local, char *out, size_t size);

/* domain.c: hostname labels and IDNA; alabel/ulabel sized by the caller */
enum addr_reason addr_domain_parse(struct addr_span domain, char *alabel, size_t asize,
				   char *ulabel, size_t usize);

/* dns.c: deliverability of an A-label domain */
enum addr_reason addr_dns_check(const char *domain, const struct addr_options *opts,
				enum addr_dns_status *status);

#endif
