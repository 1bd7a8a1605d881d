/*
 * deliver/metrics.c - the publish-to-last-message histogram
 *
 * Owns: how long alerts took, from the moment the alert was created to the
 * moment this node committed its last shard, in Prometheus histogram form.
 */
#include <string.h>

#include "deliver_internal.h"

static const double bucket_secs[LATENCY_BUCKETS] = { 1, 2, 5, 10, 30, 60, 300, 900, 3600 };

void
deliver_latency_record(struct deliver *d, double secs)
{
	int i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < LATENCY_BUCKETS; i++)
		if (secs <= bucket_secs[i])
			d->latency_buckets[i]++;
	d->latency_count++;
	d->latency_sum += secs;
	pthread_mutex_unlock(&d->lock);
}

void
deliver_latency_histogram(struct deliver *d, struct buf *out)
{
	static const char name[] = "newsflash_alert_publish_to_last_message_seconds";
	uint64_t buckets[LATENCY_BUCKETS], count = 0;
	double sum = 0;
	int i;

	memset(buckets, 0, sizeof(buckets));
	if (d) {
		pthread_mutex_lock(&d->lock);
		memcpy(buckets, d->latency_buckets, sizeof(buckets));
		count = d->latency_count;
		sum = d->latency_sum;
		pthread_mutex_unlock(&d->lock);
	}
	buf_printf(out, "# HELP %s Time from an alert's publication to its last accepted message.\n"
		   "# TYPE %s histogram\n", name, name);
	for (i = 0; i < LATENCY_BUCKETS; i++)
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_secs[i], (unsigned long long)buckets[i]);
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.3f\n%s_count %llu\n", name,
		   (unsigned long long)count, name, sum, name, (unsigned long long)count);
}
