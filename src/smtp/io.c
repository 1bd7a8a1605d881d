/*
 * smtp/io.c - the bytes of one relay connection: connect, read, write, plain or TLS
 *
 * Owns: the socket of a struct smtp_conn: resolving the relay (once; the
 * addresses are then used in turn), the non-blocking connect with
 * TCP_NODELAY, reading replies into the connection's buffer (which has a
 * ceiling), and writing what is pending: the message being sent and then
 * the commands queued after it, with one sendmsg on a plain socket. Nagle
 * is off because a pipelined group must leave at once: with Nagle and
 * delayed ACKs a client that writes in pieces stalls ~40 ms per message.
 * Does not own: what the bytes say (smtp/session.c) or the handshake
 * (smtp/tls.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "smtp_internal.h"

#define READ_CHUNK 16384

void
smtp_io_watch(struct smtp_conn *c, int events)
{
	if (c->fd < 0 || events == c->watching)
		return;
	if (smtp_loop_watch(c->pool->loop, c->fd, events, smtp_conn_event, c) == NF_OK)
		c->watching = events;
}

static int
resolve(struct pool_relay *r, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 };
	int rc;

	if (r->addrs)
		return NF_OK;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* blocking, once per relay: a pool resolves its relays when it first
	   needs them and keeps the answer */
	rc = getaddrinfo(r->url.host, r->url.port, &hints, &r->addrs);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", r->url.host, gai_strerror(rc));
		r->addrs = NULL;
		return NF_ERR_IO;
	}
	r->next_addr = r->addrs;
	return NF_OK;
}

int
smtp_io_connect(struct smtp_conn *c, char *err, size_t errlen)
{
	struct pool_relay *r = c->relay;
	struct addrinfo *ai;
	int one = 1;

	if (resolve(r, err, errlen))
		return NF_ERR_IO;
	ai = r->next_addr ? r->next_addr : r->addrs;
	r->next_addr = ai->ai_next;
	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NF_ERR_IO;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "connect to %s:%s: %s", r->url.host, r->url.port, strerror(errno));
		return NF_ERR_IO;
	}
	smtp_io_watch(c, SMTP_EV_WRITE);
	return NF_OK;
}

int
smtp_io_connected(struct smtp_conn *c, char *err, size_t errlen)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e) {
		snprintf(err, errlen, "connect to %s:%s: %s", c->relay->url.host, c->relay->url.port,
			 strerror(e));
		return NF_ERR_IO;
	}
	smtp_io_watch(c, SMTP_EV_READ);
	return NF_OK;
}

static void
lost(struct smtp_conn *c, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "lost connection to %s:%s%s%s%s", c->relay->url.host,
		 c->relay->url.port, what ? " (" : "", what ? what : "", what ? ")" : "");
}

static long
tls_read(struct smtp_conn *c, char *to, size_t room, int *more, char *err, size_t errlen)
{
	int n;

	ERR_clear_error();
	n = SSL_read(c->ssl, to, room > INT32_MAX ? INT32_MAX : (int)room);
	if (n > 0) {
		*more = SSL_pending(c->ssl) > 0 || (size_t)n == room;
		return n;
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		lost(c, NULL, err, errlen);
		return -1;
	default:
		lost(c, ERR_peek_error() ? ERR_reason_error_string(ERR_peek_error()) :
			errno ? strerror(errno) : NULL, err, errlen);
		ERR_clear_error();
		return -1;
	}
}

/*
 * smtp_io_read - one read into c->in. *more says another read may find
 * more (the space was filled, or TLS holds decrypted bytes epoll cannot
 * see). -1 when the relay closed or the read failed; err says which.
 */
