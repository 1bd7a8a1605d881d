/*
 * bench/fastsink.c - a pipelined epoll SMTP sink, to measure clients when smtp-sink is the bottleneck
 *
 * usage: fastsink PORT [ADDRESS [THROTTLE-FILE]]
 *     listens on ADDRESS (127.0.0.1):PORT; SIGTERM prints the counts and
 *     exits. While THROTTLE-FILE exists, MAIL is answered 421 4.7.28 and the
 *     connection closed (Gmail's "slow down"; bench/direct.sh).
 *
 * Postfix's smtp-sink costs ~25 us + 5.5 ns/byte of a core per message, so
 * with 20 KB messages it saturates near 7,000 msg/s whatever the client:
 * this one answers every command of a pipelined group at once, finds the
 * end of data with one memchr per line, and writes all its replies to a
 * read with one write. It accepts everything; it keeps nothing. Benchmark
 * tool only: not part of newsflash, not built by make.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_MAX (256 * 1024)

struct conn {
	int fd;
	int data;		/* inside DATA */
	int quit;
	size_t len;
	char in[IN_MAX];
	size_t olen;
	char out[8192];
};

static volatile sig_atomic_t stop;
static unsigned long messages, throttled;
static const char *throttle_file;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
reply(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	if (c->olen + n <= sizeof(c->out)) {
		memcpy(c->out + c->olen, s, n);
		c->olen += n;
	}
}

/* command - one command line; returns 1 when DATA starts */
static int
command(struct conn *c, const char *l, size_t n)
{
	if (n >= 4 && strncasecmp(l, "MAIL", 4) == 0 && throttle_file && access(throttle_file, F_OK) == 0) {
		reply(c, "421 4.7.28 Our system has detected an unusual rate of mail\r\n");
		throttled++;
		c->quit = 1;
	} else if (n >= 4 && strncasecmp(l, "EHLO", 4) == 0)
		reply(c, "250-fastsink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n");
	else if (n >= 4 && strncasecmp(l, "DATA", 4) == 0) {
		reply(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
		return 1;
	} else if (n >= 4 && strncasecmp(l, "QUIT", 4) == 0) {
		reply(c, "221 2.0.0 Bye\r\n");
		c->quit = 1;
	} else
		reply(c, "250 2.0.0 Ok\r\n");
	return 0;
}

/* consume - everything complete in c->in; returns bytes used */
static size_t
consume(struct conn *c)
{
	size_t pos = 0;

	while (pos < c->len && !c->quit) {
		char *p = c->in + pos, *end = c->in + c->len, *nl;

		if (!c->data) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				break;
			c->data = command(c, p, (size_t)(nl - p));
			pos = (size_t)(nl - c->in) + 1;
			continue;
		}
		/* at a line start inside DATA: is it the final "." line? */
		if (end - p < 3)
			break;
		if (p[0] == '.' && p[1] == '\r' && p[2] == '\n') {
			c->data = 0;
			messages++;
			reply(c, "250 2.0.0 Ok: queued\r\n");
			pos += 3;
			continue;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		pos = (size_t)(nl - c->in) + 1;
	}
	return pos;
}

static void
serve(int ep, struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->len, IN_MAX - c->len);
	size_t used;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		free(c);
		return;
	}
	c->len += (size_t)n;
	used = consume(c);
	memmove(c->in, c->in + used, c->len - used);
	c->len -= used;
	if (c->len == IN_MAX)	/* a line longer than the buffer: drop it */
		c->len = 0;
	if (c->olen && write(c->fd, c->out, c->olen) < 0 && errno != EAGAIN)
		c->quit = 1;
	c->olen = 0;
	if (c->quit) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		free(c);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { 0 };
	struct epoll_event ev, fired[256];
	int lfd, ep, one = 1;

	if (argc < 2 || argc > 4)
		return fprintf(stderr, "usage: fastsink PORT [ADDRESS [THROTTLE-FILE]]\n"), 2;
	throttle_file = argc == 4 ? argv[3] : NULL;
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc >= 3 && inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
		return fprintf(stderr, "fastsink: bad address %s\n", argv[2]), 2;
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1024))
		return perror("fastsink"), 1;
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		int n = epoll_wait(ep, fired, 256, 200), i;

		for (i = 0; i < n; i++) {
			struct conn *c = fired[i].data.ptr;
			int fd;

			if (c) {
				serve(ep, c);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				c = calloc(1, sizeof(*c));
				if (c == NULL)
					return 1;
				c->fd = fd;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				reply(c, "220 fastsink ESMTP\r\n");
				if (write(fd, c->out, c->olen) < 0)
					c->quit = 1;
				c->olen = 0;
			}
		}
	}
	printf("%lu messages, %lu throttled\n", messages, throttled);
	return 0;
}
