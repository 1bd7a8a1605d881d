/*
 * web/http/client_addr.c - who the client is: X-Forwarded-For, /64 keys, connections per client
 *
 * Owns: picking the client's address out of X-Forwarded-For (RFC 7239
 * section 5.2 describes the same chain for Forwarded), the key every limit
 * counts a client under (an IPv6 address by its /64, since one host or one
 * customer of a provider is given a whole /64 to rotate through; an IPv4
 * address, or an IPv4-mapped IPv6 one, by itself), and the count of open
 * connections per such key. Does not own the limits themselves
 * (ratelimit.c, throttle.c, the newsroom's sign-in).
 *
 * X-Forwarded-For is outside input even behind a proxy: a proxy that
 * appends (HAProxy's forwardfor, nginx's $proxy_add_x_forwarded_for) keeps
 * whatever the client sent in front of its own value, in the same line or
 * in an earlier line. Only the values our own proxies added can be
 * believed, and they are the last ones: with N trusted hops the client is
 * the Nth value from the right over all the header's lines taken in order.
 * That value must parse as an IPv4 or IPv6 address, else the peer is used.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"

/* the address in p[0..len) (spaces around it dropped) written canonically into out */
static int
canonical_ip(const char *p, size_t len, char out[HTTP_IP_MAX])
{
	char tmp[HTTP_IP_MAX];
	unsigned char bin[16];

	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(tmp) || memchr(p, '\0', len))
		return NF_ERR_INVALID;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, HTTP_IP_MAX) ? NF_OK : NF_ERR_INVALID;
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, HTTP_IP_MAX) ? NF_OK : NF_ERR_INVALID;
	return NF_ERR_INVALID;
}

/*
 * http_forwarded_client - the client address from the X-Forwarded-For
 * values (every line of the header joined with ',' in the order received),
 * hops trusted proxies in front of us (1 or more). NF_OK and out filled, or
 * NF_ERR_INVALID when there are fewer values than hops or the chosen one is
 * not an IP address: the caller then uses the peer.
 */
int
http_forwarded_client(const char *xff, size_t len, int hops, char out[HTTP_IP_MAX])
{
	size_t end = len, i;
	int n = 0;

	out[0] = '\0';
	if (xff == NULL || hops < 1)
		return NF_ERR_INVALID;
	for (i = len; ; i--) {
		if (i == 0 || xff[i - 1] == ',') {
			if (++n == hops)
				return canonical_ip(xff + i, end - i, out);
			if (i == 0)
				break;
			end = i - 1;
		}
	}
	return NF_ERR_INVALID;
}

/* the 16 bytes a client is counted under: its /64, or the IPv4 address mapped */
static int
key_bytes(const char *ip, unsigned char key[16], int *v4)
{
	unsigned char b[16];

	memset(key, 0, 16);
	*v4 = 0;
	if (inet_pton(AF_INET, ip, b) == 1) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, b, 4);
		*v4 = 1;
		return NF_OK;
	}
	if (inet_pton(AF_INET6, ip, b) != 1)
		return NF_ERR_INVALID;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)b)) {
		memcpy(key, b, 16);
		*v4 = 1;
		return NF_OK;
	}
	memcpy(key, b, 8);		/* the interface half is the client's to choose */
	return NF_OK;
}

/*
 * http_client_key - the name limits count ip under: "192.0.2.1" for IPv4
 * (and ::ffff:192.0.2.1), "2001:db8:1:2::/64" for IPv6; anything else as
 * it is (cut to fit).
 */
void
http_client_key(const char *ip, char out[HTTP_IP_MAX])
{
	unsigned char key[16];
	char a[INET6_ADDRSTRLEN];
	int v4;

	if (key_bytes(ip, key, &v4) != NF_OK) {
		snprintf(out, HTTP_IP_MAX, "%s", ip);
		return;
	}
	if (v4) {
		inet_ntop(AF_INET, key + 12, a, sizeof(a));
		snprintf(out, HTTP_IP_MAX, "%s", a);
	} else {
		inet_ntop(AF_INET6, key, a, sizeof(a));
		snprintf(out, HTTP_IP_MAX, "%s/64", a);
	}
}

