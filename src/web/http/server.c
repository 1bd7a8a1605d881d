/*
 * web/http/server.c - the HTTP server: libmicrohttpd glue and request lifecycle
 *
 * Owns: starting and stopping the daemon, the limits every connection lives
 * under (count, count per client key (client_addr.c: an IPv6 client by its
 * /64), memory, idle timeout, body size, the time a body may take),
 * collecting a request body into a capped buffer (a body whose
 * Content-Length is over the cap is refused with 413 before a byte of it
 * is read), finding the client address, sending
 * a handler's response with the security headers every page carries, and
 * answering later (http_suspend / http_resume: a request waits, suspended,
 * for another thread, and http_unlisten waits for every such answer), and
 * the access log: one event http.request per request when it ends, with
 * method, path (tokens cut out by the log_path given to http_listen: never
 * a token, a key or a query string), status, bytes, ms and client. Does not
 * own what any route does (the dispatch given to http_listen: routes.c), nor
 * the reply helpers (replies.c).
 *
 * libmicrohttpd (Debian libmicrohttpd-dev) does the HTTP/1.1 parsing; we
 * never see a header line longer than its per-connection memory limit.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http.h"

struct request_state {
	struct http_request req;
	int64_t start_us;		/* monotonic, for the access log */
	int status;			/* 0 until a response is queued */
	size_t bytes;			/* body bytes of the response */
	int deferred;			/* was suspended: counted in w->deferred until it ends */
	int answered;			/* refused before the body was read: the rest is dropped */
	int too_large;			/* a chunked body past the cap: dropped, then 413 */
};

/*
 * Suspended requests (the signups waiting for their batch's COMMIT): MHD
 * must not be stopped while any is suspended, and their answers should go
 * out before it is, so http_unlisten waits for w->deferred to reach 0.
 */
void
http_suspend(struct web *w, struct http_request *req, http_finish_fn finish, void *arg)
{
	struct request_state *st = (struct request_state *)(void *)req;	/* req is its first member */

	req->finish = finish;
	req->finish_arg = arg;
	st->deferred = 1;
	pthread_mutex_lock(&w->defer_lock);
	w->deferred++;
	pthread_mutex_unlock(&w->defer_lock);
	MHD_suspend_connection(req->conn);
}

void
http_resume(struct http_request *req)
{
	/* MHD_USE_ITC: the connection's thread is woken and calls access_handler again */
	MHD_resume_connection(req->conn);
}

static void
deferred_done(struct web *w)
{
	pthread_mutex_lock(&w->defer_lock);
	if (--w->deferred == 0)
		pthread_cond_broadcast(&w->defer_cond);
	pthread_mutex_unlock(&w->defer_lock);
}

/* wait (at most ms) until every suspended request has been answered */
static void
deferred_wait(struct web *w, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&w->defer_lock);
	while (w->deferred > 0)
		if (pthread_cond_timedwait(&w->defer_cond, &w->defer_lock, &until) != 0)
			break;
	if (w->deferred > 0)
		log_event(LOG_WARN, "web.unanswered_at_stop", NULL);
	pthread_mutex_unlock(&w->defer_lock);
}

const char *
http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_query_arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* collects every X-Forwarded-For line, in order, joined with ',' */
static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct buf *all = cls;

	NF_UNUSED(kind);
	if (key == NULL || value == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	if ((all->len > 0 && buf_putc(all, ',') != NF_OK) || buf_puts(all, value) != NF_OK)
		return MHD_NO;	/* past the cap: the value is not believed */
	return MHD_YES;
}

/*
 * The client address: the peer, or with --trust-proxy / --trusted-proxies N
 * the Nth X-Forwarded-For value from the right over all its lines
 * (client_addr.c says why), when it is an IP address.
 */
static void
client_address(struct web *w, struct MHD_Connection *conn, char out[HTTP_IP_MAX])
{
	const union MHD_ConnectionInfo *info;
	int hops = w->cfg.trusted_proxies > 0 ? (int)w->cfg.trusted_proxies : w->cfg.trust_proxy ? 1 : 0;

	out[0] = '\0';
	if (hops > 0) {
		struct buf all;
		int rc;

		buf_init(&all, 8192);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_xff, &all);
		rc = all.len > 0 && all.len < 8192 ? http_forwarded_client(all.data, all.len, hops, out) : NF_ERR_INVALID;
		buf_free(&all);
		if (rc == NF_OK)
			return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || info->client_addr == NULL)
		return;
	if (info->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)info->client_addr)->sin_addr, out, HTTP_IP_MAX);
	else if (info->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)info->client_addr)->sin6_addr, out, HTTP_IP_MAX);
}

