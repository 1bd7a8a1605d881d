#!/usr/bin/env bash
# docs/openapi.yaml against the running server: for every documented route,
# method and status, a request that should get that status is made, and the
# answer must have the status, the documented media type and, for JSON, the
# documented required properties with their types. A documented status with
# no way to provoke it here fails, and so does an /api route in
# src/web/routes.c that the document lacks. 503 comes from a second server
# whose database was replaced by garbage after it started.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}

port=$(free_port)
serve_start "$port" --embed-origin https://pub.example --webhook-allow-private || { fail "serve starts"; finish; }
key=$("$NF" apikey create openapi --db "sqlite:$WORK/app/newsflash.db")

# the broken one: a database that stops being one after start-up
bport=$(free_port)
mkdir -p "$WORK/broken"
"$NF" serve --listen "127.0.0.1:$bport" --db "sqlite:$WORK/broken/nf.db" --threads 1 \
	--transport "maildir:$WORK/broken/outbox" --secret-file "$WORK/broken/secret" \
	--templates "$SRC/templates" >"$WORK/broken.log" 2>&1 &
bpid=$!
cleanup_add "kill $bpid"
wait_port "$bport" 10
head -c 4096 /dev/urandom >"$WORK/broken/garbage" && mv "$WORK/broken/garbage" "$WORK/broken/nf.db"
rm -f "$WORK/broken/nf.db-wal" "$WORK/broken/nf.db-shm"

# one without an engine, whose alerts wait: stopping and resuming one answers 200
eport=$(free_port)
mkdir -p "$WORK/held"
printf 'email\nheld@example.org\n' >"$WORK/held/one.csv"
"$NF" db migrate --db "sqlite:$WORK/held/nf.db" >/dev/null
"$NF" subscribers import "$WORK/held/one.csv" --list breaking-news --consent-source test \
	--db "sqlite:$WORK/held/nf.db" >/dev/null
ekey=$("$NF" apikey create held --db "sqlite:$WORK/held/nf.db")
"$NF" serve --listen "127.0.0.1:$eport" --db "sqlite:$WORK/held/nf.db" --no-engine --single-opt-in \
	--secret-file "$WORK/held/secret" --templates "$SRC/templates" >"$WORK/held.log" 2>&1 &
epid=$!
cleanup_add "kill $epid"
wait_port "$eport" 10

/usr/bin/python3 - "$SRC/docs/openapi.yaml" "$SRC/src/web/routes.c" "$port" "$bport" "$key" "$eport" "$ekey" >"$WORK/results" 2>&1 <<'PY'
import http.client, json, re, sys, yaml

doc_path, routes_path, port, bport, key, eport, ekey = sys.argv[1:8]
doc = yaml.safe_load(open(doc_path))
state = {}

def request(method, path, body=None, headers=None, server=None):
    c = http.client.HTTPConnection("127.0.0.1", int(server or port), timeout=10)
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", ""), data

def announce(method, path, length, headers):
    # only the headers: a body over the limit is refused on its Content-Length, unread
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    c.putrequest(method, path)
    for k, v in dict(headers, **{"Content-Length": str(length)}).items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", ""), data

auth = {"Authorization": "Bearer " + key}
def example(path, method):
    return doc["paths"][path][method]["requestBody"]["content"]["application/json"]["example"]

def created_alert():
    if "alert" not in state:
        s, _, b = request("POST", "/api/articles", example("/api/articles", "post"), auth)
        state["alert"] = json.loads(b)["alert_id"]
    return state["alert"]

held_auth = {"Authorization": "Bearer " + ekey}
def held_alert():
    if "held" not in state:
        s, _, b = request("POST", "/api/articles", example("/api/articles", "post"), held_auth, server=eport)
        state["held"] = json.loads(b)["alert_id"]
    return state["held"]

def until_429():
    for i in range(60):
        r = request("POST", "/api/subscribe", {"email": "flood%d@example.com" % i})
        if r[0] == 429:
            return r
    return r

# a webhook receiver answering 200 ("up"), and a closed port ("down")
import http.server, threading
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=receiver.serve_forever, daemon=True).start()
def hook(kind):
    if kind not in state:
        url = "http://127.0.0.1:%d/" % receiver.server_address[1] if kind == "up" else "http://127.0.0.1:9/"
        s, _, b = request("POST", "/api/webhooks", {"url": url, "events": "*"}, auth)
        state[kind] = json.loads(b)["id"]
    return state[kind]

