/*
 * bench.svg: one panel per kind. On the left, the latency histograms of
 * the baseline and qvm over the body of both distributions, with the tail
 * gathered in an overflow bin; on the right, the two cumulative
 * distributions over the same range. Drawn by hand, without a plotting
 * library (gnuplot, cairo): rectangles, polylines and text are all it
 * takes, and the text widths a layout needs come from a small table.
 */
#include "report.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout ----------------------------------------------------------- */

#define SVG_W		1100
#define SVG_MR		20
#define SVG_HEAD	92	/* title, host line, legend */
#define HIST_X0		64	/* left of it: y tick labels and axis title */
#define HIST_X1		600
#define OVF_X0		(HIST_X1 + 20)	/* the overflow bin, right of a gap */
#define OVF_X1		(OVF_X0 + 56)
#define CDF_X0		(OVF_X1 + 80)	/* y tick labels and axis title between */
#define CDF_X1		(SVG_W - SVG_MR)
#define PLOT_H		170
#define PANEL_BAND	42	/* panel top to the marker lanes: title, note */
#define PANEL_FOOT	50	/* plot bottom to the next panel: x ticks, title */
#define LANE_H		13	/* one row of marker labels above the plot */
#define MAX_LANES	6	/* 4 marks always fit in 4; spare for safety */
#define SVG_BINS	120	/* linear bins drawn per panel */
#define TICK_FONT	12
#define TICK_GAP	16	/* at least this much air between tick labels */
#define MAX_TICKS	12
#define MARK_FONT	11

static const char *const sys_colour[SYS_COUNT] = {
	[SYS_BASELINE] = "#1f6fb4",
	[SYS_QVM] = "#d95f02",
};

/* ---- text ------------------------------------------------------------- */

/*
 * Advance widths of DejaVu Sans, the first font the SVG asks for, in
 * thousandths of an em, for ' ' to '~'. Helvetica and Arial, the
 * fallbacks, are narrower, so labels spaced by these never touch.
 */
static const unsigned short dejavu_width[95] = {
	318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361,
	318, 337, 636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337,
	838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295,
	295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989,
	685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615,
	352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521,
	392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
};

/*
 * The width in pixels of UTF-8 text S at font SIZE. Of the rest of
 * Unicode only µ, × and · appear here; anything else counts as a full em.
 * DejaVu Sans Bold is at most 15 % wider.
 */
static double text_width(const char *s, double size, bool bold)
{
	double em = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if (c < 0x80) {
			em += c >= ' ' && c <= '~' ? dejavu_width[c - ' '] : 0;
			continue;
		}
		if ((c & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			c = (c & 0x1f) << 6 | (p[1] & 0x3f);
			p++;
		} else {
			/* Longer sequences: skip the continuation bytes. */
			while ((p[1] & 0xc0) == 0x80)
				p++;
			c = 0;
		}
		em += c == 0xb5 ? 636 : c == 0xd7 ? 838 : c == 0xb7 ? 318 : 1000;
	}
	return em / 1000 * size * (bold ? 1.15 : 1);
}

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

static void svg_line(FILE *f, double x1, double y1, double x2, double y2,
		     const char *attr)
{
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n",
		x1, y1, x2, y2, attr);
}

/*
 * A latency as a short label: "850 ns", "1.2 µs", "3 ms". The unit is
 * picked after rounding to 3 digits, so 999.7 ns reads "1 µs".
 */
static void fmt_latency(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 999.5)
		snprintf(buf, len, "%.3g ns", ns);
	else if (ns < 999.5e3)
		snprintf(buf, len, "%.3g \u00b5s", ns / 1e3);
	else if (ns < 999.5e6)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
}

/* ---- x axes ----------------------------------------------------------- */

/*
 * A linear latency axis. Tick labels are bare numbers in one unit, named
 * once in the axis title, which keeps them short enough to be many.
 */
struct xaxis {
	double lo, hi;		/* ns */
	double px0, px1;
	double unit;		/* ns per unit */
	const char *uname;
	double step;		/* between ticks, ns */
	int decimals;		/* that the labels need */
};

static double x_of(const struct xaxis *ax, double ns)
{
	return ax->px0 + (ax->px1 - ax->px0) * (ns - ax->lo) / (ax->hi - ax->lo);
}

