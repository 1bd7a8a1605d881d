/*
 * tmpl/value.c - context values: name resolution, truth, text, chains
 *
 * Owns: resolving a dotted name against the context stack (spec
 * interpolation "Dotted Names" and "Implicit Iterators": the first part is
 * looked for from the top of the stack down, the rest only inside what was
 * found), whether a value is true for a section, the text of numbers, and
 * chained contexts (several layers read as one object).
 *
 * Numbers print as the shortest decimal that reads back as the same double
 * (1.21 is "1.21", 85 is "85"), as JSON and JavaScript print them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

static const struct tmpl_ops chain_ops;

/*
 * The first part of p in one layer: 1 when it is there (out set), 0 when the
 * lookup must go on below. A chain is searched layer by layer here rather
 * than through its own lookup: one indirect call per layer, not two.
 */
static int
layer_first(const struct tmpl_value *layer, const struct tmpl_path *p, struct tmpl_value *out,
	    int *rc)
{
	const struct tmpl_ops *ops;
	size_t i;

	if (layer->type != TMPL_OBJECT)
		return 0;
	ops = layer->u.ref.ops;
	if (ops == &chain_ops) {
		const struct tmpl_chain *c = layer->u.ref.handle;

		for (i = 0; i < c->count; i++)
			if (layer_first(&c->layers[i], p, out, rc) || *rc != NF_OK)
				return 1;
		return 0;
	}
	*rc = ops->lookup(layer->u.ref.handle, p->seg[0].p, p->seg[0].len, out);
	return *rc != NF_OK || out->type != TMPL_MISSING;
}

/* the parts after the first, each looked up only inside the one before */
static int
resolve_rest(const struct tmpl_path *p, struct tmpl_value *out)
{
	struct tmpl_value in;
	size_t k;
	int rc;

	for (k = 1; k < p->nseg && out->type != TMPL_MISSING; k++) {
		in = *out;
		out->type = TMPL_MISSING;
		if (in.type != TMPL_OBJECT)
			break;
		rc = in.u.ref.ops->lookup(in.u.ref.handle, p->seg[k].p, p->seg[k].len, out);
		if (rc != NF_OK)
			return rc;
	}
	return NF_OK;
}

int
tmpl_resolve(const struct tmpl_frame *f, const struct tmpl_path *p, struct tmpl_value *out)
{
	int rc = NF_OK;

	out->type = TMPL_MISSING;
	if (p->nseg == 0) {
		if (f)
			*out = f->v;
		return NF_OK;
	}
	for (; f; f = f->up)
		if (layer_first(&f->v, p, out, &rc))
			break;
	if (rc != NF_OK)
		return rc;
	return resolve_rest(p, out);
}

int
tmpl_resolve_layer(const struct tmpl_value *layer, const struct tmpl_path *p,
		   struct tmpl_value *out, int *found)
{
	int rc = NF_OK;

	out->type = TMPL_MISSING;
	*found = p->nseg > 0 && layer_first(layer, p, out, &rc);
	if (rc != NF_OK || !*found)
		return rc;
	return resolve_rest(p, out);
}

int
tmpl_truthy(const struct tmpl_value *v)
{
	switch (v->type) {
	case TMPL_MISSING:
	case TMPL_NULL:
		return 0;
	case TMPL_BOOL:
		return v->u.boolean;
	case TMPL_INT:
		return v->u.integer != 0;
	case TMPL_REAL:
		return v->u.real != 0 && !isnan(v->u.real);
	case TMPL_STRING:
		return v->u.str.len != 0;
	case TMPL_LIST:
		return v->u.ref.count != 0;
	case TMPL_OBJECT:
	case TMPL_LAMBDA:
		return 1;
	}
	return 0;
}

static size_t
real_text(double d, char num[TMPL_NUMBER_MAX])
{
	int prec, n = 0;

	if (!isfinite(d))
		return 0;
	for (prec = 1; prec <= 17; prec++) {
		n = snprintf(num, TMPL_NUMBER_MAX, "%.*g", prec, d);
		if (strtod(num, NULL) == d)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

size_t
tmpl_scalar_text(const struct tmpl_value *v, char num[TMPL_NUMBER_MAX], const char **text)
{
	int n;

	*text = num;
	switch (v->type) {
	case TMPL_STRING:
		*text = v->u.str.ptr;
		return v->u.str.len;
	case TMPL_INT:
		n = snprintf(num, TMPL_NUMBER_MAX, "%lld", v->u.integer);
		return n > 0 ? (size_t)n : 0;
	case TMPL_REAL:
		return real_text(v->u.real, num);
	case TMPL_BOOL:
		*text = v->u.boolean ? "true" : "false";
		return v->u.boolean ? 4 : 5;
	default:
		return 0;
	}
}

static int
chain_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const struct tmpl_chain *c = handle;
	const struct tmpl_value *l;
	size_t i;
	int rc;

	for (i = 0; i < c->count; i++) {
		l = &c->layers[i];
		if (l->type != TMPL_OBJECT)
			continue;
		rc = l->u.ref.ops->lookup(l->u.ref.handle, name, len, out);
		if (rc != NF_OK || out->type != TMPL_MISSING)
			return rc;
	}
	out->type = TMPL_MISSING;
	return NF_OK;
}

static const struct tmpl_ops chain_ops = { chain_lookup, NULL };

void
tmpl_ctx_chain(struct tmpl_value *out, const struct tmpl_chain *chain)
{
	tmpl_value_object(out, &chain_ops, chain);
}
