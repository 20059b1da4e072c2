/* bench.json: the report as JSON, for scripts (qvm-bench). */
#include "report.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- JSON ------------------------------------------------------------ */

/*
 * A minimal JSON writer: it remembers per nesting level whether a comma is
 * due, which is all that hand-writing valid JSON needs. Not json-c or
 * jansson: the report is written once, never read back, and a library
 * would be a build dependency of the benchmark for fifty lines of output.
 * Strings are escaped as RFC 8259 requires (json_str_raw), and a test reads
 * the file back with jq (tests/sdk.sh, bench_smoke).
 */
struct json {
	FILE *f;
	int depth;		/* 0 outside the root object */
	bool first[16];
};

static void json_str_raw(struct json *j, const char *s)
{
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

/* Starts a member (KEY non-NULL) or an array element. */
static void json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		json_str_raw(j, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	if (j->depth > 0)	/* the root has no key and no comma */
		json_key(j, key);
	fputc(bracket, j->f);
	j->first[++j->depth] = true;
}

static void json_close(struct json *j, char bracket)
{
	j->depth--;
	fprintf(j->f, "\n%*s%c", 2 * j->depth, "", bracket);
}

static void json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);	/* JSON has no NaN */
}

static void json_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str_raw(j, s);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

static void json_host(struct json *j, const struct report *rep)
{
	json_open(j, "host", '{');
	json_str(j, "hostname", rep->hostname);
	json_str(j, "kernel", rep->kernel);
	json_str(j, "cpu_model", rep->cpu_model);
	json_close(j, '}');
}

/* The first system measured, whose n/warmup stand for the run. */
static void json_params(struct json *j, const struct report *rep)
{
	const struct merged *m = some_merged(rep);
	uint32_t kinds = 0;
	for (int s = 0; s < SYS_COUNT; s++)
		if (sys_present(rep, s))
			kinds |= rep->m[s]->kinds;
	json_open(j, "params", '{');
	json_uint(j, "n", m ? m->n : 0);
	json_uint(j, "warmup", m ? m->warmup : 0);
	json_open(j, "kinds", '[');
	for (int k = 0; k < BK_KINDS; k++)
		if (kinds & (1u << k))
			json_str(j, NULL, bench_kind_names[k]);
	json_close(j, ']');
	if (rep->calib_ms)
		json_uint(j, "calib_ms", rep->calib_ms);
	else
		json_null(j, "calib_ms");
	json_open(j, "rounds", '{');
	for (int s = 0; s < SYS_COUNT; s++)
		json_uint(j, bench_sys_names[s],
			  sys_present(rep, s) ? rep->m[s]->files : 0);
	json_close(j, '}');
	/* Only a run knows how the VM was set up; --report-only says null. */
	const struct run_info *r = &rep->run;
	if (r->known) {
		json_uint(j, "vcpus", r->vcpus);
		json_uint(j, "vdevs", r->vdevs);
		json_bool(j, "emit_logger", r->emit_logger);
		json_str(j, "qvm", r->qvm);
		json_str(j, "guest", r->guest);
		if (r->baseline)
			json_str(j, "baseline", r->baseline_path);
		else
			json_null(j, "baseline");
	} else {
		json_null(j, "vcpus");
		json_null(j, "vdevs");
		json_null(j, "emit_logger");
	}
	json_close(j, '}');
}

/* Each figure in ns and in the guest's TSC cycles (cycles = ns * tsc_hz / 1e9). */
static void json_stats(struct json *j, const char *key,
		       const struct kind_stats *s, double tsc_hz)
{
	static const char *const names[] = { "min", "p50", "p90", "p99", "p999", "max", "mean" };
	const double ns[] = { s->min_ns, s->p50_ns, s->p90_ns, s->p99_ns, s->p999_ns,
		s->max_ns, s->mean_ns };
	char key_ns[16], key_cy[24];

	json_open(j, key, '{');
	json_uint(j, "count", s->count);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(key_ns, sizeof(key_ns), "%s_ns", names[i]);
		json_num(j, key_ns, ns[i]);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(key_cy, sizeof(key_cy), "%s_cycles", names[i]);
		json_num(j, key_cy, ns[i] * tsc_hz / 1e9);
	}
	json_close(j, '}');
}

static void json_kinds(struct json *j, const struct report *rep)
{
	json_open(j, "kinds", '{');
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		const struct kind_stats *b = &rep->st[k][SYS_BASELINE];
		const struct kind_stats *q = &rep->st[k][SYS_QVM];
		json_open(j, bench_kind_names[k], '{');
		for (int s = 0; s < SYS_COUNT; s++) {
			if (rep->st[k][s].present)
				json_stats(j, bench_sys_names[s], &rep->st[k][s], rep->tsc_hz);
			else
				json_null(j, bench_sys_names[s]);
		}
		bool both = b->present && q->present;
		json_num(j, "ratio_p50", both ? q->p50_ns / b->p50_ns : NAN);
		json_num(j, "ratio_p99", both ? q->p99_ns / b->p99_ns : NAN);
		json_close(j, '}');
	}
	json_close(j, '}');
}

static void json_targets(struct json *j, const struct report *rep)
{
	bool all = true;
	json_open(j, "targets", '{');
	for (size_t i = 0; i < rep->ntargets; i++) {
		const struct target *t = &rep->targets[i];
		char name[64];
		snprintf(name, sizeof name, "%s p%u", bench_kind_names[t->kind],
			 t->pct);
		json_open(j, name, '{');
		json_str(j, "kind", bench_kind_names[t->kind]);
		json_uint(j, "percentile", t->pct);
		json_num(j, "max_ratio", t->limit);
		json_num(j, "ratio", t->evaluated ? t->ratio : NAN);
		if (t->evaluated)
			json_bool(j, "pass", t->pass);
		else
			json_null(j, "pass");
		json_close(j, '}');
		all = all && t->evaluated && t->pass;
	}
	json_bool(j, "all_pass", all);
	json_close(j, '}');
}

int report_write_json(const char *path, const struct report *rep)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	struct json j = { .f = f };
	json_open(&j, NULL, '{');
	json_str(&j, "tool", "qvm-bench");
	json_host(&j, rep);
	json_params(&j, rep);
	json_num(&j, "tsc_hz", rep->tsc_hz);
	json_kinds(&j, rep);
	json_targets(&j, rep);
	json_close(&j, '}');
	fputc('\n', f);
	return close_out(f, path);
}
