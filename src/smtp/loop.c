/*
 * smtp/loop.c - a small event loop on epoll, after Redis's ae.c
 *
 * Owns: waiting for file descriptors and timers, and calling back. One
 * thread, level-triggered epoll, handlers indexed by descriptor. Timers are
 * a short list (a pool keeps one sweep timer, not one per connection), and
 * hooks run after every round, which is where a pool runs its completion
 * callbacks and reaps closed connections: never inside a handler.
 *
 * Does not own: what the descriptors are. The epoll descriptor itself is
 * exposed (smtp_loop_fd) so a caller with a loop of its own can watch it
 * and call smtp_loop_run_once(loop, 0) when it is readable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/core.h"
#include "smtp.h"

struct loop_file {
	int events;
	smtp_io_fn fn;
	void *arg;
};

struct loop_timer {
	long id;
	int64_t when;
	smtp_timer_fn fn;
	void *arg;
	struct loop_timer *next;
};

struct loop_hook {
	smtp_hook_fn fn;
	void *arg;
};

struct smtp_loop {
	int epfd;
	struct loop_file *files;	/* indexed by fd */
	int nfiles;
	int nwatched;
	struct epoll_event *fired;
	int nfired;
	struct loop_timer *timers;
	long timer_seq;
	struct loop_hook *hooks;
	size_t nhooks;
	int64_t now;
};

static int64_t
mono_ms(void)
{
	return time_mono_us() / 1000;
}

struct smtp_loop *
smtp_loop_new(void)
{
	struct smtp_loop *l = xcalloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->nfired = 64;
	l->fired = xcalloc((size_t)l->nfired, sizeof(*l->fired));
	l->now = mono_ms();
	return l;
}

void
smtp_loop_free(struct smtp_loop *l)
{
	struct loop_timer *t, *next;

	if (l == NULL)
		return;
	for (t = l->timers; t; t = next) {
		next = t->next;
		free(t);
	}
	close(l->epfd);
	free(l->files);
	free(l->fired);
	free(l->hooks);
	free(l);
}

static void
grow_files(struct smtp_loop *l, int fd)
{
	int n = l->nfiles ? l->nfiles : 64;

	while (n <= fd)
		n *= 2;
	l->files = xrealloc(l->files, (size_t)n * sizeof(*l->files));
	memset(l->files + l->nfiles, 0, (size_t)(n - l->nfiles) * sizeof(*l->files));
	l->nfiles = n;
}

/* smtp_loop_watch - (re)register fd; events 0 stops watching it */
int
smtp_loop_watch(struct smtp_loop *l, int fd, int events, smtp_io_fn fn, void *arg)
{
	struct epoll_event ev = { 0 };
	struct loop_file *f;
	int op;

	if (events == 0) {
		smtp_loop_unwatch(l, fd);
		return NF_OK;
	}
	if (fd >= l->nfiles)
		grow_files(l, fd);
	f = &l->files[fd];
	op = f->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	ev.events = (events & SMTP_EV_READ ? EPOLLIN : 0) | (events & SMTP_EV_WRITE ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if ((op == EPOLL_CTL_ADD || f->events != events) && epoll_ctl(l->epfd, op, fd, &ev) < 0)
		return NF_ERR_IO;
	if (op == EPOLL_CTL_ADD)
		l->nwatched++;
	f->events = events;
	f->fn = fn;
	f->arg = arg;
	return NF_OK;
}

void
smtp_loop_unwatch(struct smtp_loop *l, int fd)
{
	struct epoll_event ev = { 0 };

	if (fd < 0 || fd >= l->nfiles || l->files[fd].events == 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ev);
	l->files[fd].events = 0;
	l->nwatched--;
}

long
smtp_loop_timer(struct smtp_loop *l, long ms, smtp_timer_fn fn, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->id = ++l->timer_seq;
	t->when = mono_ms() + ms;
	t->fn = fn;
	t->arg = arg;
	t->next = l->timers;
	l->timers = t;
	return t->id;
}

/* a cancelled timer loses its callback now and its memory at the next round */
void
smtp_loop_timer_cancel(struct smtp_loop *l, long id)
{
	struct loop_timer *t;

	for (t = l->timers; t; t = t->next)
		if (t->id == id)
			t->fn = NULL;
}

int
smtp_loop_hook(struct smtp_loop *l, smtp_hook_fn fn, void *arg)
{
	l->hooks = xrealloc(l->hooks, (l->nhooks + 1) * sizeof(*l->hooks));
	l->hooks[l->nhooks].fn = fn;
	l->hooks[l->nhooks].arg = arg;
	l->nhooks++;
	return NF_OK;
}

void
smtp_loop_unhook(struct smtp_loop *l, smtp_hook_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < l->nhooks; i++)
		if (l->hooks[i].fn == fn && l->hooks[i].arg == arg) {
			memmove(&l->hooks[i], &l->hooks[i + 1], (l->nhooks - i - 1) * sizeof(*l->hooks));
			l->nhooks--;
			return;
		}
}

