/*
 * inbound/inbound_internal.h - what the files of the inbound module share
 *
 * The GMime glue (mime.c) is the only place that sees GMime's types for
 * parsing; the classifier asks it for messages, header fields, a part's
 * decoded bytes, addresses in a field, and the field groups of a report.
 */
#ifndef NEWSFLASH_INBOUND_INTERNAL_H
#define NEWSFLASH_INBOUND_INTERNAL_H

#include <gmime/gmime.h>

#include "inbound.h"

#define INBOUND_GROUPS_MAX 64		/* field groups read from one report part */
#define INBOUND_PART_MAX (1u << 20)	/* decoded bytes read from one report part */

/* mime.c */
/* a message parsed from bytes, or NULL; g_object_unref it */
GMimeMessage *inbound_mime_parse(const char *p, size_t n);
/* the decoded content of a leaf part into out (ceiling max); NF_ERR_INVALID if not a leaf */
int inbound_mime_bytes(GMimeObject *part, struct buf *out, size_t max);
/* the value of header name, or NULL (borrowed from obj) */
const char *inbound_mime_header(GMimeObject *obj, const char *name);
/* call fn with every value of header name in obj (a field may repeat) */
void inbound_mime_each_header(GMimeObject *obj, const char *name,
			      void (*fn)(void *arg, const char *value), void *arg);
/* call fn with every mailbox address in a field value (groups opened) */
void inbound_mime_each_address(const char *value, void (*fn)(void *arg, const char *addr),
			       void *arg);
/*
 * RFC 3464 2.1 / RFC 5965 3.1: a report part is groups of header-style
 * fields separated by blank lines. fn gets each group, parsed by GMime as a
 * header block (folding, comments and encoded-words are its business), at
 * most INBOUND_GROUPS_MAX of them.
 */
void inbound_mime_groups(const char *p, size_t n,
			 void (*fn)(void *arg, GMimeObject *fields), void *arg);
/* content type of obj is type/subtype (case-insensitive) */
int inbound_mime_is(GMimeObject *obj, const char *type, const char *subtype);

/* ident.c: signed tokens found in field values */
void inbound_ident_add(struct inbound_report *r, const struct inbound_ident *id);
/* an address: a bounce+ or unsubscribe+ local part becomes an identity */
void inbound_ident_from_address(struct inbound_report *r, const char *addr, int envelope);
/* a List-Unsubscribe value: its /u/TOKEN link and its mailto */
void inbound_ident_from_list_unsubscribe(struct inbound_report *r, const char *value);

#endif
