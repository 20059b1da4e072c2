/*
 * Character devices for vdevs: a serial-like vdev's `hostdev` option (where
 * the guest's output goes and its input comes from), with the vendor's
 * `delayed` and `batch`, and the host side of the data. The vdev embeds a
 * struct cdev_state, lists CDEV_OPTIONS first in its option_list, calls
 * cdev_setup at VDEV_CTRL_OPTIONS_START and passes every control to
 * cdev_control. Input arrives in the background: qvm calls the factory's
 * pulse callback with CDEV_INPUT_AVAILABLE_PULSE_CODE (v_mtx held with
 * VFF_MUTEX), and the vdev takes the bytes with cdev_read.
 *
 *   hostdev -        qvm's standard output, and its standard input (the
 *                    default); one vdev of a VM reads the standard input
 *   hostdev >PATH    output to PATH, appended (created 0644 if missing)
 *   hostdev <PATH    input from PATH (a terminal, a FIFO, a file...)
 *   hostdev PATH     both, when PATH is a terminal, a FIFO or a socket; a
 *                    plain file is output only
 *   delayed S|forever  the vendor's: open the hostdev paths when the guest
 *                    first touches the device (the vdev's first cdev call)
 *                    rather than while the configuration is read, trying
 *                    every 100 ms for S seconds (0: once; forever: no end);
 *                    output until then is kept (a buffer's worth), a path
 *                    that still cannot be opened is a warning
 *   batch US         the vendor's: collect the output and write it once US
 *                    microseconds pass with no new byte, when the buffer
 *                    fills, or at cdev_write_buffer
 *
 * The first hostdev option replaces the default, more add to it, a later
 * one for the same direction wins. A vdev without a pulse callback takes
 * no input (`hostdev <` is a configuration error). Input from a terminal is
 * read without line editing or echo, ^C still reaching qvm; the terminal's
 * settings are restored at the end. Output waits up to 500 ms for a full
 * non-blocking terminal or pipe, then drops bytes until it takes one again.
 */
#ifndef QVM_CDEV_H
#define QVM_CDEV_H

#include <stdint.h>
#include <termios.h>
#include <time.h>

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cdev_state.flags */
#define CDSF_DELAYED		0x0001	/* `delayed`: the paths open once the guest runs */
#define CDSF_CONFIGURED		0x0002	/* a hostdev option replaced the default */
#define CDSF_NEEDS_RESTORE	0x0004	/* save_termio is to be put back on the input terminal */
#define CDSF_OWN_BUFFERS	0x0008	/* the buffers are qvm's (cdev_setup made them) */
#define CDSF_DRAINED		0x0010	/* the input ended: nothing more will come */

struct cdev_state {
	vdev_t *vdev;
	struct {
		const char *name;	/* the input path ("-": standard input), or NULL */
		uint8_t *buff;		/* size bytes, a ring: avail of them from pos on */
		unsigned size;
		unsigned avail;
		unsigned pos;
		int fd;
	} in;
	struct {
		const char *name;	/* the output path ("-": standard output), or NULL */
		uint8_t *buff;		/* size bytes: `batch` output from begin to pos */
		unsigned size;
		unsigned begin;
		unsigned pos;
		int fd;
		timer_t flush_timer;
		long flush_timeout;	/* `batch` in us, 0: each byte written at once */
	} out;
	struct termios save_termio;
	unsigned delayed_count;		/* `delayed` in s (CDEV_DELAYED_FOREVER: no end) */
	unsigned flags;
	int priority;
	void *qvm;			/* [ours] qvm's own state of it */
};

#define CDEV_DELAYED_FOREVER	0xffffffffu	/* [ours] `delayed forever` */

#define CDEV_INPUT_AVAILABLE_PULSE_CODE		0
#define CDEV_OUTPUT_AVAILABLE_PULSE_CODE	1
#define CDEV_NUM_PULSE_CODES			2

/* The options cdev_control takes, first in the vdev's option_list. */
enum {
	CDEV_OPT_HOSTDEV_IDX,
	CDEV_OPT_DELAYED_IDX,
	CDEV_OPT_BATCH_IDX,
	CDEV_OPT_NUM_OPTS
};
#define CDEV_OPTIONS \
	[CDEV_OPT_HOSTDEV_IDX] = "hostdev", \
	[CDEV_OPT_DELAYED_IDX] = "delayed", \
	[CDEV_OPT_BATCH_IDX] = "batch"

/*
 * At VDEV_CTRL_OPTIONS_START: cds for vdev, with buffers of size bytes
 * each (0: 256) and the default hostdev. EOK or an errno.
 */
int cdev_setup(struct cdev_state *cds, vdev_t *vdev, unsigned size);
/*
 * Every control of the vdev: its cdev options (a bad one stops qvm with a
 * configuration error naming the vdev), GUEST_STARTING (input starts),
 * TERMINATE (input stops, output is flushed, paths are closed). EOK, or
 * EINVAL before cdev_setup.
 */
int cdev_control(struct cdev_state *cds, unsigned ctrl, const char *arg);
/* len bytes of output. EOK, or EINVAL before cdev_setup. */
int cdev_write(struct cdev_state *cds, const uint8_t *data, unsigned len);
/* Write what `batch` collected. EOK or EINVAL. */
int cdev_write_buffer(struct cdev_state *cds);
/* Up to len bytes of input into data: how many (0: none yet), or -1 with errno EINVAL. */
int cdev_read(struct cdev_state *cds, uint8_t *data, unsigned len);
/* How many bytes of input cdev_read has for the vdev now. */
int cdev_input_available(struct cdev_state *cds);

#ifdef __cplusplus
}
#endif

#endif
