/* bench.svg: the latency distributions, qvm over the baseline, one panel per kind. */
#include "report.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- SVG ------------------------------------------------------------- */

#define SVG_W		900
#define SVG_ML		72	/* left margin: y tick labels and title */
#define SVG_MR		24
#define SVG_HEAD	92	/* title, host line, legend */
#define SVG_PANEL	262	/* one kind */
#define SVG_PLOT_TOP	46	/* plot area inside a panel */
#define SVG_PLOT_H	160
#define SVG_BINS	150	/* log-spaced bins drawn per panel */

static const char *const sys_colour[SYS_COUNT] = {
	[SYS_BASELINE] = "#1f6fb4",
	[SYS_QVM] = "#d95f02",
};

static void svg_text_raw(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* <text> at X,Y with extra attributes ATTR and printf-formatted content. */
static void svg_text(FILE *f, double x, double y, const char *attr,
		     const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void svg_text(FILE *f, double x, double y, const char *attr,
		     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attr);
	svg_text_raw(f, buf);
	fputs("</text>\n", f);
}

/* A latency as a short label: "850 ns", "1.2 µs", "3 ms". */
static void fmt_latency(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.3g ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g \u00b5s", ns / 1e3);
	else
		snprintf(buf, len, "%.3g ms", ns / 1e6);
}

/* The x range of one panel and the mapping onto pixels. */
struct xaxis {
	double lo, hi;		/* ns */
	double px0, px1;
};

static double x_of(const struct xaxis *ax, double ns)
{
	return ax->px0 + (ax->px1 - ax->px0) * log(ns / ax->lo) /
		log(ax->hi / ax->lo);
}

/*
 * From the lowest minimum to a little past the higher p99 (or the maximum,
 * if lower). Exits have long, thin tails (host interrupts, preemption):
 * drawing them would squeeze the body of both distributions into a few
 * pixels, while the last 1 % barely shows on a linear share axis anyway.
 * The table has the tail's percentiles; the panel says how much is cut.
 */
static struct xaxis panel_xaxis(const struct report *rep, int k)
{
	double lo = INFINITY, hi = 0, p99 = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		lo = fmin(lo, st->min_ns);
		hi = fmax(hi, st->max_ns);
		p99 = fmax(p99, st->p99_ns);
	}
	hi = fmin(hi, 1.25 * p99);
	double one_cycle = 1e9 / rep->tsc_hz;
	lo = fmax(lo, one_cycle) / 1.05;
	hi = fmax(hi, one_cycle) * 1.05;
	/* A very narrow distribution still gets a readable factor of 3. */
	if (hi / lo < 3) {
		double mid = sqrt(lo * hi);
		lo = mid / sqrt(3);
		hi = mid * sqrt(3);
	}
	struct xaxis ax = { lo, hi, SVG_ML, SVG_W - SVG_MR };
	return ax;
}

/*
 * Spreads a histogram over SVG_BINS log-spaced bins (share of samples in
 * %). A bucket's samples are taken as evenly spread over its values, cut
 * to the exact [min, max]; what lies above the axis is returned.
 */
static double bin_hist(const struct merged_hist *h, double tsc_hz,
		       const struct xaxis *ax, double *bins)
{
	double scale = 1e9 / tsc_hz, llo = log(ax->lo);
	double lspan = log(ax->hi) - llo, off = 0;
	double vmin = (double)h->min, vmax = (double)h->max + 1;
	unsigned lim = bucket_limit();
	for (int i = 0; i < SVG_BINS; i++)
		bins[i] = 0;
	for (unsigned b = 0; b < lim; b++) {
		if (!h->bucket[b])
			continue;
		double a = fmax((double)bench_bucket_low(b), vmin) * scale;
		double z = fmin(bucket_high(b), vmax) * scale;
		double c = (double)h->bucket[b] / (double)h->count * 100;
		if (z <= a)
			z = a * (1 + 1e-9);
		if (z > ax->hi)
			off += c * (z - fmax(a, ax->hi)) / (z - a);
		int i = (int)floor((log(fmax(a, ax->lo)) - llo) / lspan * SVG_BINS);
		for (i = i < 0 ? 0 : i; i < SVG_BINS; i++) {
			double e0 = exp(llo + lspan * i / SVG_BINS);
			double e1 = exp(llo + lspan * (i + 1) / SVG_BINS);
			if (e0 >= z)
				break;
			double ov = fmin(z, e1) - fmax(a, e0);
			if (ov > 0)
				bins[i] += c * ov / (z - a);
		}
	}
	return off;
}