long
smtp_io_read(struct smtp_conn *c, int *more, char *err, size_t errlen)
{
	size_t room;
	ssize_t n;

	*more = 0;
	if (buf_reserve(&c->in, READ_CHUNK) != NF_OK) {
		snprintf(err, errlen, "reply from %s:%s too long", c->relay->url.host, c->relay->url.port);
		return -1;
	}
	room = c->in.cap - c->in.len - 1;
	if (c->ssl)
		n = tls_read(c, c->in.data + c->in.len, room, more, err, errlen);
	else {
		n = read(c->fd, c->in.data + c->in.len, room);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			lost(c, n < 0 ? strerror(errno) : NULL, err, errlen);
			return -1;
		}
		if (n < 0)
			return 0;
		*more = (size_t)n == room;
	}
	if (n > 0) {
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	}
	return n;
}

int
smtp_io_pending(const struct smtp_conn *c)
{
	return c->body != NULL || c->out_off < c->out.len;
}

/* advance - count n written bytes off the body, then off the commands */
static void
advance(struct smtp_conn *c, size_t n)
{
	if (c->body) {
		size_t total = c->body->wire_len + c->body->term_len, left = total - c->body_off;

		if (n < left) {
			c->body_off += n;
			return;
		}
		n -= left;
		c->body = NULL;
		c->body_off = 0;
	}
	c->out_off += n;
	if (c->out_off >= c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
	}
}

/* pieces - what is left to write, in order: body, its end, the commands */
static int
pieces(const struct smtp_conn *c, struct iovec iov[3])
{
	int n = 0;

	if (c->body) {
		const struct smtp_job *j = c->body;

		if (c->body_off < j->wire_len) {
			iov[n].iov_base = (void *)(j->wire + c->body_off);
			iov[n++].iov_len = j->wire_len - c->body_off;
			iov[n].iov_base = (void *)j->term;
			iov[n++].iov_len = j->term_len;
		} else {
			iov[n].iov_base = (void *)(j->term + (c->body_off - j->wire_len));
			iov[n++].iov_len = j->term_len - (c->body_off - j->wire_len);
		}
	}
	if (c->out_off < c->out.len) {
		iov[n].iov_base = c->out.data + c->out_off;
		iov[n++].iov_len = c->out.len - c->out_off;
	}
	return n;
}

static int
write_error(struct smtp_conn *c, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "write to %s:%s: %s", c->relay->url.host, c->relay->url.port, what);
	return NF_ERR_IO;
}

/* tls_write - SSL_write has no writev: the pieces go one after another */
static int
tls_write(struct smtp_conn *c, const struct iovec *iov, char *err, size_t errlen)
{
	size_t len = iov->iov_len > INT32_MAX ? INT32_MAX : iov->iov_len;
	int n;

	ERR_clear_error();
	n = SSL_write(c->ssl, iov->iov_base, (int)len);
	if (n > 0)
		return n;
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_WANT_READ:
		smtp_io_watch(c, SMTP_EV_READ);	/* each readable event flushes again */
		return -2;
	default:
		write_error(c, ERR_peek_error() ? ERR_reason_error_string(ERR_peek_error()) :
			       strerror(errno), err, errlen);
		ERR_clear_error();
		return -1;
	}
}

int
smtp_io_flush(struct smtp_conn *c, char *err, size_t errlen)
{
	struct iovec iov[3];
	int n;

	while ((n = pieces(c, iov)) > 0) {
		ssize_t w;

		if (c->ssl) {
			w = tls_write(c, iov, err, errlen);
			if (w == -2)
				return NF_OK;
			if (w < 0)
				return NF_ERR_IO;
		} else {
			struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };

			/* sendmsg is writev with flags: a relay gone away is EPIPE, not SIGPIPE */
			w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno != EAGAIN)
				return write_error(c, strerror(errno), err, errlen);
			if (w < 0)
				w = 0;
		}
		if (w == 0) {
			smtp_io_watch(c, SMTP_EV_READ | SMTP_EV_WRITE);
			return NF_OK;
		}
		advance(c, (size_t)w);
	}
	smtp_io_watch(c, SMTP_EV_READ);
	return NF_OK;
}
