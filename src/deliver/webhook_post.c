/*
 * deliver/webhook_post.c - one webhook request: its body, its signature, the POST
 *
 * Owns: secrets (made, checked), endpoint URLs (checked), the event body
 * {"type", "timestamp", "data"}, the signature of the Standard Webhooks
 * specification (webhook-id, webhook-timestamp, webhook-signature
 * "v1,base64(HMAC-SHA256(key, id.timestamp.body))", the key being the
 * base64 after "whsec_"), and the request itself through libcurl: http and
 * https only, DELIVER_HOOK_TIMEOUT_MS for the whole exchange, redirects
 * never followed (a 3xx is a failure), no proxy from the environment.
 * Does not own: which event goes when (webhook.c) or where they are kept
 * (store/webhooks.c).
 *
 * Server-side request forgery: an endpoint is a URL an API key holder or
 * an editor chose, fetched from inside the operator's network. Unless
 * allow_private is set (tests, or an operator whose receivers are
 * internal), every address a connection is about to be made to is checked
 * in libcurl's open-socket callback, after name resolution, so a name that
 * resolves to 127.0.0.1, a private range, link-local (the cloud metadata
 * address 169.254.169.254) or an IPv6 unique-local address is refused
 * whatever the URL said; a name re-resolved to another address later is
 * checked again at that connection.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "deliver.h"

#define SECRET_PREFIX "whsec_"
#define SECRET_KEY_MIN 24
#define SECRET_KEY_MAX 64
#define REPLY_KEEP 200		/* bytes of an endpoint's answer kept for last_error */

struct deliver_hook_client {
	CURL *curl;
	int allow_private;
	int refused;		/* the last request met an address it may not reach */
	long timeout_ms;
	char reply[REPLY_KEEP + 1];
	size_t reply_len;
};

void
deliver_hook_secret_new(char out[DELIVER_HOOK_SECRET_MAX])
{
	unsigned char raw[DELIVER_HOOK_SECRET_BYTES];
	struct buf b;

	if (random_bytes(raw, sizeof(raw)) != NF_OK)
		log_panic("no entropy for a webhook secret");
	buf_init(&b, DELIVER_HOOK_SECRET_MAX - 1);
	buf_puts(&b, SECRET_PREFIX);
	base64_encode(&b, raw, sizeof(raw));
	snprintf(out, DELIVER_HOOK_SECRET_MAX, "%s", b.data);
	memset(raw, 0, sizeof(raw));
	buf_free(&b);
}

/* the key bytes of a secret into key; NF_ERR_INVALID when malformed */
static int
secret_key(const char *secret, struct buf *key)
{
	size_t n;

	if (secret == NULL || strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
		return NF_ERR_INVALID;
	secret += strlen(SECRET_PREFIX);
	n = strlen(secret);
	if (n > base64_encoded_len(SECRET_KEY_MAX) || base64_decode(key, secret, n) != NF_OK ||
	    key->len < SECRET_KEY_MIN)
		return NF_ERR_INVALID;
	return NF_OK;
}

const char *
deliver_hook_secret_check(const char *secret)
{
	struct buf key;
	int rc;

	buf_init(&key, SECRET_KEY_MAX);
	rc = secret_key(secret, &key);
	buf_free(&key);
	return rc == NF_OK ? NULL :
	       "a secret is whsec_ followed by the base64 of 24 to 64 random bytes";
}

const char *
deliver_hook_url_check(const char *url)
{
	const char *host, *end;
	size_t i, n;

	if (url == NULL || (n = strlen(url)) == 0)
		return "a URL is needed";
	if (n > STORE_HOOK_URL_MAX)
		return "the URL is too long";
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return "the URL has a space or a control character";
	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return "the URL must start with http:// or https://";
	end = host + strcspn(host, "/?#");
	if (end == host || *host == ':')
		return "the URL has no host";
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return "the URL may not carry a user or password";
	if (strchr(url, '#') != NULL)
		return "the URL may not have a fragment";
	return NULL;
}

int
deliver_hook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
		  size_t len, struct buf *out)
{
	unsigned char mac[HMAC_SHA256_LEN];
	struct buf key, msg;
	int rc;

	buf_init(&key, SECRET_KEY_MAX);
	buf_init(&msg, 0);
	if ((rc = secret_key(secret, &key)) == NF_OK) {
		buf_printf(&msg, "%s.%lld.", msg_id, (long long)timestamp);
		buf_append(&msg, body, len);
		hmac_sha256(key.data, key.len, msg.data, msg.len, mac);
		buf_puts(out, "v1,");
		rc = base64_encode(out, mac, sizeof(mac));
	}
	if (key.data)
		memset(key.data, 0, key.len);
	memset(mac, 0, sizeof(mac));
	buf_free(&key);
	buf_free(&msg);
	return rc;
}

