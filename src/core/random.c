/*
 * core/random.c - secure random bytes from the kernel
 *
 * Owns: the only source of randomness for secrets, salts and ids. getrandom
 * blocks until the kernel pool is initialised and never returns weak bytes.
 */
#include <errno.h>
#include <sys/random.h>

#include "core.h"

int
random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return NF_ERR_IO;
		}
		p += got;
		n -= (size_t)got;
	}
	return NF_OK;
}

uint64_t
random_u64(void)
{
	uint64_t v;

	if (random_bytes(&v, sizeof(v)) != NF_OK)
		log_panic("getrandom failed: no entropy source");
	return v;
}