static const char *
header_or_empty(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	return v ? v : "";
}

static struct request_state *
request_begin(struct web *w, struct MHD_Connection *conn, const char *url,
	      const char *method)
{
	struct request_state *st = xcalloc(1, sizeof(*st));
	struct http_request *req = &st->req;
	const char *q;

	st->start_us = time_mono_us();
	req->arena = arena_new(4 * HTTP_API_MAX);
	req->conn = conn;
	req->method = arena_strdup(req->arena, method);
	q = strchr(url, '?');
	req->path = q ? arena_strndup(req->arena, url, (size_t)(q - url)) : arena_strdup(req->arena, url);
	req->query = q ? arena_strdup(req->arena, q + 1) : "";
	buf_init(&req->body, strncmp(req->path, "/api/", 5) == 0 ? HTTP_API_MAX :
			     strncmp(req->path, "/newsroom/", 10) == 0 ? HTTP_NEWSROOM_MAX : HTTP_FORM_MAX);
	client_address(w, conn, req->ip);
	http_client_key(req->ip, req->client_key);
	req->user_agent = header_or_empty(conn, "User-Agent");
	req->content_type = header_or_empty(conn, "Content-Type");
	req->origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	req->cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	req->https = strncmp(w->cfg.base_url, "https:", 6) == 0;
	if (w->metrics_daemon) {
		const union MHD_ConnectionInfo *d = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);

		req->metrics_listener = d && d->daemon == w->metrics_daemon;
	}
	return st;
}

/* csp_set: the handler chose its own Content-Security-Policy (the newsroom's nonce);
 * cache_set: its own Cache-Control (the versioned /embed/ script) */
static void
add_security_headers(struct MHD_Response *r, const char *content_type, int csp_set, int cache_set)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* links carry tokens: never leak them to another site through Referer
	 * (not no-referrer: with it Chromium sends "Origin: null" on our own forms) */
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	if (!cache_set)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (strncmp(content_type, "text/html", 9) == 0) {
		if (!csp_set)
			MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	}
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct request_state *st, struct http_response *res)
{
	struct MHD_Response *r = res->stream;
	enum MHD_Result ret;
	size_t len;
	int i, csp_set = 0, cache_set = 0;

	st->status = res->status;
	st->bytes = 0;		/* a stream's length is not known here */
	if (r == NULL) {
		char *body = buf_steal(&res->body, &len);

		st->bytes = strcmp(st->req.method, "HEAD") == 0 ? 0 : len;
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	}
	for (i = 0; i < res->nheaders; i++) {
		csp_set |= strcasecmp(res->headers[i][0], "Content-Security-Policy") == 0;
		cache_set |= strcasecmp(res->headers[i][0], "Cache-Control") == 0;
	}
	MHD_add_response_header(r, "Content-Type", res->content_type);
	add_security_headers(r, res->content_type, csp_set, cache_set);
	for (i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->headers[i][0], res->headers[i][1]);
	ret = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* an answer made here, before or instead of the route's (413, 408) */
static enum MHD_Result
answer_now(struct web *w, struct MHD_Connection *conn, struct request_state *st, int status,
	   const char *message)
{
	struct http_response res;
	enum MHD_Result ret;

	memset(&res, 0, sizeof(res));
	buf_init(&res.body, 0);
	http_reply_error(w, &st->req, &res, status, message);
	http_reply_header(&st->req, &res, "Connection", "close");
	ret = send_response(conn, st, &res);
	buf_free(&res.body);
	st->answered = 1;
	return ret;
}

/* the body announced is larger than the route takes: no reason to read it */
static int
announced_too_large(struct MHD_Connection *conn, const struct request_state *st)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	unsigned long long n = 0;
	const char *p;

	if (cl == NULL || *cl == '\0' || st->req.body.max == 0)
		return 0;
	for (p = cl; *p >= '0' && *p <= '9'; p++) {
		if (n > st->req.body.max)
			return 1;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	return n > st->req.body.max;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
	       const char *method, const char *version, const char *upload_data,
	       size_t *upload_data_size, void **con_cls)
{
	struct web *w = cls;
	struct request_state *st = *con_cls;
	struct http_response res;
	enum MHD_Result ret;

	NF_UNUSED(version);
	if (st == NULL) {
		*con_cls = st = request_begin(w, conn, url, method);
		if (announced_too_large(conn, st))
			return answer_now(w, conn, st, 413, "The request is too large.");
		return MHD_YES;
	}
	if (st->answered) {
		*upload_data_size = 0;	/* the rest of a refused body */
		return MHD_YES;
	}
	if (st->req.finish) {
		/* resumed: the thread it waited for has the answer ready */
		http_finish_fn finish = st->req.finish;

		st->req.finish = NULL;
		memset(&res, 0, sizeof(res));
		buf_init(&res.body, 0);
		res.status = 500;
		res.content_type = "text/plain; charset=utf-8";
		finish(w, &st->req, &res);
		ret = send_response(conn, st, &res);
		buf_free(&res.body);
		return ret;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		/* a body trickled in to hold the connection: the idle timeout never
		 * fires. The 408 goes out when MHD can still answer mid-body; when
		 * it cannot (0.9.75), MHD_NO closes the connection: the bound holds */
		if (w->cfg.body_timeout > 0 && time_mono_us() - st->start_us > (int64_t)w->cfg.body_timeout * 1000000)
			return answer_now(w, conn, st, 408, "The request took too long to arrive.");
		/* chunked, without a Content-Length: past the cap the bytes are
		 * dropped (MHD cannot answer mid-body) and 413 answers the end,
		 * which the bound above keeps near */
		if (!st->too_large && buf_append(&st->req.body, upload_data, n) != NF_OK)
			st->too_large = 1;
		return MHD_YES;
	}
	memset(&res, 0, sizeof(res));
	buf_init(&res.body, 0);
	res.status = 500;
	res.content_type = "text/plain; charset=utf-8";
	if (st->too_large)
		http_reply_error(w, &st->req, &res, 413, "The request is too large.");
	else
		w->dispatch(w, &st->req, &res);
	if (st->req.finish) {
		buf_free(&res.body);
		return MHD_YES;		/* suspended: answered when resumed */
	}
	ret = send_response(conn, st, &res);
	buf_free(&res.body);
	return ret;
}

/* why a request ended without its whole response sent */
static const char *
termination_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return NULL;
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client_abort";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read_error";
	default:
		return "error";
	}
}

