/*
 * core/core.h - the bottom layer every other module leans on
 *
 * Owns: status codes, allocation that never returns NULL, byte buffers with
 * a ceiling, per-request arenas, logging, time formats, secure random bytes,
 * the text codecs (base64, base64url, hex, percent-encoding), HMAC-SHA256
 * with constant-time comparison, and command-line/environment configuration.
 *
 * Knows nothing of mail, HTTP or storage. Only libc and OpenSSL's libcrypto.
 */
#ifndef NEWSFLASH_CORE_H
#define NEWSFLASH_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/sha.h>	/* SHA256_CTX: see hmac.c */

/* Status codes: every fallible function returns one; 0 is success. */
enum nf_status {
	NF_OK = 0,
	NF_ERR = -1,		/* generic failure, details logged */
	NF_ERR_LIMIT = -2,	/* a ceiling set at creation was reached */
	NF_ERR_INVALID = -3,	/* input does not parse */
	NF_ERR_IO = -4,		/* a system call failed */
	NF_ERR_NOTFOUND = -5,
	NF_ERR_USAGE = -6,	/* the caller (a person, at the CLI) asked wrongly */
	NF_ERR_TEMP = -7,	/* try again later (busy database, peer 4xx) */
};

const char *nf_strstatus(int status);

#define NF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NF_UNUSED(x) ((void)(x))
/* a macro's value as a string literal, for help texts: NF_STR(STORE_DEFAULT_SHARDS) */
#define NF_STR(x) NF_STR_(x)
#define NF_STR_(x) #x

/* ---- alloc.c: allocation either succeeds or aborts the process ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xmemdup0(const void *p, size_t n);	/* copy plus a NUL */
/* for tests: make the Nth allocation from now on abort-free fail (0 = off) */
void xalloc_fail_after(long n);

/* ---- buf.c: growable byte buffer with a ceiling ---- */
struct buf {
	char *data;		/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;		/* ceiling on len; 0 means SIZE_MAX */
};

void buf_init(struct buf *b, size_t max);
void buf_reset(struct buf *b);		/* len = 0, keeps memory */
void buf_free(struct buf *b);		/* releases memory, back to empty */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* remove n bytes from the front (consumed input) */
void buf_consume(struct buf *b, size_t n);
/* hand the bytes to the caller, who frees them; b is left empty */
char *buf_steal(struct buf *b, size_t *len);

/* ---- arena.c: per-request memory freed in one call ---- */
struct arena;
struct arena *arena_new(size_t max);		/* max total bytes, 0 = no limit */
void *arena_alloc(struct arena *a, size_t n);	/* NULL only past max */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
size_t arena_used(const struct arena *a);
void arena_free(struct arena *a);

/* ---- log.c: one key=value line per event on stderr ---- */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_setup(enum log_level min, enum log_format format);
int log_level_parse(const char *name, enum log_level *out);
/*
 * log_event(level, "event.name", "key", "value", ..., NULL)
 * Keys and values are strings; values are quoted and escaped as needed, so
 * a value can never forge a field or a line. Secrets must not be passed.
 */
void log_event(enum log_level level, const char *event, ...)
	__attribute__((sentinel));
/* printf-style message for humans, logged as msg="..." */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a bug: log and abort */
void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- time.c ---- */
#define TIME_RFC5322_MAX 40
#define TIME_RFC3339_MAX 32
/* "Sun, 29 Nov 2026 03:10:06 +0000" */
size_t time_rfc5322(time_t t, char out[TIME_RFC5322_MAX]);
/* "2026-11-29T03:10:06Z" */
size_t time_rfc3339(time_t t, char out[TIME_RFC3339_MAX]);
int time_rfc3339_parse(const char *s, size_t len, time_t *out);
int64_t time_now_ms(void);		/* wall clock, ms since the epoch */
int64_t time_mono_us(void);		/* monotonic, for intervals */

/* ---- random.c ---- */
int random_bytes(void *out, size_t n);	/* getrandom; NF_OK or NF_ERR_IO */
uint64_t random_u64(void);		/* aborts if the kernel cannot give entropy */

