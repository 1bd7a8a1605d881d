#!/usr/bin/env bash
# The official Mustache specification through the command line: every case of
# $NEWSFLASH_TESTDATA/mustache-spec/specs/*.json (read in place) becomes a
# template file, a JSON data file (whatever JSON value the case gives, "world"
# and 85 included) and a folder of partials, and `newsflash template render`
# must print the expected bytes exactly. The ~lambdas cases give their lambdas
# as per-language source, which JSON data cannot carry: each of them is counted
# as skipped (tests/unit/tmpl/test_spec.c runs them with C lambdas). Without
# the spec data every file counts as skipped, never as passed.
source tests/lib.sh

SPEC=$TESTDATA/mustache-spec/specs
FILES="comments delimiters interpolation inverted partials sections ~inheritance ~dynamic-names ~lambdas"

if [ ! -d "$SPEC" ]; then
	for f in $FILES; do
		skip "spec $f" "no spec data: $SPEC is absent (set NEWSFLASH_TESTDATA)"
	done
	finish
fi

# one folder per case: name, template.mustache, data.json, partials/, expected
# (python writes the files only; every rendering below is the CLI's)
/usr/bin/python3 - "$SPEC" "$WORK/cases" $FILES <<'EOF'
import json, os, sys
spec, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
n = 0
for f in files:
    path = os.path.join(spec, f + ".json")
    if not os.path.exists(path):
        print("missing spec file " + path, file=sys.stderr)
        sys.exit(1)
    seen = {}
    for tc in json.load(open(path, encoding="utf-8"))["tests"]:
        n += 1
        name = tc["name"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:      # two cases share a name in ~inheritance
            name = "%s (%d)" % (name, seen[name])
        d = os.path.join(out, "%04d" % n)
        os.makedirs(os.path.join(d, "partials"))
        def put(rel, text):
            with open(os.path.join(d, rel), "w", encoding="utf-8", newline="") as w:
                w.write(text)
        put("name", "%s: %s" % (f, name))
        put("template.mustache", tc["template"])
        put("data.json", json.dumps(tc["data"]))
        put("expected", tc["expected"])
        put("lambda", "1" if f == "~lambdas" else "0")
        for p, text in tc.get("partials", {}).items():
            put(os.path.join("partials", p + ".mustache"), text)
EOF
if [ $? -ne 0 ]; then
	fail "the spec files can be read" "python3 could not unpack $SPEC"
	finish
fi

total=0 scalar=0
for d in "$WORK"/cases/*; do
	name=$(cat "$d/name")
	total=$((total + 1))
	if [ "$(cat "$d/lambda")" = 1 ]; then
		skip "spec $name" "its lambda is code, which JSON data cannot carry"
		continue
	fi
	case "$(head -c 1 "$d/data.json")" in '{' | '[') ;; *) scalar=$((scalar + 1)) ;; esac
	"$NF" template render "$d/template.mustache" "$d/data.json" --partials "$d/partials" \
		>"$d/got" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "spec $name" "exit $rc: $(head -c 300 "$d/err")"
	elif cmp -s "$d/got" "$d/expected"; then
		ok "spec $name"
	else
		fail "spec $name" "want [$(cat "$d/expected")] got [$(cat "$d/got")]"
	fi
done
expect_eq "every case of the nine spec files was run" "$((total > 190))" 1
expect_eq "cases whose data is a plain JSON value (not an object or array)" "$scalar" 5

# the same rule from standard input and for the other plain values
printf '{{.}}|{{#.}}yes{{/.}}{{^.}}no{{/.}}' >"$WORK/dot.mustache"
out=$(printf '"a & b"' | "$NF" template render "$WORK/dot.mustache" -)
expect_eq "a JSON string from stdin is the context" "$out" "a &amp; b|yes"
out=$(printf '2.5' | "$NF" template render "$WORK/dot.mustache" -)
expect_eq "a JSON number is the context" "$out" "2.5|yes"
out=$(printf 'false' | "$NF" template render "$WORK/dot.mustache" -)
expect_eq "false is the context: falsey" "$out" "false|no"
out=$(printf 'null' | "$NF" template render "$WORK/dot.mustache" -)
expect_eq "null is the context: empty and falsey" "$out" "|no"
err=$(printf '"a" "b"' | "$NF" template render "$WORK/dot.mustache" - 2>&1 >/dev/null); rc=$?
expect_eq "two JSON values are still invalid data" "$rc" 2
expect_contains "two JSON values: where" "$err" "(stdin):1:"
finish
