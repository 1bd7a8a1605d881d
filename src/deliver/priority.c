/*
 * deliver/priority.c - the priority lane: one-off messages ahead of alerts
 *
 * Owns: signup confirmations and other single messages. Web threads queue
 * them (deliver_priority); engine thread 0 submits them before any alert
 * batch. When the relay takes a confirmation, the subscriber's
 * confirm_sent_at is recorded (it paces resends to one address). A failure
 * is logged and not retried here: the SMTP pool already retried it on fresh
 * connections, and the person can simply sign up again, which sends anew.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"

int
deliver_priority_room(struct deliver *d)
{
	int room;

	pthread_mutex_lock(&d->lock);
	room = !d->stopping && d->prio_count < d->cfg.priority_max;
	pthread_mutex_unlock(&d->lock);
	return room;
}

static void
prio_push(struct deliver *d, struct prio_msg *p)
{
	p->next = NULL;
	if (d->prio_tail)
		d->prio_tail->next = p;
	else
		d->prio_head = p;
	d->prio_tail = p;
	d->prio_count++;
}

int
deliver_priority(struct deliver *d, const char *to, char *msg, size_t len,
		 int64_t subscriber_id)
{
	struct prio_msg *p;

	pthread_mutex_lock(&d->lock);
	if (d->stopping || d->prio_count >= d->cfg.priority_max) {
		pthread_mutex_unlock(&d->lock);
		free(msg);
		return NF_ERR_TEMP;
	}
	p = xcalloc(1, sizeof(*p));
	p->to = xstrdup(to);
	p->msg = msg;
	p->len = len;
	p->subscriber_id = subscriber_id;
	prio_push(d, p);
	pthread_mutex_unlock(&d->lock);
	deliver_wake_all(d);
	return NF_OK;
}

static void
prio_free(struct prio_msg *p)
{
	free(p->to);
	free(p->msg);
	free(p);
}

static void
prio_done(void *arg, const struct smtp_result *r)
{
	struct msg_ctx *m = arg;
	struct engine *e = m->e;
	struct prio_msg *p = m->prio;

	e->inflight_other--;
	p->msg = NULL;		/* the transport took it */
	if (r->outcome == SMTP_ACCEPTED) {
		if (p->subscriber_id > 0)
			store_subscriber_confirm_sent(e->store, p->subscriber_id, engine_now());
		engine_stat_add(e->d, &e->d->stats.priority_sent, 1);
		prio_free(p);
	} else {
		log_event(LOG_WARN, "deliver.priority_failed", "outcome", smtp_outcome_name(r->outcome),
			  "reply", r->text ? r->text : "", NULL);
		prio_free(p);	/* the person can ask again: signup answers the same */
	}
	free(m);
}

/* pop the first message that may go now, or NULL */
static struct prio_msg *
prio_pop(struct deliver *d)
{
	struct prio_msg *p;

	pthread_mutex_lock(&d->lock);
	p = d->prio_head;
	if (p) {
		d->prio_head = p->next;
		if (d->prio_head == NULL)
			d->prio_tail = NULL;
		d->prio_count--;
	}
	pthread_mutex_unlock(&d->lock);
	return p;
}

int
priority_pump(struct engine *e)
{
	struct prio_msg *p;
	struct msg_ctx *m;
	struct buf from;
	int worked = 0;

	buf_init(&from, 0);
	while ((p = prio_pop(e->d)) != NULL) {
		const char *domain = e->d->cfg.bounce_domain ? e->d->cfg.bounce_domain :
				     mail_addr_domain(e->d->cfg.sender.from_addr);

		m = xcalloc(1, sizeof(*m));
		m->e = e;
		m->prio = p;
		buf_reset(&from);
		buf_printf(&from, "bounce@%s", domain ? domain : "localhost");
		e->inflight_other++;
		if (engine_submit(e, from.data, p->to, p->msg, p->len, prio_done, m) != NF_OK) {
			e->inflight_other--;
			p->msg = NULL;
			prio_free(p);
			free(m);
		}
		worked = 1;
	}
	buf_free(&from);
	return worked;
}
