/*
 * tmpl/json.c - jansson values as a template context
 *
 * Owns: the adapter from json_t to struct tmpl_value. Objects and arrays are
 * handed out by reference (nothing is copied): the JSON document must stay
 * alive and unchanged while a render reads it. Reading a jansson value from
 * several threads at once is safe as long as nobody changes it.
 */
#include <jansson.h>

#include "tmpl_internal.h"

static int
json_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const json_t *v = json_object_getn((const json_t *)handle, name, len);

	if (v == NULL)
		tmpl_value_missing(out);
	else
		tmpl_ctx_json(out, v);
	return NF_OK;
}

static int
json_item(const void *handle, size_t i, struct tmpl_value *out)
{
	tmpl_ctx_json(out, json_array_get((const json_t *)handle, i));
	return NF_OK;
}

static const struct tmpl_ops json_ops = { json_lookup, json_item };

void
tmpl_ctx_json(struct tmpl_value *out, const json_t *v)
{
	if (v == NULL) {
		tmpl_value_missing(out);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		tmpl_value_object(out, &json_ops, v);
		break;
	case JSON_ARRAY:
		tmpl_value_list(out, &json_ops, v, json_array_size(v));
		break;
	case JSON_STRING:
		tmpl_value_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		tmpl_value_int(out, json_integer_value(v));
		break;
	case JSON_REAL:
		tmpl_value_real(out, json_real_value(v));
		break;
	case JSON_TRUE:
		tmpl_value_bool(out, 1);
		break;
	case JSON_FALSE:
		tmpl_value_bool(out, 0);
		break;
	case JSON_NULL:
		tmpl_value_null(out);
		break;
	}
}