/* The first and last multiple of STEP inside [LO, HI]. */
static void tick_span(double lo, double hi, double step, long *i0, long *i1)
{
	*i0 = (long)ceil(lo / step - 1e-6);
	*i1 = (long)floor(hi / step + 1e-6);
}

static void tick_label(char *buf, size_t len, const struct xaxis *ax, long i)
{
	snprintf(buf, len, "%.*f", ax->decimals, (double)i * ax->step / ax->unit);
}

/* The decimals a label needs to show multiples of STEP exactly. */
static int step_decimals(double step)
{
	for (int d = 0; d < 6; d++) {
		double s = step * pow(10, d);
		if (fabs(s - round(s)) < 1e-6 * fmax(1, s))
			return d;
	}
	return 6;
}

/*
 * Whether the tick labels of AX, centred under their ticks, stand apart
 * by at least TICK_GAP pixels (and are not too many to read).
 */
static bool ticks_fit(const struct xaxis *ax)
{
	long i0, i1;
	tick_span(ax->lo, ax->hi, ax->step, &i0, &i1);
	if (i1 - i0 + 1 > MAX_TICKS)
		return false;
	double prev_right = -INFINITY;
	for (long i = i0; i <= i1; i++) {
		char lab[32];
		tick_label(lab, sizeof lab, ax, i);
		double w = text_width(lab, TICK_FONT, false);
		double x = x_of(ax, (double)i * ax->step);
		if (x - w / 2 < prev_right + TICK_GAP)
			return false;
		prev_right = x + w / 2;
	}
	return true;
}

/*
 * The finest round step (1, 2 or 5 times a power of ten) whose labels
 * fit. With ROUND, the range first widens to multiples of the step, so
 * the plot starts and ends on a labelled tick. (2.5 would fit more often
 * but gives every label a decimal.)
 */
static void axis_fit(struct xaxis *ax, bool round_range)
{
	static const double mant[] = { 1, 2, 5 };
	double lo = ax->lo, hi = ax->hi;
	ax->unit = hi < 999.5 ? 1 : hi < 999.5e3 ? 1e3 : 1e6;
	ax->uname = hi < 999.5 ? "ns" : hi < 999.5e3 ? "\u00b5s" : "ms";
	double p = pow(10, floor(log10((hi - lo) / 50)));
	for (int e = 0; e < 12; e++, p *= 10)
		for (size_t m = 0; m < sizeof mant / sizeof mant[0]; m++) {
			ax->step = mant[m] * p;
			ax->decimals = step_decimals(ax->step / ax->unit);
			if (round_range) {
				ax->lo = floor(lo / ax->step + 1e-6) * ax->step;
				ax->hi = ceil(hi / ax->step - 1e-6) * ax->step;
			}
			if (ticks_fit(ax))
				return;
		}
	/* Not reached for any sane width: keep the last, coarsest step. */
}

/*
 * The range worth looking at: from the lowest minimum to the end of the
 * body of the wider distribution, taken as p50 + 4 x (p90 - p50) but at
 * most p99. A bound at p99 itself, or beyond, can lie far out: exits on a
 * loaded or nested host have a second mode or a long tail in the last
 * few %, and a range reaching it would squeeze the body into a corner.
 * What lies past the bound goes to the overflow bin.
 */
static void body_range(const struct report *rep, int k, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		*lo = fmin(*lo, st->min_ns);
		*hi = fmax(*hi, fmin(st->p99_ns,
				     st->p50_ns + 4 * (st->p90_ns - st->p50_ns)));
	}
	/*
	 * To the end of the bucket there: short latencies have a bucket per
	 * cycle, and a bound inside one would put most of it in the overflow.
	 */
	double one_cycle = 1e9 / rep->tsc_hz;
	*hi = bucket_high(bench_bucket((uint64_t)(*hi / one_cycle))) * one_cycle;
	/* Nearly all samples on one value still get a few cycles' range. */
	double span = fmax(4 * one_cycle, 0.02 * *hi);
	if (*hi - *lo < span) {
		double mid = (*lo + *hi) / 2;
		*lo = fmax(0, mid - span / 2);
		*hi = *lo + span;
	}
}