big = "x" * (1024 * 1024 + 10)
# (path, method, status) -> the request that should get it; in this order
recipes = [
    (("/api/subscribe", "post", "200"), lambda: request("POST", "/api/subscribe", example("/api/subscribe", "post"))),
    (("/api/subscribe", "post", "400"), lambda: request("POST", "/api/subscribe", {"email": 5})),
    (("/api/subscribe", "post", "403"), lambda: request("POST", "/api/subscribe", {"email": "a@example.com"}, {"Origin": "https://evil.example"})),
    (("/api/subscribe", "post", "413"), lambda: announce("POST", "/api/subscribe", len(big), {"Content-Type": "application/json"})),
    (("/api/subscribe", "post", "415"), lambda: request("POST", "/api/subscribe", "email=a@example.com", {"Content-Type": "application/x-www-form-urlencoded"})),
    (("/api/subscribe", "post", "422"), lambda: request("POST", "/api/subscribe", {"email": "not-an-address"})),
    (("/api/subscribe", "post", "503"), lambda: request("POST", "/api/subscribe", {"email": "b@example.com"}, server=bport)),
    (("/api/subscribe", "post", "429"), until_429),
    (("/api/subscribe", "options", "204"), lambda: request("OPTIONS", "/api/subscribe", headers={"Origin": "https://pub.example", "Access-Control-Request-Method": "POST"})),
    (("/api/subscribe", "options", "403"), lambda: request("OPTIONS", "/api/subscribe", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})),
    (("/api/subscribe/challenge", "get", "200"), lambda: request("GET", "/api/subscribe/challenge")),
    (("/api/subscribe/challenge", "get", "403"), lambda: request("GET", "/api/subscribe/challenge", headers={"Origin": "https://evil.example"})),
    (("/api/articles", "post", "201"), lambda: request("POST", "/api/articles", example("/api/articles", "post"), auth)),
    (("/api/articles", "post", "401"), lambda: request("POST", "/api/articles", example("/api/articles", "post"))),
    (("/api/articles", "post", "413"), lambda: announce("POST", "/api/articles", len(big), dict(auth, **{"Content-Type": "application/json"}))),
    (("/api/articles", "post", "422"), lambda: request("POST", "/api/articles", {"headline": "", "url": "ftp://x"}, auth)),
    (("/api/articles", "post", "503"), lambda: request("POST", "/api/articles", example("/api/articles", "post"), auth, server=bport)),
    (("/api/alerts/{id}", "get", "200"), lambda: request("GET", "/api/alerts/%d" % created_alert(), headers=auth)),
    (("/api/alerts/{id}", "get", "401"), lambda: request("GET", "/api/alerts/1")),
    (("/api/alerts/{id}", "get", "404"), lambda: request("GET", "/api/alerts/999999", headers=auth)),
    (("/api/alerts/{id}", "get", "503"), lambda: request("GET", "/api/alerts/1", headers=auth, server=bport)),
    (("/api/alerts/{id}/stop", "post", "200"), lambda: request("POST", "/api/alerts/%d/stop" % held_alert(), headers=held_auth, server=eport)),
    (("/api/alerts/{id}/stop", "post", "409"), lambda: request("POST", "/api/alerts/%d/stop" % held_alert(), headers=held_auth, server=eport)),
    (("/api/alerts/{id}/resume", "post", "200"), lambda: request("POST", "/api/alerts/%d/resume" % held_alert(), headers=held_auth, server=eport)),
    (("/api/alerts/{id}/resume", "post", "409"), lambda: request("POST", "/api/alerts/%d/resume" % held_alert(), headers=held_auth, server=eport)),
    (("/api/alerts/{id}/stop", "post", "401"), lambda: request("POST", "/api/alerts/1/stop")),
    (("/api/alerts/{id}/resume", "post", "401"), lambda: request("POST", "/api/alerts/1/resume")),
    (("/api/alerts/{id}/stop", "post", "404"), lambda: request("POST", "/api/alerts/999999/stop", headers=auth)),
    (("/api/alerts/{id}/resume", "post", "404"), lambda: request("POST", "/api/alerts/999999/resume", headers=auth)),
    (("/api/alerts/{id}/stop", "post", "503"), lambda: request("POST", "/api/alerts/1/stop", headers=auth, server=bport)),
    (("/api/alerts/{id}/resume", "post", "503"), lambda: request("POST", "/api/alerts/1/resume", headers=auth, server=bport)),
    (("/api/inbound", "post", "200"), lambda: request("POST", "/api/inbound", "Subject: out of office\r\n\r\nback soon\r\n", dict(auth, **{"Content-Type": "message/rfc822"}))),
    (("/api/inbound", "post", "401"), lambda: request("POST", "/api/inbound", "Subject: x\r\n\r\nx\r\n", {"Content-Type": "message/rfc822"})),
    (("/api/inbound", "post", "413"), lambda: announce("POST", "/api/inbound", len(big), dict(auth, **{"Content-Type": "message/rfc822"}))),
    (("/api/inbound", "post", "422"), lambda: request("POST", "/api/inbound", "\x00\x01\x02", dict(auth, **{"Content-Type": "message/rfc822"}))),
    (("/api/inbound", "post", "503"), lambda: request("POST", "/api/inbound", "Subject: x\r\n\r\nx\r\n", dict(auth, **{"Content-Type": "message/rfc822"}), server=bport)),
    (("/api/webhooks", "post", "201"), lambda: request("POST", "/api/webhooks", example("/api/webhooks", "post"), auth)),
    (("/api/webhooks", "post", "401"), lambda: request("POST", "/api/webhooks", example("/api/webhooks", "post"))),
    (("/api/webhooks", "post", "422"), lambda: request("POST", "/api/webhooks", {"url": "file:///etc/passwd", "events": ["alert.done"]}, auth)),
    (("/api/webhooks", "post", "503"), lambda: request("POST", "/api/webhooks", example("/api/webhooks", "post"), auth, server=bport)),
    (("/api/webhooks", "get", "200"), lambda: request("GET", "/api/webhooks", headers=auth)),
    (("/api/webhooks", "get", "401"), lambda: request("GET", "/api/webhooks")),
    (("/api/webhooks", "get", "503"), lambda: request("GET", "/api/webhooks", headers=auth, server=bport)),
    (("/api/webhooks/{id}/test", "post", "200"), lambda: request("POST", "/api/webhooks/%d/test" % hook("up"), headers=auth)),
    (("/api/webhooks/{id}/test", "post", "401"), lambda: request("POST", "/api/webhooks/1/test")),
    (("/api/webhooks/{id}/test", "post", "404"), lambda: request("POST", "/api/webhooks/999999/test", headers=auth)),
    (("/api/webhooks/{id}/test", "post", "502"), lambda: request("POST", "/api/webhooks/%d/test" % hook("down"), headers=auth)),
    (("/api/webhooks/{id}/test", "post", "503"), lambda: request("POST", "/api/webhooks/1/test", headers=auth, server=bport)),
    (("/api/webhooks/{id}/replay", "post", "200"), lambda: request("POST", "/api/webhooks/%d/replay" % hook("up"), example("/api/webhooks/{id}/replay", "post"), auth)),
    (("/api/webhooks/{id}/replay", "post", "401"), lambda: request("POST", "/api/webhooks/1/replay", {"since": 0})),
    (("/api/webhooks/{id}/replay", "post", "404"), lambda: request("POST", "/api/webhooks/999999/replay", {"since": 0}, auth)),
    (("/api/webhooks/{id}/replay", "post", "422"), lambda: request("POST", "/api/webhooks/%d/replay" % hook("up"), {"since": "last week"}, auth)),
    (("/api/webhooks/{id}/replay", "post", "503"), lambda: request("POST", "/api/webhooks/1/replay", {"since": 0}, auth, server=bport)),
    (("/api/webhooks/{id}", "delete", "200"), lambda: request("DELETE", "/api/webhooks/%d" % hook("down"), headers=auth)),
    (("/api/webhooks/{id}", "delete", "401"), lambda: request("DELETE", "/api/webhooks/1")),
    (("/api/webhooks/{id}", "delete", "404"), lambda: request("DELETE", "/api/webhooks/999999", headers=auth)),
    (("/api/webhooks/{id}", "delete", "503"), lambda: request("DELETE", "/api/webhooks/1", headers=auth, server=bport)),
    (("/healthz", "get", "200"), lambda: request("GET", "/healthz")),
    (("/metrics", "get", "200"), lambda: request("GET", "/metrics")),
]

