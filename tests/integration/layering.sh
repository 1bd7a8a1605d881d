#!/usr/bin/env bash
# Which module may include which (scripts/layering), and file names unique
# across src/: the tree keeps every rule, and each kind of breach planted in
# a copy is caught, so the check cannot pass by seeing nothing.
source tests/lib.sh
SRC=${NEWSFLASH_SRC:-$PWD}

out=$("$SRC/scripts/layering" "$SRC/src" 2>&1)
expect_eq "src/ keeps every layering rule" "$out" "0 broken layering rules"
[ "$out" = "0 broken layering rules" ] || echo "$out"

dups=$(find "$SRC/src" -name '*.[ch]' -printf '%f\n' | sort | uniq -d | tr '\n' ' ')
expect_eq "file names are unique across src/" "$dups" ""

# plant FILE LINE: a copy of src/ with LINE added to FILE; prints the checker's verdict
plant() {
	rm -rf "$WORK/src" && cp -r "$SRC/src" "$WORK/src"
	mkdir -p "$(dirname "$WORK/src/$1")"
	echo "$2" >>"$WORK/src/$1"
	"$SRC/scripts/layering" "$WORK/src" 2>&1
}
expect_contains "core including store is caught" \
	"$(plant core/log.c '#include "store/store.h"')" "core/log.c"
expect_contains "a relative include is resolved (core -> ../store)" \
	"$(plant core/log.c '#include "../store/store.h"')" "core includes ../store/store.h (store)"
expect_contains "mail including news is caught" \
	"$(plant mail/hdr.c '#include "news/news.h"')" "mail includes news/news.h"
expect_contains "smtp including mail is caught" \
	"$(plant smtp/io.c '#include "mail/mail.h"')" "smtp includes mail/mail.h"
expect_contains "deliver including web is caught" \
	"$(plant deliver/metrics.c '#include "web/web.h"')" "deliver includes web/web.h"
expect_contains "store including web is caught" \
	"$(plant store/rows.c '#include "web/web.h"')" "store includes web/web.h"
expect_contains "one wing including another is caught" \
	"$(plant web/http/planted.c '#include "../public/public.h"')" "web/http includes ../public/public.h"
finish