/* ---- histogram data --------------------------------------------------- */

/*
 * Spreads a histogram over SVG_BINS bins of AX (share of samples in %). A
 * bucket's samples are taken as evenly spread over its values, cut to the
 * exact [min, max]; the share above the axis is returned. A bucket one
 * cycle wide holds one exact value: it is drawn a cycle wide, but lies
 * past the axis wholly or not at all.
 */
static double bin_hist(const struct merged_hist *h, double tsc_hz,
		       const struct xaxis *ax, double *bins)
{
	double scale = 1e9 / tsc_hz, width = (ax->hi - ax->lo) / SVG_BINS;
	double vmin = (double)h->min, vmax = (double)h->max + 1, off = 0;
	unsigned lim = bucket_limit();
	for (int i = 0; i < SVG_BINS; i++)
		bins[i] = 0;
	for (unsigned b = 0; b < lim; b++) {
		if (!h->bucket[b])
			continue;
		double a = fmax((double)bench_bucket_low(b), vmin) * scale;
		double z = fmin(bucket_high(b), vmax) * scale;
		double c = (double)h->bucket[b] / (double)h->count * 100;
		if (bucket_high(b) - (double)bench_bucket_low(b) <= 1) {
			if (a > ax->hi) {
				off += c;
				continue;
			}
			z = fmin(z, ax->hi);	/* squeezed in at the end */
			if (z <= a) {
				bins[SVG_BINS - 1] += c;
				continue;
			}
		}
		if (z <= a)
			z = a * (1 + 1e-9);
		if (z > ax->hi)
			off += c * (z - fmax(a, ax->hi)) / (z - a);
		if (a >= ax->hi)
			continue;
		/* The axis starts at or below the minimum: nothing lies left. */
		long i0 = (long)floor((a - ax->lo) / width);
		for (long i = i0 < 0 ? 0 : i0; i < SVG_BINS; i++) {
			double e0 = ax->lo + width * (double)i, e1 = e0 + width;
			if (e0 >= z)
				break;
			double ov = fmin(z, e1) - fmax(a, e0);
			if (ov > 0)
				bins[i] += c * ov / (z - a);
		}
	}
	return off;
}

/* ---- marker labels ---------------------------------------------------- */

/*
 * p50 and p99 of each system as vertical lines through the histogram,
 * labelled in lanes above it: lane 0 nearest the plot, a label left or
 * right of its line. A label may not overlap another of its lane, nor
 * cross the line of a mark labelled in its lane or higher (those lines
 * run down through it).
 */
struct mark {
	double x;
	int sys;
	const char *name, *dash;
	int lane;
	double x0, x1;		/* the label's extent */
};

static bool label_free(const struct mark *m, int lane, double x0, double x1,
		       const struct mark *const *placed, int n)
{
	const double gap = 4;
	if (x0 < HIST_X0 || x1 > HIST_X1)
		return false;
	for (int i = 0; i < n; i++) {
		const struct mark *p = placed[i];
		if (p->lane == lane && x0 < p->x1 + gap && p->x0 < x1 + gap)
			return false;
		if (p->lane >= lane && p->x > x0 - 2 && p->x < x1 + 2)
			return false;
		if (p->lane < lane && m->x > p->x0 - 2 && m->x < p->x1 + 2)
			return false;
	}
	return true;
}

/*
 * Places the marks' labels; returns the lanes used. Sorted by x, the left
 * half is placed from the leftmost mark in, labels preferably on the
 * left, and the right half from the rightmost in, labels on the right:
 * then a label never lies across the line of a mark placed after it
 * (which is further in, in a higher lane, or on its other side), and
 * close marks step up one lane each.
 */
