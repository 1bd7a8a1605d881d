#!/usr/bin/env bash
# newsflash template render: exact output, data from a file or stdin, partials
# from a folder, errors as FILE:LINE:COL on stderr with exit 2, and the signup
# error template in both its tight and its spaced form - checked against
# mustache.js itself (Debian's node-mustache) where it is installed.
source tests/lib.sh

T=$WORK/t
mkdir -p "$T/partials"

# render NAME TEMPLATE-TEXT [DATA-TEXT]: sets out (stdout, exact bytes kept with a sentinel), rc, err
render() {
	printf '%s' "$2" >"$T/$1.mustache"
	if [ $# -ge 3 ]; then
		printf '%s' "$3" >"$T/$1.json"
		out=$("$NF" template render "$T/$1.mustache" "$T/$1.json" 2>"$T/err"; echo "rc=$?")
	else
		out=$("$NF" template render "$T/$1.mustache" 2>"$T/err"; echo "rc=$?")
	fi
	rc=${out##*rc=}
	out=${out%rc=*}
	err=$(cat "$T/err")
}

# --- exact output: nothing added, nothing lost ---
render plain 'Hello, {{name}}!' '{"name":"world"}'
expect_eq "renders with data" "$out" "Hello, world!"
expect_eq "exit 0" "$rc" 0
"$NF" template render "$T/plain.mustache" "$T/plain.json" >"$T/plain.out"
expect_eq "no newline added" "$(od -An -c "$T/plain.out" | tr -d ' \n')" 'Hello,world!'
printf 'a\r\n{{#x}}\r\n  b\r\n{{/x}}\r\n' >"$T/crlf.mustache"
printf '{"x":true}' >"$T/crlf.json"
"$NF" template render "$T/crlf.mustache" "$T/crlf.json" >"$T/crlf.out"
check "CRLF lines and standalone tags kept byte for byte" cmp -s "$T/crlf.out" <(printf 'a\r\n  b\r\n')

render noctx 'static {{missing}}text'
expect_eq "no data file: an empty context" "$out" "static text"

printf 'Hello, {{who}}!' >"$T/who.mustache"
out=$(printf '{"who":"stdin"}' | "$NF" template render "$T/who.mustache" -)
expect_eq "data from stdin renders" "$out" "Hello, stdin!"

# --- escaping ---
render esc '{{v}}|{{{v}}}|{{&v}}' '{"v":"<a href=\"x\">Tom & Jerry'"'"'s</a>"}'
expect_eq "HTML escaping by default, raw with {{{ }}} and {{& }}" "$out" \
	'&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;|<a href="x">Tom & Jerry'"'"'s</a>|<a href="x">Tom & Jerry'"'"'s</a>'
out=$("$NF" template render --escape none "$T/esc.mustache" "$T/esc.json" | head -c 12)
expect_eq "--escape none for plain text" "$out" '<a href="x">'

# --- the signup error template ---
SIGNUP='{{#verifyErrors}}{{message}}{{/verifyErrors}}{{^verifyErrors}}Something went wrong. Please try again later{{/verifyErrors}}'
SPACED='{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} Something went wrong. Please try again later {{ /verifyErrors }}'
WITH='{"verifyErrors":[{"message":"Please enter a valid email address"}]}'
render signup "$SIGNUP" "$WITH"
expect_eq "signup errors: the message" "$out" "Please enter a valid email address"
render signup "$SIGNUP" '{"verifyErrors":[]}'
expect_eq "signup errors: none gives the apology" "$out" "Something went wrong. Please try again later"
render signup "$SIGNUP" '{}'
expect_eq "signup errors: absent gives the apology" "$out" "Something went wrong. Please try again later"
render spaced "$SPACED" "$WITH"
expect_eq "spaced {{ #verifyErrors }} is a section" "$out" " Please enter a valid email address  "
render spaced "$SPACED" '{}'
expect_eq "spaced {{ ^verifyErrors }} is an inverted section" "$out" "  Something went wrong. Please try again later "

# the same templates through mustache.js, the implementation the signup box comes from
MUSTACHE_JS=/usr/share/nodejs/mustache/mustache.js
if command -v node >/dev/null && [ -f "$MUSTACHE_JS" ]; then
	js() {	# js TEMPLATE-FILE DATA-FILE
		node -e 'const M = require(process.argv[1]), fs = require("fs");
			process.stdout.write(M.render(fs.readFileSync(process.argv[2], "utf8"),
				JSON.parse(fs.readFileSync(process.argv[3], "utf8"))));' \
			"$MUSTACHE_JS" "$1" "$2"
	}
	for data in "$WITH" '{"verifyErrors":[{"message":"one"},{"message":"two"}]}' '{}' '{"verifyErrors":false}'; do
		printf '%s' "$data" >"$T/d.json"
		for tpl in signup spaced; do
			ours=$("$NF" template render "$T/$tpl.mustache" "$T/d.json")
			theirs=$(js "$T/$tpl.mustache" "$T/d.json")
			expect_eq "same as mustache.js: $tpl with $data" "$ours" "$theirs"
		done
	done
	printf '%s' '<p>{{#items}}{{> row}}{{/items}}</p>{{^items}}none{{/items}}
{{! a comment }}
{{#user}}{{name}} <{{email}}>{{/user}} {{user.name}} {{{raw}}}
' >"$T/mix.mustache"
	printf '%s' '{"items":[{"n":1},{"n":2.5}],"user":{"name":"Ann & Bo","email":"a@b.c"},"raw":"<i>x</i>"}' >"$T/mix.json"
	printf '<li>{{n}}</li>' >"$T/row.mustache"
	ours=$("$NF" template render "$T/mix.mustache" "$T/mix.json")
	theirs=$(node -e 'const M = require(process.argv[1]), fs = require("fs");
		process.stdout.write(M.render(fs.readFileSync(process.argv[2], "utf8"),
			JSON.parse(fs.readFileSync(process.argv[3], "utf8")),
			{ row: fs.readFileSync(process.argv[4], "utf8") }));' \
		"$MUSTACHE_JS" "$T/mix.mustache" "$T/mix.json" "$T/row.mustache")
	expect_eq "same as mustache.js: sections, partials, comments, dotted names" "$ours" "$theirs"
else
	skip "same as mustache.js" "node or Debian's node-mustache is not installed"
fi

# --- partials ---
printf '<header>{{title}}</header>\n' >"$T/partials/header.mustache"
printf '{{>header}}\n  {{>item}}\n<main>{{body}}</main>{{>nowhere}}' >"$T/page.mustache"
printf '<li>\n{{name}}\n</li>\n' >"$T/partials/item.mustache"
printf '{"title":"T","body":"B","name":"N"}' >"$T/page.json"
out=$("$NF" template render "$T/page.mustache" "$T/page.json" --partials "$T/partials" 2>"$T/err")
expect_eq "partials from --partials DIR, indented when standalone" "$out" \
	"$(printf '<header>T</header>\n  <li>\n  N\n  </li>\n<main>B</main>')"
expect_contains "an unknown partial renders empty, with a warning" "$(cat "$T/err")" "nowhere.mustache"
printf 'in the same folder: {{>sibling}}' >"$T/near.mustache"
printf 'yes' >"$T/sibling.mustache"
out=$("$NF" template render "$T/near.mustache")
expect_eq "partials default to the template's folder" "$out" "in the same folder: yes"
out=$(NEWSFLASH_PARTIALS="$T/partials" "$NF" template render "$T/page.mustache" "$T/page.json" 2>/dev/null | head -1)
expect_eq "NEWSFLASH_PARTIALS sets the folder too" "$out" "<header>T</header>"
printf '{{>self}}' >"$T/partials/self.mustache"
out=$("$NF" template render "$T/partials/self.mustache" 2>&1); rc=$?
expect_eq "endless partial recursion stops with exit 2" "$rc" 2
expect_contains "endless partial recursion is named a limit" "$out" "limit"

# inheritance as the page templates use it
printf '<title>{{$title}}Default{{/title}}</title>\n<main>\n  {{$content}}\n  {{/content}}\n</main>\n' >"$T/partials/layout.mustache"
printf '{{<layout}}\n{{$title}}Signup – {{pub}}{{/title}}\n{{$content}}\n<h1>Hi</h1>\n<p>there</p>\n{{/content}}\n{{/layout}}\n' >"$T/child.mustache"
printf '{"pub":"The Daily"}' >"$T/child.json"
out=$("$NF" template render "$T/child.mustache" "$T/child.json" --partials "$T/partials")
expect_eq "parents and blocks, the content reindented" "$out" "$(printf '<title>Signup – The Daily</title>\n<main>\n  <h1>Hi</h1>\n  <p>there</p>\n</main>')"

# --- errors: FILE:LINE:COL: message, exit 2 ---
render unclosed 'line 1
  {{#items}}{{name}}'
expect_eq "unclosed section exits 2" "$rc" 2
expect_eq "unclosed section: FILE:LINE:COL" "$err" "$T/unclosed.mustache:2:3: unclosed section {{#items}}: no {{/items}} before the end"
expect_eq "nothing on stdout on error" "$out" ""
render mismatch '{{#a}}
 x {{/b}}'
expect_eq "mismatched closing tag exits 2" "$rc" 2
expect_contains "mismatched closing tag: where" "$err" "$T/mismatch.mustache:2:4: mismatched closing tag {{/b}}"
render delim 'ok {{=<% %> %>=}}'
expect_eq "bad delimiter change exits 2" "$rc" 2
expect_contains "bad delimiter change: where" "$err" "$T/delim.mustache:1:4: bad delimiter change"
render opentag 'Dear {{name'
expect_contains "unclosed tag: where" "$err" "$T/opentag.mustache:1:6: unclosed tag"
printf 'x\n{{#a}}' >"$T/partials/broken.mustache"
printf '{{>broken}}' >"$T/usesbroken.mustache"
err=$("$NF" template render "$T/usesbroken.mustache" --partials "$T/partials" 2>&1 >/dev/null); rc=$?
expect_eq "an error in a partial exits 2" "$rc" 2
expect_contains "an error in a partial names the partial's file" "$err" "$T/partials/broken.mustache:2:1: unclosed section"

# --- data files ---
err=$("$NF" template render "$T/plain.mustache" "$T/absent.json" 2>&1 >/dev/null); rc=$?
expect_eq "missing data file exits 2" "$rc" 2
expect_contains "missing data file is named" "$err" "cannot read data file $T/absent.json"
printf '{"name": "x",\n  oops}' >"$T/bad.json"
err=$("$NF" template render "$T/plain.mustache" "$T/bad.json" 2>&1 >/dev/null); rc=$?
expect_eq "invalid data file exits 2" "$rc" 2
expect_contains "invalid data file: where" "$err" "$T/bad.json:2:"
err=$("$NF" template render "$T/absent.mustache" 2>&1 >/dev/null); rc=$?
expect_eq "missing template exits 2" "$rc" 2
expect_contains "missing template is named" "$err" "cannot read $T/absent.mustache"
"$NF" template >/dev/null 2>&1; expect_eq "no subcommand exits 2" "$?" 2
"$NF" template render >/dev/null 2>&1; expect_eq "no template exits 2" "$?" 2
"$NF" template render a b c d >/dev/null 2>&1; expect_eq "too many arguments exit 2" "$?" 2
out=$("$NF" template --help); expect_contains "help" "$out" "usage: newsflash template render"

# --- the default templates render ---
if [ -f templates/alert.html.mustache ] && [ -f bench/alert.json ]; then
	out=$("$NF" template render templates/alert.html.mustache bench/alert.json)
	expect_contains "alert.html renders the headline" "$out" "<h1"
	expect_contains "alert.html has no unrendered tag" "$(echo "$out" | grep -c '{{' || true)" "0"
	out=$("$NF" template render --escape none templates/alert.txt.mustache bench/alert.json)
	expect_contains "alert.txt renders the unsubscribe link" "$out" "Unsubscribe"
fi
finish
