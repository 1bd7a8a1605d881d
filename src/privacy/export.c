/*
 * privacy/export.c - one person's data as JSON
 *
 * Owns: the shape of the export. Times are RFC 3339 (null when never);
 * every table that holds rows about a subscriber has its key here, so a
 * table added to the store without its place in the export shows up in
 * tests/integration/leave.sh, which checks each key against the database.
 * Left out on purpose: token_salt, a random value that signs the person's
 * links (it says nothing about them, and with it a link could be forged by
 * anyone who also had the server secret).
 */
#include <stdlib.h>
#include <time.h>

#include "store/store.h"
#include "privacy.h"

static json_t *
when(int64_t t)
{
	char s[TIME_RFC3339_MAX];

	if (t <= 0)
		return json_null();
	time_rfc3339((time_t)t, s);
	return json_string(s);
}

static json_t *
text(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
subscriber_json(const struct store_subscriber *sub)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sub->id));
	json_object_set_new(o, "email", text(sub->email));
	json_object_set_new(o, "email_as_typed", text(sub->email_display));
	json_object_set_new(o, "name", text(sub->name));
	json_object_set_new(o, "status", json_string(store_status_name(sub->status)));
	json_object_set_new(o, "created_at", when(sub->created_at));
	json_object_set_new(o, "confirmed_at", when(sub->confirmed_at));
	json_object_set_new(o, "confirmation_sent_at", when(sub->confirm_sent_at));
	json_object_set_new(o, "marketing", json_boolean(sub->marketing));
	json_object_set_new(o, "soft_bounces_in_a_row", json_integer(sub->soft_bounces));
	return o;
}

static int
memberships_json(struct store *s, int64_t id, json_t *doc)
{
	struct store_list **ls = NULL;
	json_t *a = json_array();
	size_t i, n = 0;
	int rc = store_lists_of(s, id, &ls, &n);

	for (i = 0; rc == NF_OK && i < n; i++)
		if (ls[i]->member)
			json_array_append_new(a, json_string(ls[i]->name));
	store_list_list_free(ls, n);
	json_object_set_new(doc, "memberships", a);
	return rc;
}

static int
consent_json(struct store *s, int64_t id, json_t *doc)
{
	struct store_consent **evs = NULL;
	json_t *a = json_array();
	size_t i, n = 0;
	int rc = store_consent_list(s, id, &evs, &n);

	for (i = 0; rc == NF_OK && i < n; i++) {
		const struct store_consent *e = evs[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_integer(e->id));
		json_object_set_new(o, "purpose", json_string(store_purpose_name(e->purpose)));
		json_object_set_new(o, "action", json_string(store_action_name(e->action)));
		json_object_set_new(o, "list", text(e->list));
		json_object_set_new(o, "at", when(e->at));
		json_object_set_new(o, "source", text(e->source));
		json_object_set_new(o, "ip", text(e->ip));
		json_object_set_new(o, "user_agent", text(e->user_agent));
		json_object_set_new(o, "wording_version", text(e->wording_version));
		json_object_set_new(o, "wording_hash", text(e->wording_hash));
		json_array_append_new(a, o);
	}
	store_consent_list_free(evs, n);
	json_object_set_new(doc, "consent", a);
	return rc;
}

static int
deliveries_json(struct store *s, int64_t id, json_t *doc)
{
	struct store_delivery **ds = NULL;
	json_t *a = json_array();
	size_t i, n = 0;
	int rc = store_deliveries_of(s, id, &ds, &n);

	for (i = 0; rc == NF_OK && i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "alert_id", json_integer(ds[i]->alert_id));
		json_object_set_new(o, "kind", json_string(store_kind_name(ds[i]->kind)));
		json_object_set_new(o, "attempts", json_integer(ds[i]->attempts));
		json_object_set_new(o, "next_attempt_at", when(ds[i]->next_attempt_at));
		json_object_set_new(o, "reply", text(ds[i]->reply));
		json_array_append_new(a, o);
	}
	store_delivery_list_free(ds, n);
	json_object_set_new(doc, "deliveries", a);
	return rc;
}

static int
suppression_json(struct store *s, const struct store_subscriber *sub, json_t *doc)
{
	const char *form = NULL;
	char *reason = NULL;
	int64_t at = 0;
	int rc = store_suppression_get(s, sub->email_key, &reason, &at, &form);

	if (rc == NF_OK)
		json_object_set_new(doc, "suppression", json_pack("{s:s,s:o,s:s}", "reason", reason,
								  "at", when(at), "kept_as", form));
	else
		json_object_set_new(doc, "suppression", json_null());
	free(reason);
	return rc == NF_ERR_NOTFOUND ? NF_OK : rc;
}

int
privacy_export(struct store *s, int64_t id, json_t **out)
{
	struct store_subscriber *sub = NULL;
	json_t *doc;
	int rc;

	*out = NULL;
	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	doc = json_object();
	json_object_set_new(doc, "exported_at", when((int64_t)time(NULL)));
	json_object_set_new(doc, "subscriber", subscriber_json(sub));
	rc = memberships_json(s, id, doc);
	if (rc == NF_OK)
		rc = consent_json(s, id, doc);
	if (rc == NF_OK)
		rc = deliveries_json(s, id, doc);
	if (rc == NF_OK)
		rc = suppression_json(s, sub, doc);
	store_subscriber_free(sub);
	if (rc != NF_OK) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return NF_OK;
}

int
privacy_export_text(struct store *s, int64_t id, char **out)
{
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if ((rc = privacy_export(s, id, &doc)) != NF_OK)
		return rc;
	*out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (*out == NULL)
		*out = xstrdup("{}");
	json_decref(doc);
	return NF_OK;
}