static int place_marks(struct mark *m, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && m[j].x < m[j - 1].x; j--) {
			struct mark t = m[j];
			m[j] = m[j - 1];
			m[j - 1] = t;
		}
	int lanes = 1;
	const struct mark *placed[2 * SYS_COUNT];
	for (int j = 0; j < n; j++) {
		int i = j < n / 2 ? j : n - 1 - (j - n / 2);
		bool left_half = j < n / 2;
		double w = text_width(m[i].name, MARK_FONT, false);
		bool done = false;
		for (int lane = 0; lane < MAX_LANES && !done; lane++)
			for (int side = 0; side < 2 && !done; side++) {
				bool left = (side == 0) == left_half;
				double x0 = left ? m[i].x - 3 - w : m[i].x + 3;
				if (label_free(&m[i], lane, x0, x0 + w, placed, j)) {
					m[i].lane = lane;
					m[i].x0 = x0;
					m[i].x1 = x0 + w;
					done = true;
				}
			}
		if (!done) {	/* not seen with 4 marks; stay drawable */
			m[i].lane = MAX_LANES - 1;
			m[i].x0 = m[i].x + 3;
			m[i].x1 = m[i].x0 + w;
		}
		if (m[i].lane + 1 > lanes)
			lanes = m[i].lane + 1;
		placed[j] = &m[i];
	}
	return lanes;
}

/* ---- one panel -------------------------------------------------------- */

struct panel {
	int k;
	struct xaxis hx, cx;	/* histogram and CDF */
	double bins[SYS_COUNT][SVG_BINS];
	double off[SYS_COUNT];	/* share past the axis, % */
	double ymax, ystep;
	struct mark marks[2 * SYS_COUNT];
	int nmarks, lanes;
	double height;
};

/* A round step (1, 2 or 5 x 10^k) giving about 5 ticks up to VMAX. */
static double nice_step(double vmax)
{
	double raw = vmax / 5, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

static void panel_layout(struct panel *pn, const struct report *rep, int k)
{
	memset(pn, 0, sizeof *pn);
	pn->k = k;
	double lo, hi;
	body_range(rep, k, &lo, &hi);
	pn->hx = (struct xaxis){ .lo = lo, .hi = hi, .px0 = HIST_X0, .px1 = HIST_X1 };
	axis_fit(&pn->hx, true);
	pn->cx = (struct xaxis){ .lo = pn->hx.lo, .hi = pn->hx.hi,
				 .px0 = CDF_X0, .px1 = CDF_X1 };
	axis_fit(&pn->cx, false);

	double ymax = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		pn->off[s] = bin_hist(&rep->m[s]->h[k], rep->tsc_hz, &pn->hx,
				      pn->bins[s]);
		for (int i = 0; i < SVG_BINS; i++)
			ymax = fmax(ymax, pn->bins[s][i]);
		const struct { double v; const char *name, *dash; } q[] = {
			{ st->p50_ns, "p50", "6,3" }, { st->p99_ns, "p99", "2,3" },
		};
		for (size_t i = 0; i < 2; i++)
			if (q[i].v >= pn->hx.lo && q[i].v <= pn->hx.hi)
				pn->marks[pn->nmarks++] = (struct mark){
					.x = x_of(&pn->hx, q[i].v), .sys = s,
					.name = q[i].name, .dash = q[i].dash,
				};
	}
	ymax = ymax > 0 ? ymax * 1.05 : 1;
	pn->ystep = nice_step(ymax);
	pn->ymax = ceil(ymax / pn->ystep) * pn->ystep;
	pn->lanes = place_marks(pn->marks, pn->nmarks);
	pn->height = PANEL_BAND + pn->lanes * LANE_H + 4 + PLOT_H + PANEL_FOOT;
}

static double plot_top(const struct panel *pn, double y)
{
	return y + PANEL_BAND + pn->lanes * LANE_H + 4;
}

/* "p50: qvm 1.23 µs, baseline 1.20 µs (×1.025)" or the one value there is. */
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
	const char *name = bench_kind_names[k];
	svg_text(f, HIST_X0, y + 18, "font-size=\"15\" font-weight=\"bold\"",
		 "%s", name);
	svg_text(f, HIST_X0 + text_width(name, 15, true) + 16, y + 18,
		 "font-size=\"12\"", "%s  \u00b7  %s", p50, p99);

	/* Samples and maximum per system: the maximum is usually far out. */
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
	svg_text(f, HIST_X0, y + 34, "font-size=\"11\" fill=\"#555\"", "%s", note);
}

/*
 * Vertical gridlines and labelled ticks of AX under a plot from TOP. A
 * label that would touch one in AVOID (the overflow bin's) is left out;
 * its gridline stays.
 */