/* access_log - the request's one line, when it is over */
static void
access_log(struct web *w, const struct request_state *st, enum MHD_RequestTerminationCode toe)
{
	char path[HTTP_LOG_PATH_MAX], status[8], bytes[24], ms[32];
	const char *why = termination_name(toe);
	int64_t us = time_mono_us() - st->start_us;

	w->log_path(st->req.path, path, sizeof(path));
	snprintf(status, sizeof(status), "%d", st->status);
	snprintf(bytes, sizeof(bytes), "%zu", st->bytes);
	snprintf(ms, sizeof(ms), "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
	if (why)
		log_event(LOG_INFO, "http.request", "method", st->req.method, "path", path,
			  "status", status, "bytes", bytes, "ms", ms, "client", st->req.ip,
			  "ended", why, NULL);
	else
		log_event(LOG_INFO, "http.request", "method", st->req.method, "path", path,
			  "status", status, "bytes", bytes, "ms", ms, "client", st->req.ip, NULL);
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *con_cls;

	NF_UNUSED(conn);
	if (st == NULL)
		return;
	if (st->deferred)
		deferred_done(cls);
	access_log(cls, st, toe);
	buf_free(&st->req.body);
	arena_free(st->req.arena);
	free(st);
	*con_cls = NULL;
}

/* accept policy: the client's key is under its connection limit */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct web *w = cls;
	unsigned char key[16];

	NF_UNUSED(addrlen);
	if (http_connlimit_key(addr, key) != NF_OK || http_connlimit_allowed(w->conns, key))
		return MHD_YES;
	log_event(LOG_WARN, "http.connection_limit", NULL);
	return MHD_NO;
}