/* the key the event's detail column is given in data, by type; NULL: none */
static const char *
detail_key(int64_t bit)
{
	switch (bit) {
	case STORE_HOOK_SUB_CREATED:
		return "status";
	case STORE_HOOK_SUB_CONFIRMED: case STORE_HOOK_SUB_UNSUBSCRIBED:
	case STORE_HOOK_SUB_BOUNCED: case STORE_HOOK_SUB_ERASED:
		return "previous_status";
	case STORE_HOOK_ALERT_DONE: case STORE_HOOK_ALERT_CANCELLED:
		return "previous_state";
	case STORE_HOOK_ALERT_CORRECTED: case STORE_HOOK_ALERT_WITHDRAWN:
		return "note";
	case STORE_HOOK_DELIVERY_FAILED:
		return "code";
	case STORE_HOOK_FEED_ERROR:
		return "error";
	default:
		return NULL;
	}
}

void
deliver_hook_payload(const struct store_hook_event *ev, struct buf *out)
{
	char when[TIME_RFC3339_MAX];
	json_t *root = json_object(), *data = json_object();
	const char *key = detail_key(ev->bit);
	char *text;

	time_rfc3339((time_t)ev->at, when);
	if (ev->alert_id) {
		json_object_set_new(data, "alert_id", json_integer(ev->alert_id));
		if (ev->article_id)
			json_object_set_new(data, "article_id", json_integer(ev->article_id));
	}
	if (ev->subscriber_id)
		json_object_set_new(data, "subscriber_id", json_integer(ev->subscriber_id));
	if (ev->email)
		json_object_set_new(data, "email", json_string(ev->email));
	if (key && ev->detail)
		json_object_set_new(data, key, json_string(ev->detail));
	json_object_set_new(root, "type", json_string(ev->type ? ev->type : "webhook.test"));
	json_object_set_new(root, "timestamp", json_string(when));
	json_object_set_new(root, "data", data);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	buf_puts(out, text);
	free(text);
	json_decref(root);
}

/* ---- the request ---- */

/* a v4 address (host order) no endpoint may have unless private ones are allowed */
static int
v4_private(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	       (a & 0xffc00000) == 0x64400000 ||	/* 100.64/10, carrier-grade NAT */
	       (a & 0xffff0000) == 0xa9fe0000 ||	/* 169.254/16, link-local, metadata */
	       (a & 0xfff00000) == 0xac100000 ||	/* 172.16/12 */
	       (a & 0xffff0000) == 0xc0a80000 ||	/* 192.168/16 */
	       (a & 0xffffff00) == 0xc0000000 ||	/* 192.0.0/24 */
	       (a & 0xfffe0000) == 0xc6120000 ||	/* 198.18/15 */
	       (a >> 28) >= 14;				/* multicast, reserved, broadcast */
}

static int
addr_private(const struct sockaddr *sa)
{
	const unsigned char *b;
	uint32_t v4;

	if (sa->sa_family == AF_INET)
		return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return 1;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	/* v4-mapped ::ffff:a.b.c.d and NAT64 64:ff9b::a.b.c.d carry a v4 address */
	if ((memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) ||
	    memcmp(b, "\0\x64\xff\x9b\0\0\0\0\0\0\0\0", 12) == 0) {
		memcpy(&v4, b + 12, 4);
		return v4_private(ntohl(v4));
	}
	return memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) == 0 ||	/* :: and ::1 */
	       (b[0] & 0xfe) == 0xfc ||				/* fc00::/7 unique local */
	       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 link-local */
	       b[0] == 0xff;					/* multicast */
}

