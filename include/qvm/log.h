/*
 * qvm/log.h - logging and fatal errors.
 *
 * A log level is a source (QLS_*) combined with a severity. The `logger`
 * option routes severities to destinations; a vdev's `log` option does the
 * same for that vdev alone.
 */
#ifndef QVM_LOG_H
#define QVM_LOG_H

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A log level: a source and a severity, QL_* below (the vendor's 8.0
 * names; their values are ours [ours]).
 */
typedef unsigned qvm_log_level_t;
typedef unsigned qvm_log_source_t;

/* Sources. qvm_fatal(QLS_CNF, ...) is a configuration error: exit 65. */
enum {
	QLS_QVM = 0x000,
	QLS_CNF = 0x100,
	QLS_GST = 0x200,
	QLS_MASK = 0xf00,
};

/* Severities, the `logger` filter names in brackets. */
enum {
	QLL_FATAL = 0,		/* fatal */
	QLL_INTERNAL = 1,	/* internal */
	QLL_ERR = 2,		/* error */
	QLL_WARN = 3,		/* warn */
	QLL_INFO = 4,		/* info */
	QLL_DEBUG = 5,		/* debug */
	QLL_VERBOSE = 6,	/* verbose */
	QLL_MASK = 0xf,
};

#define QL_QVM_FATAL	(QLS_QVM | QLL_FATAL)
#define QL_QVM_INTERNAL	(QLS_QVM | QLL_INTERNAL)
#define QL_QVM_ERR	(QLS_QVM | QLL_ERR)
#define QL_QVM_WARN	(QLS_QVM | QLL_WARN)
#define QL_QVM_INFO	(QLS_QVM | QLL_INFO)
#define QL_QVM_DEBUG	(QLS_QVM | QLL_DEBUG)
#define QL_QVM_DBG	QL_QVM_DEBUG	/* the 8.0 spelling */
#define QL_QVM_VERBOSE	(QLS_QVM | QLL_VERBOSE)
#define QL_CNF_ERR	(QLS_CNF | QLL_ERR)
#define QL_CNF_WARN	(QLS_CNF | QLL_WARN)
#define QL_CNF_INFO	(QLS_CNF | QLL_INFO)
#define QL_CNF_DEBUG	(QLS_CNF | QLL_DEBUG)
#define QL_CNF_DBG	QL_CNF_DEBUG
#define QL_CNF_VERBOSE	(QLS_CNF | QLL_VERBOSE)
#define QL_GST_ERR	(QLS_GST | QLL_ERR)	/* about the guest */
#define QL_GST_WARN	(QLS_GST | QLL_WARN)
#define QL_GST_INFO	(QLS_GST | QLL_INFO)
#define QL_GST_DEBUG	(QLS_GST | QLL_DEBUG)
#define QL_GST_VERBOSE	(QLS_GST | QLL_VERBOSE)

/* Log a message from a vdev (prefixed with the instance's name). */
void vdev_logf(qvm_log_level_t level, const vdev_t *vdp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Log a message from qvm itself. */
void qvm_logf(qvm_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Stop qvm before the guest started. QLS_CNF: a configuration error (exit
 * 65; while an option is being processed the message starts with the
 * FILE:LINE of that option). Otherwise exit 64. After the guest started,
 * use guest_terminate().
 */
void qvm_fatal(qvm_log_source_t source, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* A status report line (answering VDEV_CTRL_STATUS). */
void qvm_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

/* The 7.x names (qvm_outf(QVM_OUTI_QVM, ...)), as older vdev sources use them. */
#include <qvm/outpipe.h>

#endif
