/*
 * web/newsroom/chart.c - the audience per day as an inline SVG line chart
 *
 * Owns: drawing signups, confirmations and unsubscribes per day (from
 * store_audience_daily) as SVG 1.1 markup the page embeds directly: no
 * script, no font, no external asset, so it passes the newsroom's
 * Content-Security-Policy and prints. The y axis steps by 1, 2 or 5 times a
 * power of ten, about four steps to the peak; the x axis labels at most
 * eight days, today always, and fewer when the chart is narrow (a phone's
 * is drawn at its own width, its legend over two rows, so that its text is
 * read at its real size rather than shrunk). The caller names the chart
 * (id) so that two on one page keep their titles apart.
 * The chart has a title and a description for screen readers, and each
 * point of a month or shorter carries a <title> that browsers show on
 * hover. Everything written is numbers and our own date labels; the
 * labels still pass through the HTML escaper.
 */
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "tmpl/tmpl.h"
#include "newsroom.h"

#define LEFT 52.0
#define RIGHT 16.0
#define TOP 34.0		/* room for one row of legend */
#define LEGEND_ROW 20.0		/* each further row a narrow chart's legend needs */
#define BOTTOM 30.0
#define GRID_STEPS 4
#define LABELS_MAX 8
#define LABEL_ROOM 64.0		/* the width one day label needs, so that none overlap */

struct series {
	const char *name, *colour;
	size_t offset;			/* of the count in struct store_audience_day */
};

static const struct series series[] = {
	{ "Signups", "#1f5fa8", offsetof(struct store_audience_day, signups) },
	{ "Confirmations", "#2e7d32", offsetof(struct store_audience_day, confirmations) },
	{ "Unsubscribes", "#c70000", offsetof(struct store_audience_day, unsubscribes) },
};

struct frame {
	double w, h, top, plot_w, plot_h;
	int64_t ymax, ystep;
	size_t n;
};

static int64_t
value(const struct store_audience_day *d, const struct series *s)
{
	return *(const int64_t *)(const void *)((const char *)d + s->offset);
}

/* the smallest of 1, 2, 5 times a power of ten at or above v */
static int64_t
nice_step(int64_t v)
{
	int64_t p = 1;

	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

static double
x_of(const struct frame *f, size_t i)
{
	return f->n > 1 ? LEFT + f->plot_w * (double)i / (double)(f->n - 1) : LEFT + f->plot_w / 2;
}

static double
y_of(const struct frame *f, int64_t v)
{
	return f->top + f->plot_h - f->plot_h * (double)v / (double)f->ymax;
}

static void
day_label(int64_t day, char out[16])
{
	time_t t = (time_t)day;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 16, "%e %b", &tm) == 0)
		snprintf(out, 16, "?");
	else if (out[0] == ' ')
		memmove(out, out + 1, strlen(out));
}

static void
grid(struct buf *out, const struct frame *f)
{
	char label[32];
	int64_t v;

	for (v = 0; v <= f->ymax; v += f->ystep) {
		double y = y_of(f, v);

		newsroom_count_label(v, label);
		buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
			   LEFT, y, f->w - RIGHT, y, v ? "#e3e3e3" : "#9a9a9a");
		buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
			   LEFT - 8, y + 4, label);
	}
}

static void
x_labels(struct buf *out, const struct store_audience_day *days, const struct frame *f)
{
	size_t room = (size_t)(f->plot_w / LABEL_ROOM) + 1, most = room < LABELS_MAX ? room : LABELS_MAX;
	size_t every = (f->n + most - 1) / most, i;
	char label[16];

	/* counted back from the last day, which is always labelled: it is today */
	for (i = f->n - 1; i < f->n; i -= every ? every : 1) {
		day_label(days[i].day, label);
		buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x_of(f, i), f->h - 10);
		tmpl_escape_html(out, label, strlen(label));
		buf_puts(out, "</text>");
	}
}