/* ---- codec.c: encoders write into a buf; decoders reject bad input ---- */
size_t base64_encoded_len(size_t n);		/* with padding */
int base64_encode(struct buf *out, const void *in, size_t n);
int base64_decode(struct buf *out, const char *in, size_t n);
int base64url_encode(struct buf *out, const void *in, size_t n);	/* no padding */
int base64url_decode(struct buf *out, const char *in, size_t n);
int hex_encode(struct buf *out, const void *in, size_t n);		/* lower case */
size_t dec_u64(char out[20], uint64_t v);	/* v in decimal, no NUL: the digit count */
int hex_decode(struct buf *out, const char *in, size_t n);
/* RFC 3986: everything but unreserved is %XX */
int percent_encode(struct buf *out, const char *in, size_t n);
/* form = 1 also turns '+' into a space (application/x-www-form-urlencoded) */
int percent_decode(struct buf *out, const char *in, size_t n, int form);

/* ---- hmac.c ---- */
#define HMAC_SHA256_LEN 32
/*
 * SHA-256 states that copy by assignment (OpenSSL's SHA256_CTX; hmac.c
 * says why): hash a shared start once, copy, go on per message.
 */
void sha256_state_init(SHA256_CTX *c);
void sha256_state_update(SHA256_CTX *c, const void *p, size_t n);
void sha256_state_final(SHA256_CTX *c, unsigned char md[32]);
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		 unsigned char out[HMAC_SHA256_LEN]);
void sha256(const void *msg, size_t len, unsigned char out[32]);
/*
 * A key's HMAC state derived once (the SHA-256 states after K^ipad and
 * K^opad): each hmac_sha256_keyed then costs two compressions for a short
 * message instead of four, with the same result as hmac_sha256. Read only
 * after hmac_key_new, so threads may share one.
 */
struct hmac_key;
struct hmac_key *hmac_key_new(const void *key, size_t keylen);
void hmac_key_free(struct hmac_key *h);
void hmac_sha256_keyed(const struct hmac_key *h, const void *msg, size_t msglen,
		       unsigned char out[HMAC_SHA256_LEN]);
/* 1 when equal; time depends only on n */
int ct_equal(const void *a, const void *b, size_t n);

/* ---- token.c: HMAC tokens for links (confirm, unsubscribe, export) ----
 *
 * A token is base64url(version | subscriber id | expiry | HMAC-SHA256 over
 * (purpose, id, expiry, salt)) under the server secret: no lookup table,
 * unguessable, revoked by changing the subscriber's salt. token_peek reads
 * the id (untrusted) so the caller can load the salt; token_verify then
 * checks the MAC in constant time and the expiry.
 */
#define TOKEN_MAX 96
enum token_check { TOKEN_VALID = 0, TOKEN_BAD = 1, TOKEN_EXPIRED = 2 };

struct token_key {
	const unsigned char *secret;
	size_t len;
};

/* expires: unix seconds, 0 = never (unsubscribe links in old mail must work) */
void token_make(const struct token_key *key, const char *purpose, uint64_t id,
		int64_t expires, const char *salt, char out[TOKEN_MAX]);
/* the same from the secret's saved HMAC state, hmac_key_new(secret, len): the fan-out's */
void token_make_keyed(const struct hmac_key *pre, const char *purpose, uint64_t id,
		      int64_t expires, const char *salt, char out[TOKEN_MAX]);
int token_peek(const char *token, size_t len, uint64_t *id);
enum token_check token_verify(const struct token_key *key, const char *purpose,
			      const char *token, size_t len, const char *salt,
			      int64_t now);

/*
 * Short tokens for address local parts: "ID-MAC", the decimal id and the
 * first 10 bytes of HMAC-SHA256(secret, "purpose:ID:SALT") in lower-case
 * hex. A full token would push unsubscribe+TOKEN past RFC 5321 4.5.3.1.1's
 * 64 octets; this one is at most 40, and 80 bits of MAC are plenty for
 * refusing forged bounces and unsubscribes. The delivery engine's VERP
 * return path (bounce+ID-MAC) and the List-Unsubscribe mailto
 * (unsubscribe+ID-MAC) are both of this form. Verification accepts upper-
 * case hex too (some relays fold local parts).
 */
#define TOKEN_SHORT_MAX 48
void token_short_make(const struct token_key *key, const char *purpose, uint64_t id,
		      const char *salt, char out[TOKEN_SHORT_MAX]);
