/*
 * qvm/outpipe.h - the logging calls by their QNX 7.x names, for vdev
 * sources written against them (qvm/log.h includes it). An attribute
 * QVM_OUT<T>_<S> is the 8.0 log level of severity T (F fatal, N internal,
 * E error, W warning, I info, D debug, V verbose) and source S (QVM, CNF,
 * GST); the values are ours [ours], as the levels' are.
 */
#ifndef QVM_OUTPIPE_H
#define QVM_OUTPIPE_H

#include <stdarg.h>

#include <qvm/log.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QVM_OUTF_QVM	QL_QVM_FATAL
#define QVM_OUTN_QVM	QL_QVM_INTERNAL
#define QVM_OUTE_QVM	QL_QVM_ERR
#define QVM_OUTW_QVM	QL_QVM_WARN
#define QVM_OUTI_QVM	QL_QVM_INFO
#define QVM_OUTD_QVM	QL_QVM_DEBUG
#define QVM_OUTV_QVM	QL_QVM_VERBOSE
#define QVM_OUTE_CNF	QL_CNF_ERR
#define QVM_OUTW_CNF	QL_CNF_WARN
#define QVM_OUTI_CNF	QL_CNF_INFO
#define QVM_OUTD_CNF	QL_CNF_DEBUG
#define QVM_OUTV_CNF	QL_CNF_VERBOSE
#define QVM_OUTE_GST	QL_GST_ERR
#define QVM_OUTW_GST	QL_GST_WARN
#define QVM_OUTI_GST	QL_GST_INFO
#define QVM_OUTD_GST	QL_GST_DEBUG
#define QVM_OUTV_GST	QL_GST_VERBOSE

/* qvm_logf by its 7.x names: a line at level attr. A fatal level does not end qvm (qvm_fatal does). */
void qvm_outf(unsigned attr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qvm_voutf(unsigned attr, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#ifdef __cplusplus
}
#endif
#endif
