/*
 * fuzz_desk - the desk addresses an editor types for a test send
 * (newsroom_desk_parse): any bytes, split at commas, semicolons and blanks,
 * each piece through the address checker. Whatever the input, it must end,
 * keep at most NEWSROOM_DESK_MAX addresses, each a terminated string that
 * fits its slot, none twice, and always say why when it refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/newsroom/newsroom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct newsroom_desk desk;
	char why[256];
	size_t i, k;

	why[0] = '\0';
	if (newsroom_desk_parse((const char *)data, size, &desk, why, sizeof(why)) != NF_OK) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	if (desk.n == 0 || desk.n > NEWSROOM_DESK_MAX)
		abort();
	for (i = 0; i < desk.n; i++) {
		if (memchr(desk.addr[i], '\0', sizeof(desk.addr[i])) == NULL || desk.addr[i][0] == '\0')
			abort();
		for (k = 0; k < i; k++)
			if (strcmp(desk.addr[i], desk.addr[k]) == 0)
				abort();
	}
	return 0;
}
