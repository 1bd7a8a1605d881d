#!/usr/bin/env bash
# Every configuration snippet in docs/operations.md is valid for the program
# it is meant for, pasted as it is: each Postfix main.cf block is loaded by
# postconf from a scratch configuration directory (no warning, every value
# exactly as written: Postfix has no end-of-line comments, so "# ..." after
# a value would become part of it), and the nginx server blocks pass nginx -t
# where nginx is installed.
source tests/lib.sh
DOC=${NEWSFLASH_SRC:-$PWD}/docs/operations.md
LIB=${NEWSFLASH_SRC:-$PWD}/tests/lib

# ---- Postfix main.cf ----
n=$(/usr/bin/python3 "$LIB/doc_blocks.py" "$DOC" main.cf "$WORK/postfix")
expect_eq "operations.md has Postfix main.cf snippets" "$([ "${n:-0}" -ge 1 ] && echo yes)" yes
if command -v postconf >/dev/null; then
	for i in $(seq 1 "${n:-0}"); do
		dir=$WORK/pf$i
		mkdir -p "$dir"
		cp "$WORK/postfix/$i" "$dir/main.cf"
		cp /etc/postfix/master.cf "$dir/master.cf" 2>/dev/null || : >"$dir/master.cf"
		out=$(postconf -c "$dir" -n 2>"$WORK/pf.err"); rc=$?
		expect_eq "main.cf snippet $i: postconf -c reads it (exit 0)" "$rc" 0
		expect_eq "main.cf snippet $i: no warning" "$(cat "$WORK/pf.err")" ""
		while IFS= read -r line; do
			case "$line" in '#'* | '' | ' '* | $'\t'*) continue ;; esac
			name=${line%%=*} name=${name%% *}
			want=${line#*=} want=${want# }
			got=$(postconf -c "$dir" -h "$name" 2>/dev/null)
			expect_eq "main.cf snippet $i: $name is the value written" "$got" "$want"
			case "$got" in *'#'*) fail "main.cf snippet $i: $name holds no '#'" "$got" ;; esac
		done <"$dir/main.cf"
		host=$(postconf -c "$dir" -h myhostname 2>/dev/null)
		if grep -q '^myhostname' "$dir/main.cf"; then
			check "main.cf snippet $i: myhostname is a host name ($host)" \
				grep -qxE '[a-z0-9]([a-z0-9.-]*[a-z0-9])?' <<<"$host"
		fi
	done
else
	skip "postconf on the main.cf snippets" "postconf is not installed"
fi

# ---- nginx ----
n=$(/usr/bin/python3 "$LIB/doc_blocks.py" "$DOC" nginx "$WORK/nginx")
expect_eq "operations.md has nginx snippets" "$([ "${n:-0}" -ge 1 ] && echo yes)" yes
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
if [ -n "$NGINX" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=news.example.com \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
	for i in $(seq 1 "${n:-0}"); do
		# the certificate paths and ports made local; everything else as written
		sed -e "s|/etc/letsencrypt/live/news.example.com/fullchain.pem|$WORK/cert.pem|" \
			-e "s|/etc/letsencrypt/live/news.example.com/privkey.pem|$WORK/key.pem|" \
			-e "s|listen 443|listen 127.0.0.1:$(free_port)|" -e "s|listen 80;|listen 127.0.0.1:$(free_port);|" \
			"$WORK/nginx/$i" >"$WORK/site$i.conf"
		printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n    access_log off;\n    include %s;\n}\n' \
			"$WORK" "$WORK" "$WORK/site$i.conf" >"$WORK/nginx$i.conf"
		out=$("$NGINX" -t -q -p "$WORK" -c "$WORK/nginx$i.conf" 2>&1); rc=$?
		expect_eq "nginx snippet $i: nginx -t passes (${out:-no output})" "$rc" 0
	done
else
	skip "nginx -t on the nginx snippets" "nginx is not installed"
fi
finish