void token_short_make_keyed(const struct hmac_key *pre, const char *purpose, uint64_t id,
			    const char *salt, char out[TOKEN_SHORT_MAX]);
/* the id of an "ID-MAC" of the right shape (untrusted until verified) */
int token_short_peek(const char *s, size_t len, uint64_t *id);
enum token_check token_short_verify(const struct token_key *key, const char *purpose,
				    const char *s, size_t len, const char *salt);

/* ---- config.c: flags, NEWSFLASH_* variables and the configuration file ---- */
enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL, CONFIG_LIST };

struct config_list {
	const char **items;
	size_t count;
};

struct config_opt {
	const char *name;	/* "listen" for --listen, env NEWSFLASH_LISTEN, key listen */
	enum config_type type;
	void *target;		/* const char **, long *, int *, struct config_list * */
	const char *metavar;	/* "ADDR" in the usage, NULL for a bool */
	const char *help;
};

/*
 * config_parse - fill targets from four sources; the first that sets an
 * option wins: a flag on the command line, then NEWSFLASH_<NAME> in the
 * environment, then KEY = VALUE in the configuration file, then the default
 * (whatever the target held before the call). The file is the one named by
 * --config FILE (every command takes it), else by NEWSFLASH_CONFIG, else
 * the config_default_file when it is there. A list option (--dkim-key given
 * twice) takes every occurrence from the strongest source that has it: two flags replace three lines of the
 * file. File keys the table does not have are skipped: one file serves
 * every command. Options may come anywhere; "--" ends them. Positional
 * arguments are gathered, in order, into *pos (an array the caller frees)
 * and *npos. On a problem it writes one line to stderr and returns
 * NF_ERR_USAGE. Strings set from the environment or the file live until the
 * process exits.
 */
int config_parse(const struct config_opt *opts, int argc, char **argv,
		 char ***pos, int *npos);

#define CONFIG_KEEP_GOING 1u	/* report every problem, not only the first */
#define CONFIG_STRICT_KEYS 2u	/* a file key the table lacks is a problem */
/*
 * config_parse_ex - config_parse with flags; with problems non-NULL each
 * problem is appended to it as a line "WHERE: what\n" (WHERE is FILE:LINE,
 * the variable's name, or the flag) instead of going to stderr.
 */
int config_parse_ex(const struct config_opt *opts, int argc, char **argv,
		    char ***pos, int *npos, unsigned flags, struct buf *problems);
/* the configuration file the last config_parse read, NULL when none */
const char *config_file_used(void);
/*
 * config_default_file - the file read when neither --config nor
 * NEWSFLASH_CONFIG names one (the installed SYSCONFDIR/newsflash/newsflash.conf),
 * if it exists and may be read; NEWSFLASH_CONFIG set but empty means none
 */
void config_default_file(const char *path);
/*
 * config_origin - where the last config_parse took option name from, for
 * error messages: "the flag --db", "the environment (NEWSFLASH_DB)", "the
 * configuration file (FILE:LINE)", or the built-in default and why no file
 * set it (buf holds that text)
 */
const char *config_origin(const char *name, char *buf, size_t len);
/* the same, short: "--db", "NEWSFLASH_DB" or "FILE:LINE"; NULL for the default */
const char *config_where(const char *name);
void config_usage(const struct config_opt *opts, FILE *to);
void config_list_free(struct config_list *l);

/* ---- config_file.c: the file's KEY = VALUE lines ---- */
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096

struct config_entry {
	const char *key;	/* into the text; not NUL-terminated */
	size_t key_len;
	const char *value;
	size_t value_len;
	long line;
};

int config_file_next(const char *text, size_t len, size_t *pos, long *line,
		     struct config_entry *e, const char **why);

/* ---- csv.c: CSV records (RFC 4180), read from a person's file and written ---- */
#define CSV_MAX_FIELDS 16
#define CSV_RECORD_MAX 8192

enum csv_result {
	CSV_RECORD = 1,			/* a record is in the fields */
	CSV_END = 0,			/* no more input */
	CSV_NEED_MORE = 2,		/* (csv_parse) incomplete: feed more */
	CSV_BAD = NF_ERR_INVALID,	/* a malformed record, skipped */
	CSV_TOO_LONG = NF_ERR_LIMIT	/* a record past the ceiling, skipped */
};

