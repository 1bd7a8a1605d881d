/*
 * core/core_internal.h - what core's own files share and no other module sees
 *
 * Owns: the pieces sha256_pairs.c and sha256_lanes.c share (the round
 * constants, the sixteen-lane kernel and its CPU check). Other modules use
 * sha256_update_many (core.h), which chooses the road.
 */
#ifndef NEWSFLASH_CORE_INTERNAL_H
#define NEWSFLASH_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

extern const uint32_t sha256_k[64];	/* FIPS 180-4 4.2.2 */
/* 1 when the CPU (and the OS) can run sha256_blocks16 */
int sha256_has16(void);
/* n whole blocks of each p[i] (i < lanes <= 16) into the chaining values h[i] */
void sha256_blocks16(uint32_t *const h[], const unsigned char *const p[], size_t lanes,
		     size_t n);

#endif