static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct deliver_hook_client *c = arg;

	(void)purpose;
	if (!c->allow_private && addr_private(&a->addr)) {
		c->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* keep the start of the answer for last_error; the rest is read and dropped */
static size_t
keep_reply(char *p, size_t size, size_t n, void *arg)
{
	struct deliver_hook_client *c = arg;
	size_t len = size * n, room = REPLY_KEEP - c->reply_len;

	if (room > len)
		room = len;
	memcpy(c->reply + c->reply_len, p, room);
	c->reply_len += room;
	c->reply[c->reply_len] = '\0';
	return len;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_panic("libcurl cannot start");
}

struct deliver_hook_client *
deliver_hook_client_new(int allow_private, long timeout_ms)
{
	struct deliver_hook_client *c = xcalloc(1, sizeof(*c));

	pthread_once(&curl_once, curl_start);
	c->allow_private = allow_private;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DELIVER_HOOK_TIMEOUT_MS;
	if ((c->curl = curl_easy_init()) == NULL)
		log_panic("libcurl gives no handle");
	return c;
}

void
deliver_hook_client_free(struct deliver_hook_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

/* the answer's start, made one printable line (it is shown and stored) */
static void
reply_line(struct deliver_hook_client *c, long status, struct deliver_hook_result *res)
{
	size_t i;

	for (i = 0; i < c->reply_len; i++)
		if ((unsigned char)c->reply[i] < ' ' || c->reply[i] == 0x7f)
			c->reply[i] = ' ';
	snprintf(res->error, sizeof(res->error), "HTTP %ld%s%.*s", status, c->reply_len ? ": " : "",
		 (int)(c->reply_len > 120 ? 120 : c->reply_len), c->reply);
}

int
deliver_hook_post(struct deliver_hook_client *c, const char *url, const char *secret,
		  const char *msg_id, const char *body, size_t len,
		  struct deliver_hook_result *res)
{
	struct curl_slist *hdrs = NULL;
	struct buf line, sig;
	int64_t ts = (int64_t)time(NULL);
	CURLcode cc;
	int rc;

	memset(res, 0, sizeof(*res));
	buf_init(&sig, 0);
	buf_init(&line, 0);
	if (deliver_hook_sign(secret, msg_id, ts, body, len, &sig) != NF_OK) {
		snprintf(res->error, sizeof(res->error), "the endpoint's secret is malformed");
		rc = NF_ERR_INVALID;
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	buf_printf(&line, "webhook-id: %s", msg_id);
	hdrs = curl_slist_append(hdrs, line.data);
	buf_reset(&line);
	buf_printf(&line, "webhook-timestamp: %lld", (long long)ts);
	hdrs = curl_slist_append(hdrs, line.data);
	buf_reset(&line);
	buf_printf(&line, "webhook-signature: %s", sig.data);
	hdrs = curl_slist_append(hdrs, line.data);
	hdrs = curl_slist_append(hdrs, "Expect:");	/* no 100-continue round trip */
	curl_easy_reset(c->curl);
	c->refused = 0;
	c->reply_len = 0;
	c->reply[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "newsflash-webhooks");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s", c->refused ?
			 "refused: the endpoint resolves to a loopback or private address" :
			 curl_easy_strerror(cc));
		rc = NF_ERR_TEMP;
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->status);
	rc = res->status >= 200 && res->status <= 299 ? NF_OK : NF_ERR_TEMP;
	if (rc != NF_OK)
		reply_line(c, res->status, res);
out:
	curl_slist_free_all(hdrs);
	buf_free(&sig);
	buf_free(&line);
	return rc;
}

int
deliver_hook_test(const struct store_hook *h, int allow_private, struct deliver_hook_result *res)
{
	struct store_hook_event ev = { 0 };
	struct deliver_hook_client *c = deliver_hook_client_new(allow_private, 0);
	struct buf body, id;
	int rc;

	buf_init(&body, 0);
	buf_init(&id, 0);
	ev.type = "webhook.test";
	ev.at = (int64_t)time(NULL);
	deliver_hook_payload(&ev, &body);
	buf_printf(&id, "msg_test_%llx", (unsigned long long)random_u64());
	rc = deliver_hook_post(c, h->url, h->secret, id.data, body.data, body.len, res);
	deliver_hook_client_free(c);
	buf_free(&body);
	buf_free(&id);
	return rc;
}
