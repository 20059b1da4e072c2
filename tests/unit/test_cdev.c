/*
 * qvm/cdev.h (core/cdev.c), the host side of the serial vdevs: output into
 * a full non-blocking pipe reaches a slow reader byte for byte, and with
 * nobody reading costs one wait, not the vCPU for ever; `batch` holds the
 * output for its time; input arrives through the vdev's pulse callback,
 * in order and complete however small the ring and slow the vdev; a vdev
 * without a pulse callback reads no input.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include <qvm/cdev.h>

#include "rig.h"
#include "test.h"

#define N	20000

static int fds[2];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *slow_reader(void *arg)
{
	size_t *got = arg;
	char buf[256];
	ssize_t n;

	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			CHECK(buf[i] == (char)('a' + (*got + i) % 26));
		*got += (size_t)n;
		usleep(1000);	/* about 256 KB/s: the writer finds the pipe full */
	}
	return NULL;
}

/* An input ring of 8 bytes, so that it fills; the pulse callback takes them. */
static struct cdev_state cds;
static char got_in[4096];
static _Atomic unsigned ngot, pulses;

static int pulse(vdev_t *vdp, const struct _pulse *p)
{
	uint8_t b[3];	/* a slow vdev: three bytes a call */
	int n;

	(void)vdp;
	CHECK(p->code == CDEV_INPUT_AVAILABLE_PULSE_CODE);
	atomic_fetch_add(&pulses, 1);
	while ((n = cdev_read(&cds, b, sizeof(b))) > 0)
		for (int i = 0; i < n && ngot < sizeof(got_in); i++)
			got_in[atomic_fetch_add(&ngot, 1)] = (char)b[i];
	return EOK;
}

static struct rig *setup(bool with_pulse, unsigned size)
{
	struct rig *g = rig_new_with(NULL, NULL, 0, 0, 0);

	g->f.pulse = with_pulse ? pulse : NULL;
	vm_set_current(&g->vm);
	CHECK(cdev_setup(&cds, &g->d.pub, size) == EOK);
	return g;
}

/* hostdev >the write end of a pipe, made non-blocking with a small buffer */
static void pipe_out(void)
{
	char opt[64];

	CHECK(pipe(fds) == 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	snprintf(opt, sizeof(opt), ">/proc/self/fd/%d", fds[1]);
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_HOSTDEV_IDX, opt);
	fcntl(cds.out.fd, F_SETFL, fcntl(cds.out.fd, F_GETFL) | O_NONBLOCK);
}

TEST(a_slow_reader_gets_every_byte)
{
	struct rig *g = setup(false, 0);
	pthread_t t;
	size_t got = 0;

	pipe_out();
	CHECK(pthread_create(&t, NULL, slow_reader, &got) == 0);
	for (unsigned i = 0; i < N; i++) {
		uint8_t c = (uint8_t)('a' + i % 26);
		cdev_write(&cds, &c, 1);
	}
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	CHECK(got == N);
	CHECK(cdev_write(&cds, (const uint8_t *)"x", 1) == EINVAL);	/* after TERMINATE */
	rig_free(g);
}

TEST(nobody_reading_costs_one_wait)
{
	struct rig *g = setup(false, 0);
	char buf[8192];

	pipe_out();
	double t0 = now();
	for (unsigned i = 0; i < N; i++)
		cdev_write(&cds, (const uint8_t *)"x", 1);
	double took = now() - t0;
	CHECK(took >= 0.45 && took < 2.0);	/* one wait of 500 ms, then drops */
	/* room again: the next byte goes out */
	while (read(fds[0], buf, sizeof(buf)) == sizeof(buf))
		;
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	while (read(fds[0], buf, sizeof(buf)) > 0)
		;
	cdev_write(&cds, (const uint8_t *)"y", 1);
	CHECK(read(fds[0], buf, sizeof(buf)) == 1 && buf[0] == 'y');
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	close(fds[0]);
	close(fds[1]);
	rig_free(g);
}

TEST(batch_holds_output_for_its_time)
{
	struct rig *g = setup(false, 64);
	char buf[64];

	/* the vendor's batch: microseconds with no new byte */
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_BATCH_IDX, "80000");
	pipe_out();
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	cdev_write(&cds, (const uint8_t *)"ab", 2);
	CHECK(read(fds[0], buf, sizeof(buf)) < 0);	/* held */
	usleep(50000);
	cdev_write(&cds, (const uint8_t *)"c", 1);	/* a new byte: the time starts again */
	usleep(50000);
	CHECK(read(fds[0], buf, sizeof(buf)) < 0);	/* 100 ms since "ab", 50 since "c" */
	usleep(150000);
	CHECK(read(fds[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3));
	cdev_write(&cds, (const uint8_t *)"de", 2);
	cdev_write_buffer(&cds);	/* at once */
	CHECK(read(fds[0], buf, sizeof(buf)) == 2 && !memcmp(buf, "de", 2));
	cdev_write(&cds, (const uint8_t *)"f", 1);
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);	/* flushed at the end */
	CHECK(read(fds[0], buf, sizeof(buf)) == 1 && buf[0] == 'f');
	close(fds[0]);
	close(fds[1]);
	rig_free(g);
}

