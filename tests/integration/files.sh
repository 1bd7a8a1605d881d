#!/usr/bin/env bash
# What newsflash leaves on disk and how its secrets arrive: the SQLite
# database, its -wal and -shm and a `db backup` are 0600 whatever the umask
# (they hold addresses, IP history and keys); make install leaves the
# configuration 0640; the relay password comes from --smtp-password-file
# (as with systemd's LoadCredential) into AUTH, and never into the log.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/smtp.sh

mode() { stat -c %a "$1"; }

# ---- the database under a permissive umask
( umask 000; "$NF" db migrate --db "sqlite:$WORK/loose/newsflash.db" >/dev/null 2>&1 )
expect_eq "a new database under umask 000 is 0600" "$(mode "$WORK/loose/newsflash.db")" 600
( umask 022; "$NF" db backup "$WORK/backup.db" --db "sqlite:$WORK/loose/newsflash.db" >/dev/null 2>&1 )
expect_eq "db backup under umask 022 is 0600" "$(mode "$WORK/backup.db")" 600

# ---- serve with an authenticating relay, the password from a file
smtp_port=$(free_port)
smtpd_start "$smtp_port" "$WORK/spool" --auth 'news:p@ss,w:rd/%' || fail "aiosmtpd with AUTH starts"
printf 'p@ss,w:rd/%%\n' >"$WORK/smtp-password"
chmod 600 "$WORK/smtp-password"
port=$(free_port)
umask 000
serve_start "$port" --transport "smtp://news@127.0.0.1:$smtp_port?tls=none" \
	--smtp-password-file "$WORK/smtp-password" --db "sqlite:$WORK/run/newsflash.db" ||
	{ fail "serve starts with --smtp-password-file"; finish; }
umask 022
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"email":"reader@example.com"}' "http://127.0.0.1:$port/api/subscribe")
expect_eq "a signup" "$code" 200
for i in $(seq 1 100); do [ -e "$WORK/spool/1.eml" ] && break; sleep 0.1; done
check "the confirmation went through the relay with AUTH" test -e "$WORK/spool/1.eml"
for f in newsflash.db newsflash.db-wal newsflash.db-shm; do
	if [ -e "$WORK/run/$f" ]; then expect_eq "$f under umask 000 is 0600" "$(mode "$WORK/run/$f")" 600
	else fail "$f exists while serving"; fi
done
serve_stop
check "the password is in no log line" test "$(grep -c 'p@ss\|p%40ss' "$WORK/serve.log")" = 0

"$NF" serve --transport "smtp://news:other@127.0.0.1:$smtp_port?tls=none" --smtp-password-file "$WORK/smtp-password" \
	--db "sqlite:$WORK/x.db" --listen 127.0.0.1:$(free_port) >/dev/null 2>"$WORK/err"
expect_eq "a password in the URL and a file: usage error (2)" "$?" 2
"$NF" serve --transport "smtp://127.0.0.1:$smtp_port" --smtp-password-file "$WORK/nope" \
	--db "sqlite:$WORK/x.db" --listen 127.0.0.1:$(free_port) >/dev/null 2>"$WORK/err"
expect_eq "a missing password file: usage error (2)" "$?" 2

# ---- make install: the configuration 0640
make -s install DESTDIR="$WORK/root" PREFIX=/usr SYSCONFDIR=/etc >/dev/null 2>&1
expect_eq "the installed configuration is 0640" "$(mode "$WORK/root/etc/newsflash/newsflash.conf")" 640
finish