static void svg_xaxis(FILE *f, const struct xaxis *ax, double top,
		      double avoid_x0, double avoid_x1)
{
	double bot = top + PLOT_H;
	long i0, i1;
	tick_span(ax->lo, ax->hi, ax->step, &i0, &i1);
	for (long i = i0; i <= i1; i++) {
		double x = x_of(ax, (double)i * ax->step);
		char lab[32];
		tick_label(lab, sizeof lab, ax, i);
		double w = text_width(lab, TICK_FONT, false);
		svg_line(f, x, top, x, bot, "stroke=\"#e3e3e3\"");
		svg_line(f, x, bot, x, bot + 5, "stroke=\"#444\"");
		if (x + w / 2 + 6 > avoid_x0 && x - w / 2 - 6 < avoid_x1)
			continue;
		svg_text(f, x, bot + 18, "text-anchor=\"middle\"", "%s", lab);
	}
	svg_text(f, (ax->px0 + ax->px1) / 2, bot + 36, "text-anchor=\"middle\"",
		 "latency (%s)", ax->uname);
}

/* Horizontal gridlines and labels from 0 to YMAX by STEP, left of X0..X1. */
static void svg_yaxis(FILE *f, double x0, double x1, double top, double ymax,
		      double step, const char *title)
{
	double bot = top + PLOT_H;
	for (int i = 0; i * step <= ymax * (1 + 1e-9); i++) {
		double v = i * step, y = bot - v / ymax * PLOT_H;
		svg_line(f, x0, y, x1, y, "stroke=\"#e3e3e3\"");
		svg_text(f, x0 - 6, y + 4, "text-anchor=\"end\"", "%g", v);
	}
	fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">%s</text>\n", x0 - 46, top + PLOT_H / 2.0,
		title);
}

/* A distribution as a filled step outline. */
static void svg_dist(FILE *f, const struct xaxis *ax, const double *bins,
		     double top, double ymax, const char *colour)
{
	double bot = top + PLOT_H, w = (ax->px1 - ax->px0) / SVG_BINS;
	fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\" "
		"stroke-width=\"1.3\" stroke-linejoin=\"round\" d=\"M%.1f,%.1f",
		colour, colour, ax->px0, bot);
	for (int i = 0; i < SVG_BINS; i++) {
		double y = bot - fmin(bins[i] / ymax, 1) * PLOT_H;
		fprintf(f, " L%.1f,%.1f L%.1f,%.1f", ax->px0 + w * i, y,
			ax->px0 + w * (i + 1), y);
	}
	fprintf(f, " L%.1f,%.1f Z\"/>\n", ax->px1, bot);
}

static void svg_marks(FILE *f, const struct panel *pn, double top)
{
	for (int i = 0; i < pn->nmarks; i++) {
		const struct mark *m = &pn->marks[i];
		double base = top - 4 - m->lane * LANE_H;	/* text baseline */
		char attr[160];
		snprintf(attr, sizeof attr, "stroke=\"%s\" stroke-width=\"1.5\" "
			 "stroke-dasharray=\"%s\"", sys_colour[m->sys], m->dash);
		svg_line(f, m->x, base - 8, m->x, top + PLOT_H, attr);
		snprintf(attr, sizeof attr, "fill=\"%s\" font-size=\"%d\"",
			 sys_colour[m->sys], MARK_FONT);
		svg_text(f, m->x0, base, attr, "%s", m->name);
	}
}

/* "12 %", "0.34 %", "<0.01 %", "0 %": an overflow share, short. */
static void fmt_share(char *buf, size_t len, double pct)
{
	if (pct <= 0)
		snprintf(buf, len, "0 %%");
	else if (pct < 0.01)
		snprintf(buf, len, "<0.01 %%");
	else if (pct < 10)
		snprintf(buf, len, "%.2g %%", pct);
	else
		snprintf(buf, len, "%.0f %%", pct);
}

/*
 * The overflow bin: each system's share past the axis as a bar, the
 * shares as numbers at the top, "> X" under it. The bars are on the
 * histogram's scale unless that would take them into the numbers; then
 * they shrink together. Its label's extent goes to *LX0..*LX1, for the
 * histogram's ticks to keep clear of.
 */
