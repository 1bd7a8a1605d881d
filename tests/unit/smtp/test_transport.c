/* tests for smtp/transport_smtp.c: back-pressure and every message reported, in both modes */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "../../harness.h"

struct tally {
	int calls, temporary;
	char text[200];
	pthread_t thread;		/* where the last callback ran */
};

static void
on_done(void *arg, const struct smtp_result *r)
{
	struct tally *t = arg;

	t->calls++;
	t->thread = pthread_self();
	t->temporary += r->outcome == SMTP_TEMPORARY;
	snprintf(t->text, sizeof(t->text), "%s", r->text);
}

/* a port on 127.0.0.1 bound but not listening (every connect is refused),
   or listening and never accepting (a connection waits for its greeting) */
static int
local_port(int *fd, int listening)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(*fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &len) != 0 || (listening && listen(*fd, 8) != 0))
		return -1;
	return ntohs(a.sin_port);
}

static void
back_pressure(int threaded)
{
	const char *to[] = { "r@example.com" };
	struct smtp_envelope env = { "a@example.com", to, 1 };
	struct smtp_options opt;
	struct smtp_transport *t;
	struct smtp_stats st;
	struct tally tl = { 0 };
	char url[100], err[200], want[200];
	int fd, port = local_port(&fd, 0);

	CHECK(port > 0);
	smtp_options_init(&opt);
	opt.queue_max = 2;
	opt.retries = 0;
	opt.threaded = threaded;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d?tls=none", port);
	CHECK_INT(smtp_transport_open(&t, url, &opt, err, sizeof(err)), NF_OK);
	CHECK_STR(smtp_transport_name(t), "smtp");
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	CHECK_INT(smtp_transport_submit(t, &env, "x\r\n", 3, SMTP_MSG_BORROW, on_done, &tl), NF_OK);
	CHECK_INT(smtp_transport_submit(t, &env, "y\r\n", 3, SMTP_MSG_COPY, on_done, &tl), NF_OK);
	/* full: nothing taken, nothing reported */
	CHECK_INT(smtp_transport_submit(t, &env, "z\r\n", 3, SMTP_MSG_BORROW, on_done, &tl), NF_ERR_TEMP);
	CHECK_INT(smtp_transport_drain(t), NF_OK);
	CHECK_INT(smtp_transport_pending(t), 0);
	CHECK_INT(tl.calls, 2);
	CHECK_INT(tl.temporary, 2);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection refused", port);
	CHECK_STR(tl.text, want);
	/* room again; the relay is down for a while, so this fails fast */
	CHECK_INT(smtp_transport_submit(t, &env, xstrdup("w\r\n"), 3, SMTP_MSG_TAKE, on_done, &tl),
		  NF_OK);
	CHECK(smtp_transport_wait(t, 5000) >= 1);
	CHECK_INT(tl.calls, 3);
	smtp_transport_stats(t, &st);
	CHECK_INT(st.submitted, 3);
	CHECK_INT(st.temporary, 3);
	CHECK_INT(st.accepted, 0);
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	smtp_transport_free(t);
	close(fd);
}

TEST(transport_back_pressure_in_the_callers_thread)
{
	back_pressure(0);
}

TEST(transport_back_pressure_on_its_own_thread)
{
	back_pressure(1);
}

/*
 * threaded: the pool thread finishes messages, but their callbacks run in
 * the thread that waits, and only there; wait_for sleeps until that many
 * are done
 */
TEST(transport_threaded_reports_in_the_waiting_thread)
{
	const char *to[] = { "r@example.com" };
	struct smtp_envelope env = { "a@example.com", to, 1 };
	struct smtp_options opt;
	struct smtp_transport *t;
	struct tally tl = { 0 };
	char url[100], err[200];
	int i, n, fd, port = local_port(&fd, 0);

	CHECK(port > 0);
	smtp_options_init(&opt);
	opt.retries = 0;
	opt.threaded = 1;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d?tls=none", port);
	CHECK_INT(smtp_transport_open(&t, url, &opt, err, sizeof(err)), NF_OK);
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	for (i = 0; i < 3; i++)
		CHECK_INT(smtp_transport_submit(t, &env, "x\r\n", 3, SMTP_MSG_BORROW, on_done, &tl), NF_OK);
	usleep(200 * 1000);	/* refused long ago, yet nobody waited */
	CHECK_INT(tl.calls, 0);
	CHECK_INT(smtp_transport_pending(t), 3);
	for (n = 0, i = 0; n < 3 && i < 5; i++)
		n += smtp_transport_wait_for(t, 3, 5000);
	CHECK_INT(n, 3);
	CHECK_INT(tl.calls, 3);
	CHECK_INT(tl.temporary, 3);
	CHECK(pthread_equal(tl.thread, pthread_self()));
	CHECK_INT(smtp_transport_pending(t), 0);
	CHECK_INT(smtp_transport_wait_for(t, 10, 50), 0);	/* nothing in flight: at once */
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	smtp_transport_free(t);
	close(fd);
}

/* messages still waiting when the transport is freed are reported, not lost */
TEST(transport_free_reports_what_is_left)
{
	const char *to[] = { "r@example.com" };
	struct smtp_envelope env = { "a@example.com", to, 1 };
	struct smtp_transport *t;
	struct tally tl = { 0 };
	char url[100], err[200];
	int i, fd, port = local_port(&fd, 1);

	CHECK(port > 0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d?tls=none", port);
	CHECK_INT(smtp_transport_open(&t, url, NULL, err, sizeof(err)), NF_OK);
	for (i = 0; i < 5; i++)
		CHECK_INT(smtp_transport_submit(t, &env, "x\r\n", 3, SMTP_MSG_BORROW, on_done, &tl), NF_OK);
	CHECK_INT(smtp_transport_wait(t, 50), 0);
	CHECK_INT(tl.calls, 0);
	smtp_transport_free(t);
	CHECK_INT(tl.calls, 5);
	CHECK_INT(tl.temporary, 5);
	CHECK_STR(tl.text, "transport closed");
	close(fd);
}