static void
line(struct buf *out, const struct store_audience_day *days, const struct frame *f,
     const struct series *s)
{
	char label[16], count[32];
	size_t i;

	buf_printf(out, "<g class=\"series\" data-series=\"%s\"><polyline fill=\"none\" stroke=\"%s\""
		   " stroke-width=\"2.2\" stroke-linejoin=\"round\" points=\"", s->name, s->colour);
	for (i = 0; i < f->n; i++)
		buf_printf(out, "%s%.1f,%.1f", i ? " " : "", x_of(f, i), y_of(f, value(&days[i], s)));
	buf_puts(out, "\"/>");
	for (i = 0; f->n <= 31 && i < f->n; i++) {
		if (value(&days[i], s) == 0)
			continue;	/* a quiet day needs no marker; the line shows it */
		day_label(days[i].day, label);
		newsroom_count_label(value(&days[i], s), count);
		buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>",
			   x_of(f, i), y_of(f, value(&days[i], s)), s->colour);
		tmpl_escape_html(out, label, strlen(label));
		buf_printf(out, ": %s %s</title></circle>", count, s->name);
	}
	buf_puts(out, "</g>");
}

/* the width a legend entry takes: a swatch and its name */
static double
entry_width(const struct series *s)
{
	return 34 + 7.0 * (double)strlen(s->name);
}

/* the legend's rows: as many as a chart of width w needs (a phone's chart has two) */
static int
legend_rows(double w)
{
	double x = LEFT;
	int rows = 1;
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(series); i++) {
		if (x > LEFT && x + entry_width(&series[i]) > w - RIGHT) {
			rows++;
			x = LEFT;
		}
		x += entry_width(&series[i]);
	}
	return rows;
}

static void
legend(struct buf *out, double w)
{
	size_t i;
	double x = LEFT, y = 0;

	for (i = 0; i < NF_ARRAY_LEN(series); i++) {
		if (x > LEFT && x + entry_width(&series[i]) > w - RIGHT) {
			x = LEFT;
			y += LEGEND_ROW;
		}
		buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\">%s</text>", x, y + 8, series[i].colour, x + 20, y + 14,
			   series[i].name);
		x += entry_width(&series[i]);
	}
}

int
newsroom_chart_audience_svg(const struct store_audience_day *days, size_t n, int width, int height,
			    const char *id, struct buf *out)
{
	struct frame f;
	int64_t max = 0, step, totals[NF_ARRAY_LEN(series)] = { 0 };
	size_t i, k;

	if (n == 0 || width < 200 || height < 120)
		return NF_ERR_INVALID;
	for (i = 0; i < n; i++)
		for (k = 0; k < NF_ARRAY_LEN(series); k++) {
			int64_t v = value(&days[i], &series[k]);

			totals[k] += v;
			if (v > max)
				max = v;
		}
	step = nice_step((max + GRID_STEPS - 1) / GRID_STEPS);
	f.ymax = max ? step * ((max + step - 1) / step) : GRID_STEPS;	/* the top line just above the peak */
	f.ystep = max ? step : 1;
	f.n = n;
	f.w = width;
	f.h = height;
	f.top = TOP + LEGEND_ROW * (legend_rows(f.w) - 1);
	f.plot_w = f.w - LEFT - RIGHT;
	f.plot_h = f.h - f.top - BOTTOM;
	buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 %d %d\""
		   " role=\"img\" aria-labelledby=\"%s-title %s-desc\""
		   " font-family=\"Arial, Helvetica, sans-serif\" font-size=\"12\" fill=\"#545454\">"
		   "<title id=\"%s-title\">Audience over the last %zu days</title>"
		   "<desc id=\"%s-desc\">Per day: %lld signups, %lld confirmations and %lld unsubscribes"
		   " in all.</desc>", width, height, id, id, id, n, id, (long long)totals[0],
		   (long long)totals[1], (long long)totals[2]);
	legend(out, f.w);
	grid(out, &f);
	x_labels(out, days, &f);
	for (k = 0; k < NF_ARRAY_LEN(series); k++)
		line(out, days, &f, &series[k]);
	return buf_puts(out, "</svg>");
}
