/*
 * cli/cmd_template.c - newsflash template render: try a template from the shell
 *
 * Owns: the operator's way to see what a template produces.
 *   newsflash template render TEMPLATE_FILE [DATA_JSON_FILE|-] [--partials DIR]
 *                                          [--escape html|none]
 * writes the rendering to stdout exactly as rendered (nothing added). Partial
 * P comes from DIR/P.mustache (DIR defaults to the template's own folder).
 * A template error prints "FILE:LINE:COL: message" on stderr (FILE is the
 * partial's file when the error is in a partial) and exits 2; so does a
 * missing or invalid data file, naming it. Without a data file the context
 * is empty. The data may be any JSON value, as in the Mustache spec: an
 * object or an array, but also a string, a number, true, false or null
 * ({{.}} then renders it).
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../tmpl/tmpl.h"
#include "cli.h"

#define TEMPLATE_MAX (16u << 20)
#define OUTPUT_MAX (256u << 20)

struct render_args {
	const char *file;
	const char *data_file;
	const char *partials;
	enum tmpl_escape escape;
};

/* the partial loader, saying which partial files were not there */
static int
cli_loader(void *dir, const char *name, size_t len, struct buf *src)
{
	int rc = tmpl_load_dir(dir, name, len, src);

	if (rc == NF_ERR_NOTFOUND)
		fprintf(stderr, "newsflash: template: warning: no partial %s/%.*s.mustache, "
			"it renders as empty\n", (const char *)dir, (int)(len > 200 ? 200 : len), name);
	return rc;
}

static int
read_template(const char *path, struct buf *src)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t got;
	int rc = NF_OK;

	if (f == NULL)
		return cli_fail("template", "cannot read %s: %s", path, strerror(errno));
	while (rc == NF_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(src, chunk, got);
	if (rc == NF_OK && ferror(f))
		rc = NF_ERR_IO;
	fclose(f);
	if (rc != NF_OK)
		return cli_fail("template", "cannot read %s: %s", path,
				rc == NF_ERR_LIMIT ? "larger than 16 MiB" : "read error");
	return 0;
}

/* the data: a JSON file, "-" for standard input, or nothing (an empty context); any JSON value */
static int
read_data(const char *path, json_t **out)
{
	json_error_t jerr;

	*out = NULL;
	if (path == NULL)
		return 0;
	if (strcmp(path, "-") == 0) {
		*out = json_loadf(stdin, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		path = "(stdin)";
	} else {
		FILE *f = fopen(path, "rb");

		if (f == NULL)
			return cli_fail("template", "cannot read data file %s: %s", path,
					strerror(errno));
		*out = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		fclose(f);
	}
	if (*out == NULL) {
		fprintf(stderr, "%s:%d:%d: invalid JSON data: %s\n", path, jerr.line, jerr.column,
			jerr.text);
		return EXIT_USAGE;
	}
	return 0;
}

static void
print_error(const struct render_args *a, const struct tmpl_error *err)
{
	if (err->partial[0])
		fprintf(stderr, "%s/%s.mustache:%d:%d: %s\n", a->partials, err->partial,
			err->line, err->col, err->message);
	else
		fprintf(stderr, "%s:%d:%d: %s\n", a->file, err->line, err->col, err->message);
}

static int
render(const struct render_args *a)
{
	struct tmpl_options opts;
	struct tmpl_error err;
	struct tmpl_value ctx;
	struct buf src, out;
	struct tmpl *t = NULL;
	json_t *data = NULL;
	int status, rc;

	buf_init(&src, TEMPLATE_MAX);
	buf_init(&out, OUTPUT_MAX);
	if ((status = read_template(a->file, &src)) != 0 || (status = read_data(a->data_file, &data)))
		goto out;
	memset(&opts, 0, sizeof(opts));
	opts.loader = cli_loader;
	opts.loader_data = (void *)a->partials;
	opts.escape = a->escape;
	t = tmpl_compile(src.data ? src.data : "", src.len, &opts, &err);
	if (t == NULL) {
		print_error(a, &err);
		status = EXIT_USAGE;
		goto out;
	}
	tmpl_ctx_json(&ctx, data);
	rc = tmpl_render(t, data ? &ctx : NULL, &out);
	if (rc != NF_OK) {
		status = cli_fail("template", "%s: cannot render: %s%s", a->file, nf_strstatus(rc),
				  rc == NF_ERR_LIMIT ? " (output or nesting too large)" : "");
		goto out;
	}
	if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
		status = cli_fail("template", "cannot write the output: %s", strerror(errno));
	else if (fflush(stdout) != 0)
		status = cli_fail("template", "cannot write the output: %s", strerror(errno));
out:
	tmpl_free(t);
	json_decref(data);
	buf_free(&src);
	buf_free(&out);
	return status;
}

static void
usage(FILE *to, const struct config_opt *opts)
{
	fprintf(to, "usage: newsflash template render TEMPLATE_FILE [DATA_JSON_FILE|-] "
		    "[--partials DIR] [--escape html|none]\n\n"
		    "Render a Mustache template with JSON data (any JSON value) to standard output,\n"
		    "exactly. "
		    "Partial NAME is read from DIR/NAME.mustache.\n\noptions:\n");
	config_usage(opts, to);
}

int
cmd_template(int argc, char **argv)
{
	const char *partials = NULL, *escape = "html";
	int help = 0, npos = 0, status;
	char **pos = NULL, *dir_copy = NULL;
	struct render_args a;
	const struct config_opt opts[] = {
		{ "partials", CONFIG_STRING, &partials, "DIR",
		  "where partials are (default: the template's folder)" },
		{ "escape", CONFIG_STRING, &escape, "html|none",
		  "escape {{name}} for HTML (default) or not at all (plain text)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		usage(stderr, opts);
		return EXIT_USAGE;
	}
	if (help) {
		free(pos);
		usage(stdout, opts);
		return 0;
	}
	if (npos < 2 || npos > 3 || strcmp(pos[0], "render") != 0 ||
	    (strcmp(escape, "html") != 0 && strcmp(escape, "none") != 0)) {
		free(pos);
		usage(stderr, opts);
		return EXIT_USAGE;
	}
	a.file = pos[1];
	a.data_file = npos == 3 ? pos[2] : NULL;
	a.escape = strcmp(escape, "none") == 0 ? TMPL_ESCAPE_NONE : TMPL_ESCAPE_HTML;
	if (partials == NULL || *partials == '\0') {
		dir_copy = xstrdup(a.file);
		partials = dirname(dir_copy);
	}
	a.partials = partials;
	status = render(&a);
	free(dir_copy);
	free(pos);
	return status;
}
