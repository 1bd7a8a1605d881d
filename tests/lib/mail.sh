# tests/lib/mail.sh - shell helpers for DKIM checks with dkimpy
#
# mail_record FILE: turn keygen's output (its zone-file line NAME. TTL IN TXT
# "..." "...", or an older file's NAME IN TXT "...") into NAME=VALUE, the
# form tests/lib/dkim_verify.py takes.
# mail_verify MESSAGE NAME=VALUE...: run dkimpy over every signature.
mail_record() {
	sed -nE 's/^([^ ;]+[^ ;.])\.?( [0-9]+)? IN TXT "(.*)"$/\1=\3/p' "$1" | sed 's/" "//g'
}
mail_verify() {
	/usr/bin/python3 tests/lib/dkim_verify.py "$@"
}