def deref(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema

types = {"object": dict, "array": list, "string": str, "boolean": bool}
def validate(value, schema, where):
    schema = deref(schema)
    t = schema.get("type")
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "%s: %r is not an integer" % (where, value)
    elif t in types and not isinstance(value, types[t]):
        return "%s: %r is not %s" % (where, value, t)
    if "enum" in schema and value not in schema["enum"]:
        return "%s: %r not in %s" % (where, value, schema["enum"])
    if t == "object":
        for name in schema.get("required", []):
            if name not in value:
                return "%s: required property %s missing" % (where, name)
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                err = validate(value[name], sub, where + "." + name)
                if err:
                    return err
    if t == "array":
        for i, item in enumerate(value):
            err = validate(item, schema.get("items", {}), "%s[%d]" % (where, i))
            if err:
                return err
    return None

documented = []
for path, ops in doc["paths"].items():
    for method, op in ops.items():
        for status in op["responses"]:
            documented.append((path, method, str(status)))
have = [k for k, _ in recipes]
for k in documented:
    if k not in have:
        print("FAIL %s %s %s: documented, but this test cannot provoke it" % (k[1].upper(), k[0], k[2]))
for k in have:
    if k not in documented:
        print("FAIL %s %s %s: the server answers it, the document does not say so" % (k[1].upper(), k[0], k[2]))

for (path, method, status), make in recipes:
    if (path, method, status) not in documented:
        continue
    name = "%s %s -> %s" % (method.upper(), path, status)
    got, ctype, body = make()
    if str(got) != status:
        print("FAIL %s: got %s %s" % (name, got, body[:200]))
        continue
    content = doc["paths"][path][method]["responses"][status].get("content", {})
    media = next(iter(content), None)
    if media and ctype.split(";")[0].strip() != media:
        print("FAIL %s: Content-Type %s, documented %s" % (name, ctype, media))
        continue
    if media == "application/json":
        try:
            value = json.loads(body)
        except ValueError as e:
            print("FAIL %s: not JSON: %s" % (name, e))
            continue
        err = validate(value, content[media]["schema"], "body")
        if err:
            print("FAIL %s: %s" % (name, err))
            continue
    print("ok %s" % name)

# every /api route the server has is documented
text = open(routes_path).read()
for method, route in re.findall(r'\{\s*"([A-Z]+)",\s*"(/api/[^"]*)"', text):
    doc_path = route + "{id}" if route.endswith("/") else route
    # a prefix route (ending in /) serves every documented path under it
    templated = [p for p in doc["paths"] if re.sub(r"\{[^}]+\}", "", p) == route or
                 (route.endswith("/") and p.startswith(route))]
    if route in doc["paths"] and method.lower() in doc["paths"][route] or \
       any(method.lower() in doc["paths"][p] for p in templated):
        print("ok route %s %s is documented" % (method, route))
    else:
        print("FAIL route %s %s in routes.c is not in docs/openapi.yaml" % (method, route))
PY
rc=$?
cat "$WORK/results"
[ "$rc" -eq 0 ] || fail "the checker ran" "exit $rc"
while IFS= read -r line; do
	case "$line" in
		"ok "*) ok "${line#ok }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
	esac
done <"$WORK/results" >/dev/null
check "some routes were checked" grep -q '^ok GET /healthz' "$WORK/results"

# serve --no-engine has no lane for confirmation mail: a double opt-in signup
# is refused with 503 (it once crashed the server), a single opt-in one works
for mode in "" --single-opt-in; do
	nport=$(free_port)
	mkdir -p "$WORK/ne$mode"
	"$NF" serve --listen "127.0.0.1:$nport" --db "sqlite:$WORK/ne$mode/nf.db" --no-engine $mode \
		--secret-file "$WORK/ne$mode/secret" --templates "$SRC/templates" >"$WORK/ne.log" 2>&1 &
	npid=$!
	cleanup_add "kill $npid"
	wait_port "$nport" 10
	got=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data '{"email":"ne@example.com"}' "http://127.0.0.1:$nport/api/subscribe")
	expect_eq "serve --no-engine $mode: signup answers" "$got" "$([ -n "$mode" ] && echo 200 || echo 503)"
	check "serve --no-engine $mode: still running" kill -0 "$npid"
	kill -TERM "$npid"; wait "$npid"
done
finish
