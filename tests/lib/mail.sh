# tests/lib/mail.sh - shell helpers for DKIM checks with dkimpy
#
# mail_record FILE: turn keygen's output line (NAME IN TXT "..." "...") into
# NAME=VALUE, the form tests/lib/dkim_verify.py takes.
# mail_verify MESSAGE NAME=VALUE...: run dkimpy over every signature.
mail_record() {
	sed -E 's/^([^ ]+) IN TXT "(.*)"$/\1=\2/; s/" "//g' "$1"
}
mail_verify() {
	/usr/bin/python3 tests/lib/dkim_verify.py "$@"
}