struct csv_record {
	size_t nfields;
	const char *field[CSV_MAX_FIELDS];	/* NUL-terminated, unquoted */
	size_t len[CSV_MAX_FIELDS];
	long line;			/* physical line where the record starts */
	const char *error;		/* why, for CSV_BAD */
	/* private */
	struct buf text;
};

/*
 * csv_parse - one record from p[0..len). *used is how many bytes it took
 * (also for a bad record, so the caller can move past it). With eof 0 an
 * unfinished record asks for more; with eof 1 it is the last one. *lines
 * counts the newlines consumed.
 */
int csv_parse(const char *p, size_t len, int eof, struct csv_record *rec, size_t *used,
	      long *lines);
void csv_record_init(struct csv_record *rec);
void csv_record_free(struct csv_record *rec);

/* a reader over a stream, with a ceiling on each record */
struct csv_reader {
	FILE *f;
	struct buf in;
	size_t pos;
	long line;			/* next physical line */
	int eof;
	struct csv_record rec;
};
void csv_reader_init(struct csv_reader *r, FILE *f);
/* CSV_RECORD, CSV_END, CSV_BAD or CSV_TOO_LONG (r->rec.line says where) */
int csv_read(struct csv_reader *r);
void csv_reader_free(struct csv_reader *r);
/* one field, quoted when it must be */
void csv_field(struct buf *out, const char *s, size_t len);

/* ---- password.c: Argon2id (RFC 9106) password hashes, for every module ---- */
/*
 * Editors' passwords: the parameters travel inside the encoded hash (PHC
 * string format). `newsflash editor add` hashes with password_hash before
 * storing; the newsroom's sign-in checks with password_check.
 */
#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define PASSWORD_HASH_MAX 128
#define PASSWORD_BUSY 2
/* 1 when len is within the limits and there is no NUL byte */
int password_ok(const char *pw, size_t len);
/* NF_OK and the encoded hash in out (at least PASSWORD_HASH_MAX bytes) */
int password_hash(const char *pw, size_t len, char *out, size_t outlen);
/*
 * password_check - 1 when pw matches the encoded hash, 0 when not (encoded
 * NULL: a decoy of the same cost, never a match), PASSWORD_BUSY when as
 * many checks as there are work areas are running
 */
int password_check(const char *encoded, const char *pw, size_t len);

/* ---- idset.c: a compressed set of ids (Roaring bitmaps) ---- */

#define IDSET_ID_MAX 4294967295u	/* ids are 1 .. 2^32 - 1 */

struct idset;
struct idset *idset_new(void);
void idset_free(struct idset *s);
/* add id: 1 when it was not there, 0 when it was, NF_ERR_INVALID out of range */
int idset_add(struct idset *s, int64_t id);
int idset_has(const struct idset *s, int64_t id);
uint64_t idset_count(const struct idset *s);
/* into |= from */
void idset_merge(struct idset *into, const struct idset *from);
/* idset_save - append s's portable Roaring bytes to out (compresses runs in s first) */
int idset_save(struct idset *s, struct buf *out);
/* idset_load - a set from exactly n portable bytes (n = 0: empty); NF_ERR_INVALID for any other bytes */
int idset_load(struct idset **out, const void *in, size_t n);

/* ---- sha256_pairs.c, sha256_lanes.c: many SHA-256 states at once ---- */

#define SHA256_MANY 16		/* the most streams sha256_update_many takes */

/*
 * sha256_update_many - sha256_state_update(c[i], p[i], len[i]) for each
 * i < n (n <= SHA256_MANY, distinct states): with AVX-512 and ten or more
 * streams (six without SHA-NI) the whole blocks they share run in sixteen
 * lanes at once (~0.6 of the cost of pairs at sixteen), the rest in pairs
 * side by side on SHA-NI (~1.5x the cost of one, not 2x), or one by one.
 */
void sha256_update_many(SHA256_CTX *const c[], const void *const p[], const size_t len[],
			size_t n);
/* the most streams one pass hashes: 16 (AVX-512), 2 (SHA-NI) or 1 */
int sha256_ways(void);
/* use no road wider than n streams (16, 2 or 1): for tests and benchmarks */
void sha256_ways_limit(int n);

#endif