static void svg_overflow(FILE *f, const struct report *rep,
			 const struct panel *pn, double top,
			 double *lx0, double *lx1)
{
	double bot = top + PLOT_H;
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		"fill=\"#f4f4f4\" stroke=\"#444\"/>\n", OVF_X0, top,
		OVF_X1 - OVF_X0, PLOT_H);
	/* The axis is broken between the plot and the bin: "//" on both frames. */
	for (int j = 0; j < 2; j++) {
		double y = j ? bot : top, gx = (HIST_X1 + OVF_X0) / 2.0;
		svg_line(f, gx - 5, y + 4, gx - 1, y - 4, "stroke=\"#444\"");
		svg_line(f, gx + 1, y + 4, gx + 5, y - 4, "stroke=\"#444\"");
	}
	int present = 0;
	double room = PLOT_H - 36, unit = pn->ymax;	/* % for the whole PLOT_H */
	for (int s = 0; s < SYS_COUNT; s++) {
		present += rep->st[pn->k][s].present;
		unit = fmax(unit, pn->off[s] * PLOT_H / room);
	}
	double bw = 16, x = (OVF_X0 + OVF_X1) / 2.0 - bw * present / 2.0 -
		(present - 1) * 2;
	int row = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!rep->st[pn->k][s].present)
			continue;
		double h = pn->off[s] / unit * PLOT_H;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\"/>\n",
			x, bot - h, bw, h, sys_colour[s], sys_colour[s]);
		x += bw + 4;
		char share[32], attr[200];
		fmt_share(share, sizeof share, pn->off[s]);
		snprintf(attr, sizeof attr, "text-anchor=\"middle\" fill=\"%s\" "
			 "font-size=\"10.5\" stroke=\"#f4f4f4\" stroke-width=\"3\" "
			 "paint-order=\"stroke\"", sys_colour[s]);
		svg_text(f, (OVF_X0 + OVF_X1) / 2.0, top + 13 + 13 * row++, attr,
			 "%s", share);
	}
	/* Exactly the axis' end, as its ticks would print it. */
	char lab[48];
	snprintf(lab, sizeof lab, "> %.*f %s", pn->hx.decimals,
		 pn->hx.hi / pn->hx.unit, pn->hx.uname);
	double cx = (OVF_X0 + OVF_X1) / 2.0, w = text_width(lab, TICK_FONT, false);
	svg_text(f, cx, bot + 18, "text-anchor=\"middle\"", "%s", lab);
	svg_text(f, cx, bot + 36, "text-anchor=\"middle\" fill=\"#555\"",
		 "overflow");
	*lx0 = cx - w / 2;
	*lx1 = cx + w / 2;
}

/* The cumulative distributions, with the histogram's range and bins. */
static void svg_cdf(FILE *f, const struct report *rep, const struct panel *pn,
		    double top)
{
	double bot = top + PLOT_H;
	svg_yaxis(f, CDF_X0, CDF_X1, top, 100, 25, "cumulative (%)");
	svg_xaxis(f, &pn->cx, top, INFINITY, INFINITY);
	/* The median's line, darker, to read each p50 off. */
	svg_line(f, CDF_X0, top + PLOT_H / 2.0, CDF_X1, top + PLOT_H / 2.0,
		 "stroke=\"#aaa\"");
	double w = (double)(CDF_X1 - CDF_X0) / SVG_BINS;
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!rep->st[pn->k][s].present)
			continue;
		fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
			"stroke-linejoin=\"round\" d=\"M%d,%.1f", sys_colour[s],
			CDF_X0, bot);
		/* Samples are spread evenly inside a bin: straight between edges. */
		double cum = 0;
		for (int i = 0; i < SVG_BINS; i++) {
			cum += pn->bins[s][i];
			fprintf(f, " L%.1f,%.1f", CDF_X0 + w * (i + 1),
				bot - fmin(cum / 100, 1) * PLOT_H);
		}
		fputs("\"/>\n", f);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#444\"/>\n", CDF_X0, top,
		CDF_X1 - CDF_X0, PLOT_H);
}

