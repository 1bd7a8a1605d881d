/*
 * tests/unit/smtp/transcript.h - helpers the smtp tests share to read their data files
 *
 * Owns: finding the data files of a test (tests/unit/smtp/SUB/NAME.EXT, sorted)
 * and the escapes they use (\r \n \t \\ \xNN).
 */
#ifndef NEWSFLASH_TEST_SMTP_TRANSCRIPT_H
#define NEWSFLASH_TEST_SMTP_TRANSCRIPT_H

#include <stddef.h>

#include "core/core.h"

/* sorted paths of tests/unit/smtp/SUB/ *.EXT; free with smtp_test_files_free */
char **smtp_test_files(const char *sub, const char *ext, size_t *n);
void smtp_test_files_free(char **files, size_t n);
/* append s with its escapes undone */
void smtp_test_unescape(struct buf *out, const char *s, size_t n);
/* the file's base name without the extension, in a static buffer */
const char *smtp_test_name(const char *path);

#endif
