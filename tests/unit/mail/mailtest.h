/*
 * tests/unit/mail/mailtest.h - helpers the mail tests share: an RFC 2047
 * decoder and a quoted-printable decoder written independently of
 * src/mail, so a round trip checks the encoders against the RFCs' rules
 * rather than against themselves.
 */
#ifndef NEWSFLASH_MAILTEST_H
#define NEWSFLASH_MAILTEST_H

#include "core/core.h"

/* unfold a header field's value (drop CRLF before WSP); returns malloc'd text */
char *mt_unfold_value(const char *field, size_t n);
/* decode an unstructured value made of encoded-words and/or plain words */
int mt_decode_words(const char *v, struct buf *out);
/* decode quoted-printable (RFC 2045 6.7) into out; lines must be <= 76 */
int mt_qp_decode(const char *in, size_t n, struct buf *out);
/* longest line (without CRLF) in text */
size_t mt_longest_line(const char *s, size_t n);
/* LF -> CRLF (files in shared/testdata keep upstream line ends) */
char *mt_crlf(const char *in, size_t n, size_t *outlen);

#endif