static void svg_panel(FILE *f, const struct report *rep,
		      const struct panel *pn, double y)
{
	double top = plot_top(pn, y);
	svg_panel_title(f, rep, pn->k, y);
	svg_yaxis(f, HIST_X0, HIST_X1, top, pn->ymax, pn->ystep,
		  "samples per bin (%)");
	double lx0, lx1;
	svg_overflow(f, rep, pn, top, &lx0, &lx1);
	svg_xaxis(f, &pn->hx, top, lx0, lx1);
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[pn->k][s].present)
			svg_dist(f, &pn->hx, pn->bins[s], top, pn->ymax,
				 sys_colour[s]);
	svg_marks(f, pn, top);
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#444\"/>\n", HIST_X0, top,
		HIST_X1 - HIST_X0, PLOT_H);
	svg_cdf(f, rep, pn, top);
}

/* ---- the page --------------------------------------------------------- */

static void svg_legend(FILE *f, const struct report *rep, double y)
{
	double x = HIST_X0;
	static const char *const label[SYS_COUNT] = {
		[SYS_BASELINE] = "baseline (raw KVM, minimal VMM)",
		[SYS_QVM] = "qvm",
	};
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!sys_present(rep, s))
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
			"fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\"/>\n",
			x, y - 9, sys_colour[s], sys_colour[s]);
		svg_text(f, x + 20, y, "", "%s", label[s]);
		x += 20 + text_width(label[s], 12, false) + 24;
	}
	const struct { const char *dash, *name; } m[] = {
		{ "6,3", "p50" }, { "2,3", "p99" },
	};
	for (size_t i = 0; i < 2; i++) {
		char attr[120];
		snprintf(attr, sizeof attr, "stroke=\"#333\" stroke-width=\"1.5\" "
			 "stroke-dasharray=\"%s\"", m[i].dash);
		svg_line(f, x, y - 4, x + 24, y - 4, attr);
		svg_text(f, x + 30, y, "", "%s", m[i].name);
		x += 30 + text_width(m[i].name, 12, false) + 24;
	}
	const char *ovf = "overflow: the share past the histogram's range";
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
		"fill=\"#f4f4f4\" stroke=\"#444\"/>\n", x, y - 9);
	svg_text(f, x + 20, y, "", "%s", ovf);
}

static void svg_header(FILE *f, const struct report *rep)
{
	const struct merged *m = some_merged(rep);
	svg_text(f, HIST_X0, 26, "font-size=\"18\" font-weight=\"bold\"",
		 "qvm-bench: guest exit latency, qvm vs raw-KVM baseline");
	char rounds[128] = "";
	size_t n = 0;
	for (int s = 0; s < SYS_COUNT; s++)
		if (sys_present(rep, s))
			n += snprintf(rounds + n, sizeof rounds - n, "%s%s \u00d7%u",
				      n ? ", " : "", bench_sys_names[s],
				      rep->m[s]->files);
	svg_text(f, HIST_X0, 48, "font-size=\"12\" fill=\"#333\"",
		 "%s \u00b7 %s \u00b7 Linux %s \u00b7 TSC %.3f GHz \u00b7 "
		 "n %llu per kind per round \u00b7 rounds: %s",
		 rep->cpu_model, rep->hostname, rep->kernel, rep->tsc_hz / 1e9,
		 (unsigned long long)(m ? m->n : 0), rounds);
	svg_legend(f, rep, 74);
}

int report_write_svg(const char *path, const struct report *rep)
{
	/* Lanes of marker labels vary, so panels are laid out before drawing. */
	struct panel *pn = calloc(BK_KINDS, sizeof *pn);
	if (!pn) {
		fprintf(stderr, "qvm-bench: %s: out of memory\n", path);
		return -1;
	}
	int panels = 0;
	double h = SVG_HEAD;
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		panel_layout(&pn[panels], rep, k);
		h += pn[panels++].height;
	}
	if (!panels)
		h += 60;
	FILE *f = open_out(path);
	if (!f) {
		free(pn);
		return -1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
		"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, h, SVG_W, h);
	svg_header(f, rep);
	double y = SVG_HEAD;
	for (int i = 0; i < panels; i++) {
		svg_panel(f, rep, &pn[i], y);
		y += pn[i].height;
	}
	if (!panels)
		svg_text(f, HIST_X0, y + 40, "", "no results");
	fputs("</svg>\n", f);
	free(pn);
	return close_out(f, path);
}