TEST(input_through_the_pulse_callback)
{
	struct rig *g = setup(true, 8);
	char path[] = "/tmp/qvm-cdev-XXXXXX", fifo[64], opt[80], want[1000];
	int w;

	CHECK(mkdtemp(path) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/in", path);
	CHECK(mkfifo(fifo, 0600) == 0);
	snprintf(opt, sizeof(opt), "<%s", fifo);
	ngot = pulses = 0;
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_HOSTDEV_IDX, opt);
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	w = open(fifo, O_WRONLY);
	CHECK(w >= 0);
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = (char)('A' + i % 23);
	CHECK(write(w, want, sizeof(want)) == (ssize_t)sizeof(want));
	for (int i = 0; i < 200 && ngot < sizeof(want); i++)
		usleep(10000);
	CHECK(ngot == sizeof(want));
	CHECK(!memcmp(got_in, want, sizeof(want)));
	CHECK(pulses > 1);
	close(w);
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	unlink(fifo);
	rmdir(path);
	rig_free(g);
}

TEST(no_pulse_callback_no_input)
{
	struct rig *g = setup(false, 8);

	/* the default, qvm's standard input, is not read by a vdev that cannot take it */
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	CHECK(cdev_input_available(&cds) == 0);
	uint8_t b;
	CHECK(cdev_read(&cds, &b, 1) == 0);
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	CHECK(cdev_read(&cds, &b, 1) == -1);	/* after TERMINATE */
	rig_free(g);
}

/* batch: a write longer than the buffer goes out as the buffer fills, never past it */
TEST(batch_longer_than_the_buffer)
{
	struct rig *g = setup(false, 64);
	uint8_t big[200], buf[256];
	size_t got = 0;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_BATCH_IDX, "1000000");
	pipe_out();
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	cdev_write(&cds, big, sizeof(big));
	ssize_t n = read(fds[0], buf, sizeof(buf));
	CHECK(n >= 128);	/* three buffers' worth went out at once, the rest waits */
	got = n > 0 ? (size_t)n : 0;
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	n = read(fds[0], buf + got, sizeof(buf) - got);
	got += n > 0 ? (size_t)n : 0;
	CHECK(got == sizeof(big) && memcmp(buf, big, sizeof(big)) == 0);
	close(fds[0]);
	close(fds[1]);
	rig_free(g);
}

/* poll up to 2 s for path to hold want */
static bool file_has(const char *path, const char *want)
{
	char buf[64];

	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (f && strcmp(buf, want) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The vendor's delayed: nothing opens until the guest first uses the
 * device, then the open is tried for the seconds given, and what the
 * guest wrote meanwhile comes out first. Given after hostdev too.
 */
TEST(delayed_opens_at_first_use_and_retries)
{
	struct rig *g = setup(false, 64);
	char dir[] = "/tmp/qvm-cdev-XXXXXX", path[128], sub[96], opt[140];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/later", dir);
	snprintf(path, sizeof(path), "%s/out", sub);
	snprintf(opt, sizeof(opt), ">%s", path);
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_HOSTDEV_IDX, opt);
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_DELAYED_IDX, "5");
	CHECK(cds.delayed_count == 5 && (cds.flags & CDSF_DELAYED));
	cdev_control(&cds, VDEV_CTRL_OPTIONS_END, NULL);
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	usleep(150000);
	CHECK(mkdir(sub, 0755) == 0);
	usleep(150000);
	CHECK(access(path, F_OK) != 0);	/* not touched yet: not opened */
	cdev_write(&cds, (const uint8_t *)"hi", 2);	/* the first use */
	CHECK(file_has(path, "hi"));
	cdev_write(&cds, (const uint8_t *)"!", 1);
	CHECK(file_has(path, "hi!"));
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	rig_free(g);
	unlink(path);

	/* the directory appears only after the first use: the retries find it */
	g = setup(false, 64);
	CHECK(rmdir(sub) == 0);
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_DELAYED_IDX, "forever");
	CHECK(cds.delayed_count == CDEV_DELAYED_FOREVER);
	cdev_control(&cds, VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_HOSTDEV_IDX, opt);
	cdev_control(&cds, VDEV_CTRL_OPTIONS_END, NULL);
	cdev_control(&cds, VDEV_CTRL_GUEST_STARTING, NULL);
	cdev_write(&cds, (const uint8_t *)"early", 5);
	usleep(300000);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(file_has(path, "early"));
	cdev_control(&cds, VDEV_CTRL_TERMINATE, NULL);
	rig_free(g);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	RUN(a_slow_reader_gets_every_byte);
	RUN(nobody_reading_costs_one_wait);
	RUN(batch_holds_output_for_its_time);
	RUN(input_through_the_pulse_callback);
	RUN(no_pulse_callback_no_input);
	RUN(delayed_opens_at_first_use_and_retries);
	RUN(batch_longer_than_the_buffer);
	TEST_EXIT();
}