/* A round step (1, 2 or 5 x 10^k) giving about 5 ticks up to VMAX. */
static double nice_step(double vmax)
{
	double raw = vmax / 5, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

static void svg_yaxis(FILE *f, double top, double ymax, double step)
{
	double bot = top + SVG_PLOT_H;
	for (double v = 0; v <= ymax * (1 + 1e-9); v += step) {
		double y = bot - v / ymax * SVG_PLOT_H;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#e3e3e3\"/>\n", SVG_ML, y, SVG_W - SVG_MR, y);
		svg_text(f, SVG_ML - 6, y + 4, "text-anchor=\"end\"", "%g", v);
	}
	double mid = top + SVG_PLOT_H / 2.0;
	fprintf(f, "<text transform=\"translate(%d,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">samples (%%)</text>\n", 18, mid);
}

/* Tick mantissas, coarse to fine: a narrow range needs the finer sets. */
static const double tick_sets[][16] = {
	{ 1 },
	{ 1, 2, 5 },
	{ 1, 2, 3, 4, 5, 6, 7, 8, 9 },
	{ 1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9 },
};
static const int tick_set_len[] = { 1, 3, 9, 16 };
#define TICK_SETS	4

/*
 * Calls TICK(v) for each tick of SET in the axis' range; returns how many.
 * The values come from the mantissa times a power of ten, so labels like
 * "1.2 µs" print exactly.
 */
static int for_ticks(const struct xaxis *ax, int set, FILE *f, double top,
		     void (*tick)(FILE *, const struct xaxis *, double, double))
{
	int n = 0;
	for (int e = (int)floor(log10(ax->lo)); e <= (int)ceil(log10(ax->hi)); e++)
		for (int i = 0; i < tick_set_len[set]; i++) {
			double v = tick_sets[set][i] * pow(10, e);
			if (v < ax->lo || v > ax->hi)
				continue;
			n++;
			if (tick)
				tick(f, ax, v, top);
		}
	return n;
}

static void draw_xtick(FILE *f, const struct xaxis *ax, double v, double top)
{
	double bot = top + SVG_PLOT_H, x = x_of(ax, v);
	char lab[32];
	fmt_latency(lab, sizeof lab, v);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#e3e3e3\"/>\n", x, top, x, bot);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#444\"/>\n", x, bot, x, bot + 5);
	svg_text(f, x, bot + 18, "text-anchor=\"middle\"", "%s", lab);
}

/* Labelled ticks from the coarsest set that gives at least 5. */
static void svg_xaxis(FILE *f, const struct xaxis *ax, double top)
{
	int set = 0;
	while (set < TICK_SETS - 1 && for_ticks(ax, set, f, top, NULL) < 5)
		set++;
	for_ticks(ax, set, f, top, draw_xtick);
	svg_text(f, (ax->px0 + ax->px1) / 2, top + SVG_PLOT_H + 38,
		 "text-anchor=\"middle\"", "latency (log scale)");
}

/* The distribution as a filled step outline. */
static void svg_dist(FILE *f, const struct xaxis *ax, const double *bins,
		     double top, double ymax, const char *colour)
{
	double bot = top + SVG_PLOT_H;
	double lspan = log(ax->hi / ax->lo);
	fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\" "
		"stroke-width=\"1.3\" stroke-linejoin=\"round\" d=\"M%.1f,%.1f",
		colour, colour, ax->px0, bot);
	for (int i = 0; i < SVG_BINS; i++) {
		double x0 = x_of(ax, ax->lo * exp(lspan * i / SVG_BINS));
		double x1 = x_of(ax, ax->lo * exp(lspan * (i + 1) / SVG_BINS));
		double y = bot - fmin(bins[i] / ymax, 1) * SVG_PLOT_H;
		fprintf(f, " L%.1f,%.1f L%.1f,%.1f", x0, y, x1, y);
	}
	fprintf(f, " L%.1f,%.1f Z\"/>\n", ax->px1, bot);
}

/*
 * p50 (dashed) and p99 (dotted) of one system. The labels of p50 go left of
 * the line and those of p99 right, and each system has its own height, so
 * close marks stay legible.
 */
static void svg_marks(FILE *f, const struct xaxis *ax, const struct kind_stats *s,
		      double top, int sys)
{
	const struct { double v; const char *name, *dash, *anchor; int dx; } m[] = {
		{ s->p50_ns, "p50", "6,3", "end", -3 },
		{ s->p99_ns, "p99", "2,3", "start", 3 },
	};
	double ly = top + 12 + 13 * sys;
	for (size_t i = 0; i < 2; i++) {
		if (!(m[i].v >= ax->lo && m[i].v <= ax->hi))
			continue;
		double x = x_of(ax, m[i].v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>\n",
			x, top, x, top + SVG_PLOT_H, sys_colour[sys], m[i].dash);
		/* Near an edge of the plot, the label goes to the inner side. */
		const char *anchor = m[i].anchor;
		int dx = m[i].dx;
		if (dx < 0 && x - 24 < ax->px0)
			anchor = "start", dx = 3;
		else if (dx > 0 && x + 24 > ax->px1)
			anchor = "end", dx = -3;
		char attr[160];
		snprintf(attr, sizeof attr,
			 "text-anchor=\"%s\" fill=\"%s\" font-size=\"11\" "
			 "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"",
			 anchor, sys_colour[sys]);
		svg_text(f, x + dx, ly, attr, "%s", m[i].name);
	}
}

/* "p50 1.23 µs vs 1.20 µs (×1.025)" or the one value there is. */
static void fmt_compare(char *buf, size_t len, const char *name,
			double q, double b)
{
	char qs[32], bs[32];
	fmt_latency(qs, sizeof qs, q);
	fmt_latency(bs, sizeof bs, b);
	if (!isnan(q) && !isnan(b))
		snprintf(buf, len, "%s: qvm %s, baseline %s (\u00d7%.3f)", name, qs,
			 bs, q / b);
	else
		snprintf(buf, len, "%s: %s", name, isnan(q) ? bs : qs);
}

static void svg_panel_title(FILE *f, const struct report *rep, int k,
			    double y)
{
	const struct kind_stats *q = &rep->st[k][SYS_QVM];
	const struct kind_stats *b = &rep->st[k][SYS_BASELINE];
	char p50[128], p99[128];
	fmt_compare(p50, sizeof p50, "p50", q->p50_ns, b->p50_ns);
	fmt_compare(p99, sizeof p99, "p99", q->p99_ns, b->p99_ns);
	svg_text(f, SVG_ML, y + 18, "font-size=\"15\" font-weight=\"bold\"",
		 "%s", bench_kind_names[k]);
	svg_text(f, SVG_ML + 110, y + 18, "font-size=\"12\"",
		 "%s  \u00b7  %s", p50, p99);

	/* Samples and maximum per system: the maximum is usually off the chart. */
	char note[256];
	size_t n = 0;
	for (int s = 0; s < SYS_COUNT && n < sizeof note; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		char mx[32];
		fmt_latency(mx, sizeof mx, st->max_ns);
		n += snprintf(note + n, sizeof note - n, "%s%s %llu samples, max %s",
			      n ? "  \u00b7  " : "", bench_sys_names[s],
			      (unsigned long long)st->count, mx);
	}
	svg_text(f, SVG_ML, y + 34, "font-size=\"11\" fill=\"#555\"", "%s", note);
}

/*
 * What lies beyond the right end of the axis, right-aligned on the line
 * under the title (inside the plot it would collide with the p99 labels).
 */
static void svg_offscale(FILE *f, const struct report *rep, int k,
			 const struct xaxis *ax, double y,
			 const double off[SYS_COUNT])
{
	char note[256], hi[32];
	size_t n = 0;
	fmt_latency(hi, sizeof hi, ax->hi);
	n += snprintf(note, sizeof note, "beyond %s (not drawn):", hi);
	bool any = false, first = true;
	for (int s = 0; s < SYS_COUNT && n < sizeof note; s++) {
		if (!rep->st[k][s].present)
			continue;
		n += snprintf(note + n, sizeof note - n, "%s %s %.2g %%",
			      first ? "" : ",", bench_sys_names[s], off[s]);
		first = false;
		any = any || off[s] > 0;
	}
	if (any)
		svg_text(f, ax->px1, y + 34,
			 "text-anchor=\"end\" font-size=\"11\" fill=\"#555\"",
			 "%s", note);
}

static void svg_panel(FILE *f, const struct report *rep, int k, double y)
{
	struct xaxis ax = panel_xaxis(rep, k);
	double bins[SYS_COUNT][SVG_BINS], off[SYS_COUNT] = { 0 }, ymax = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!rep->st[k][s].present)
			continue;
		off[s] = bin_hist(&rep->m[s]->h[k], rep->tsc_hz, &ax, bins[s]);
		for (int i = 0; i < SVG_BINS; i++)
			ymax = fmax(ymax, bins[s][i]);
	}
	double step = nice_step(ymax > 0 ? ymax * 1.05 : 1);
	ymax = ceil((ymax > 0 ? ymax * 1.05 : 1) / step) * step;
	double top = y + SVG_PLOT_TOP;

	svg_panel_title(f, rep, k, y);
	svg_yaxis(f, top, ymax, step);
	svg_xaxis(f, &ax, top);
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[k][s].present)
			svg_dist(f, &ax, bins[s], top, ymax, sys_colour[s]);
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[k][s].present)
			svg_marks(f, &ax, &rep->st[k][s], top, s);
	svg_offscale(f, rep, k, &ax, y, off);
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#444\"/>\n", SVG_ML, top,
		SVG_W - SVG_ML - SVG_MR, SVG_PLOT_H);
}