/*
 * Connections per client key. MHD's own per-IP limit compares whole
 * addresses, so an IPv6 client could open max_per_client connections from
 * each of 2^64 addresses. The table counts open connections per /64: the
 * accept policy refuses a new one at the limit (cheaply, before MHD sets
 * it up), the connection's start counts it, checking the limit again under
 * the lock (two threads of the pool may both have passed the policy), and
 * its close uncounts it; a start over the limit is not counted and the
 * server shuts the socket at once.
 * Open addressing with tombstones over twice the connection limit: there
 * are never more keys than connections, so a probe always ends.
 */
struct conn_slot {
	unsigned char key[16];
	unsigned count;
	int used;			/* 0: never used (ends a probe); 1: a key, or a tombstone at count 0 */
};

struct http_connlimit {
	pthread_mutex_t lock;
	unsigned max_per_client;
	size_t size;
	struct conn_slot *table;
};

struct http_connlimit *
http_connlimit_new(size_t max_connections, unsigned max_per_client)
{
	struct http_connlimit *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->max_per_client = max_per_client;
	c->size = 2 * (max_connections ? max_connections : 1) + 16;
	c->table = xcalloc(c->size, sizeof(*c->table));
	return c;
}

void
http_connlimit_free(struct http_connlimit *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->table);
	free(c);
}

/* key from a socket address; NF_ERR_INVALID for other families */
int
http_connlimit_key(const struct sockaddr *sa, unsigned char key[16])
{
	char ip[INET6_ADDRSTRLEN];
	int v4;

	if (sa == NULL)
		return NF_ERR_INVALID;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip, sizeof(ip));
	else
		return NF_ERR_INVALID;
	return key_bytes(ip, key, &v4);
}

/* the key's slot; with make, a new one (a tombstone reused first); NULL when absent */
static struct conn_slot *
conn_find(struct http_connlimit *c, const unsigned char key[16], int make)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	struct conn_slot *free_slot = NULL, *e;
	size_t i, at;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	at = (size_t)(h % c->size);
	for (i = 0; i < c->size; i++) {
		e = &c->table[(at + i) % c->size];
		if (!e->used) {
			if (free_slot == NULL)
				free_slot = e;
			break;
		}
		if (e->count > 0 && memcmp(e->key, key, 16) == 0)
			return e;
		if (e->count == 0 && free_slot == NULL)
			free_slot = e;
	}
	if (!make || free_slot == NULL)
		return NULL;
	memcpy(free_slot->key, key, 16);
	free_slot->used = 1;
	free_slot->count = 0;
	return free_slot;
}

/* 1 when the client may open one more connection now */
int
http_connlimit_allowed(struct http_connlimit *c, const unsigned char key[16])
{
	struct conn_slot *e;
	int ok;

	if (c->max_per_client == 0)
		return 1;
	pthread_mutex_lock(&c->lock);
	e = conn_find(c, key, 0);
	ok = e == NULL || e->count < c->max_per_client;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

/* count one more connection for key: 1, or 0 (nothing counted) when at the limit */
int
http_connlimit_opened(struct http_connlimit *c, const unsigned char key[16])
{
	struct conn_slot *e;
	int ok = 0;

	pthread_mutex_lock(&c->lock);
	if ((e = conn_find(c, key, 1)) != NULL &&
	    (c->max_per_client == 0 || e->count < c->max_per_client)) {
		e->count++;
		ok = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void
http_connlimit_closed(struct http_connlimit *c, const unsigned char key[16])
{
	struct conn_slot *e;

	pthread_mutex_lock(&c->lock);
	if ((e = conn_find(c, key, 0)) != NULL && e->count > 0)
		e->count--;
	pthread_mutex_unlock(&c->lock);
}