/* count a connection under its client's key from start to close */
static void
connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode toe)
{
	struct web *w = cls;
	const union MHD_ConnectionInfo *info;
	unsigned char *key;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		key = xmalloc(16);
		if (info == NULL || http_connlimit_key(info->client_addr, key) != NF_OK) {
			free(key);
			return;
		}
		if (!http_connlimit_opened(w->conns, key)) {
			/* passed the accept policy beside another of the same client's:
			 * over the limit after all, so MHD sees the socket end at once */
			free(key);
			info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
			if (info)
				shutdown(info->connect_fd, SHUT_RDWR);
			return;
		}
		*socket_context = key;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		http_connlimit_closed(w->conns, *socket_context);
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* web_listen_parse - "host:port" (IPv4 or [IPv6]:port) into a socket address */
int
web_listen_parse(const char *listen, struct sockaddr_storage *ss)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return NF_ERR_INVALID;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return NF_ERR_INVALID;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? NF_OK : NF_ERR_INVALID;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? NF_OK : NF_ERR_INVALID;
	}
}

/* scheme://host[:port] of the base URL: what a browser sends as Origin */
static void
origin_of(const char *base_url, char *out, size_t len)
{
	const char *host = strstr(base_url, "://"), *slash;

	host = host ? host + 3 : base_url;
	slash = strchr(host, '/');
	snprintf(out, len, "%.*s", (int)(slash ? slash - base_url : (long)strlen(base_url)), base_url);
}

void
http_init(struct web *w, const struct web_config *cfg)
{
	w->cfg = *cfg;
	origin_of(cfg->base_url, w->origin, sizeof(w->origin));
	pthread_mutex_init(&w->defer_lock, NULL);
	pthread_cond_init(&w->defer_cond, NULL);
	w->conns = http_connlimit_new((size_t)cfg->max_connections, (unsigned)cfg->max_connections_per_ip);
}

void
http_free(struct web *w)
{
	pthread_mutex_destroy(&w->defer_lock);
	pthread_cond_destroy(&w->defer_cond);
	http_connlimit_free(w->conns);
}

/* a listener of its own for /metrics: a scraper's port, kept off the public one */
static int
metrics_listen(struct web *w)
{
	struct sockaddr_storage ss;

	if (web_listen_parse(w->cfg.metrics_listen, &ss) != NF_OK) {
		log_error("invalid --metrics-listen address: %s", w->cfg.metrics_listen);
		return NF_ERR_USAGE;
	}
	w->metrics_daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
		0, NULL, NULL, access_handler, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, 64u,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)w->cfg.idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, request_completed, w,
		MHD_OPTION_END);
	if (w->metrics_daemon == NULL) {
		log_error("cannot listen on %s", w->cfg.metrics_listen);
		return NF_ERR_IO;
	}
	log_event(LOG_INFO, "web.metrics_listening", "listen", w->cfg.metrics_listen, NULL);
	return NF_OK;
}

int
http_listen(struct web *w, http_dispatch_fn dispatch, http_log_path_fn log_path)
{
	struct sockaddr_storage ss;

	w->dispatch = dispatch;
	w->log_path = log_path;
	if (web_listen_parse(w->cfg.listen, &ss) != NF_OK) {
		log_error("invalid --listen address: %s", w->cfg.listen);
		return NF_ERR_USAGE;
	}
	w->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		MHD_USE_TURBO | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME,
		0, accept_policy, w, access_handler, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)w->cfg.threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)w->cfg.max_connections,
		MHD_OPTION_NOTIFY_CONNECTION, connection_notify, w,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)w->cfg.idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_NOTIFY_COMPLETED, request_completed, w,
		MHD_OPTION_END);
	if (w->daemon == NULL) {
		log_error("cannot listen on %s", w->cfg.listen);
		return NF_ERR_IO;
	}
	log_event(LOG_INFO, "web.listening", "listen", w->cfg.listen, "base_url", w->cfg.base_url, NULL);
	return w->cfg.metrics_listen ? metrics_listen(w) : NF_OK;
}

/* stop accepting; requests in progress go on */
int
http_quiesce(struct web *w)
{
	if (w->daemon == NULL)
		return 0;
	MHD_quiesce_daemon(w->daemon);
	return 1;
}

/* let requests in progress finish (the suspended ones answered), then close */
void
http_unlisten(struct web *w)
{
	if (w->daemon == NULL)
		return;
	deferred_wait(w, 10000);
	MHD_stop_daemon(w->daemon);
	w->daemon = NULL;
	if (w->metrics_daemon)
		MHD_stop_daemon(w->metrics_daemon);
	w->metrics_daemon = NULL;
}