static void svg_legend(FILE *f, double y)
{
	double x = SVG_ML;
	static const char *const label[SYS_COUNT] = {
		[SYS_BASELINE] = "baseline (raw KVM, minimal VMM)",
		[SYS_QVM] = "qvm",
	};
	for (int s = 0; s < SYS_COUNT; s++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
			"fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\"/>\n",
			x, y - 9, sys_colour[s], sys_colour[s]);
		svg_text(f, x + 20, y, "", "%s", label[s]);
		x += 40 + 7.0 * strlen(label[s]);
	}
	const struct { const char *dash, *name; } m[] = {
		{ "6,3", "p50" }, { "2,3", "p99" },
	};
	for (size_t i = 0; i < 2; i++) {
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#333\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>\n",
			x, y - 4, x + 24, y - 4, m[i].dash);
		svg_text(f, x + 30, y, "", "%s", m[i].name);
		x += 80;
	}
}

static void svg_header(FILE *f, const struct report *rep)
{
	const struct merged *m = some_merged(rep);
	svg_text(f, SVG_ML, 26, "font-size=\"18\" font-weight=\"bold\"",
		 "qvm-bench: guest exit latency, qvm vs raw-KVM baseline");
	char rounds[128] = "";
	size_t n = 0;
	for (int s = 0; s < SYS_COUNT; s++)
		if (sys_present(rep, s))
			n += snprintf(rounds + n, sizeof rounds - n, "%s%s \u00d7%u",
				      n ? ", " : "", bench_sys_names[s],
				      rep->m[s]->files);
	svg_text(f, SVG_ML, 48, "font-size=\"12\" fill=\"#333\"",
		 "%s \u00b7 %s \u00b7 Linux %s \u00b7 TSC %.3f GHz \u00b7 "
		 "n %llu per kind per round \u00b7 rounds: %s",
		 rep->cpu_model, rep->hostname, rep->kernel, rep->tsc_hz / 1e9,
		 (unsigned long long)(m ? m->n : 0), rounds);
	svg_legend(f, 74);
}

int report_write_svg(const char *path, const struct report *rep)
{
	int panels = 0;
	for (int k = 0; k < BK_KINDS; k++)
		panels += kind_present(rep, k);
	int h = SVG_HEAD + (panels ? panels : 1) * SVG_PANEL;
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, "
		"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, h, SVG_W, h);
	svg_header(f, rep);
	double y = SVG_HEAD;
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		svg_panel(f, rep, k, y);
		y += SVG_PANEL;
	}
	if (!panels)
		svg_text(f, SVG_ML, y + 40, "", "no results");
	fputs("</svg>\n", f);
	return close_out(f, path);
}