int
smtp_loop_fd(const struct smtp_loop *l)
{
	return l->epfd;
}

int64_t
smtp_loop_now(const struct smtp_loop *l)
{
	return l->now;
}

/* wait_ms - the caller's limit, shortened to the nearest timer */
static int
wait_ms(struct smtp_loop *l, int timeout_ms)
{
	struct loop_timer *t;
	int64_t soonest = -1;

	for (t = l->timers; t; t = t->next)
		if (t->fn && (soonest < 0 || t->when < soonest))
			soonest = t->when;
	if (soonest < 0)
		return timeout_ms;
	soonest -= mono_ms();
	if (soonest < 0)
		soonest = 0;
	if (timeout_ms >= 0 && timeout_ms < soonest)
		return timeout_ms;
	return soonest > 1000000 ? 1000000 : (int)soonest;
}

static void
run_timers(struct smtp_loop *l)
{
	struct loop_timer **pp, *t;

	for (t = l->timers; t; t = t->next) {
		if (t->fn && t->when <= l->now) {
			long again = t->fn(l, t->arg);

			if (again < 0)
				t->fn = NULL;
			else if (t->fn)
				t->when = l->now + again;
		}
	}
	for (pp = &l->timers; (t = *pp) != NULL;) {
		if (t->fn == NULL) {
			*pp = t->next;
			free(t);
		} else
			pp = &t->next;
	}
}

static void
dispatch(struct smtp_loop *l, const struct epoll_event *e)
{
	int fd = e->data.fd, ev = 0;
	struct loop_file *f;

	if (fd >= l->nfiles)
		return;
	f = &l->files[fd];
	/* errors and hang-ups reach the handler as whatever it waits for:
	   its read or write then reports what happened */
	if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		ev |= SMTP_EV_READ;
	if (e->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		ev |= SMTP_EV_WRITE;
	ev &= f->events;	/* unwatched earlier in this round: nothing */
	if (ev)
		f->fn(l, fd, f->arg, ev);
}

int
smtp_loop_run_once(struct smtp_loop *l, int timeout_ms)
{
	int n, i;
	size_t h;

	if (l->nwatched > l->nfired) {
		l->nfired = l->nwatched;
		l->fired = xrealloc(l->fired, (size_t)l->nfired * sizeof(*l->fired));
	}
	n = epoll_wait(l->epfd, l->fired, l->nfired, wait_ms(l, timeout_ms));
	if (n < 0 && errno != EINTR)
		return NF_ERR_IO;
	l->now = mono_ms();
	for (i = 0; i < n; i++)
		dispatch(l, &l->fired[i]);
	run_timers(l);
	for (h = 0; h < l->nhooks; h++)
		l->hooks[h].fn(l, l->hooks[h].arg);
	return n < 0 ? 0 : n;
}
