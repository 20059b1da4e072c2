/*
 * The serial vdevs' output (vdev/common/hostdev.h) into a full,
 * non-blocking pipe: every byte arrives while someone reads, however
 * slowly; with nobody reading, bytes are dropped after one wait rather
 * than holding the vCPU for ever, and output resumes once there is room.
 */
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "../../vdev/common/hostdev.h"
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

static void open_pipe(struct hostdev *h)
{
	CHECK(pipe(fds) == 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	*h = (struct hostdev){ .fd = fds[1] };
}

TEST(a_slow_reader_gets_every_byte)
{
	struct hostdev h;
	pthread_t t;
	size_t got = 0;

	open_pipe(&h);
	CHECK(pthread_create(&t, NULL, slow_reader, &got) == 0);
	for (unsigned i = 0; i < N; i++)
		hostdev_put(&h, (uint8_t)('a' + i % 26));
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	CHECK(got == N);
	CHECK(!h.stuck);
}

TEST(nobody_reading_costs_one_wait)
{
	struct hostdev h;
	char buf[8192];

	open_pipe(&h);
	double t0 = now();
	for (unsigned i = 0; i < N; i++)
		hostdev_put(&h, 'x');
	double took = now() - t0;
	CHECK(h.stuck);
	CHECK(took >= HOSTDEV_WAIT_MS / 1000.0 * 0.9 && took < HOSTDEV_WAIT_MS / 1000.0 * 4);
	/* room again: the next byte goes out and the output is no longer stuck */
	CHECK(read(fds[0], buf, sizeof(buf)) > 0);
	hostdev_put(&h, 'y');
	CHECK(!h.stuck);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	RUN(a_slow_reader_gets_every_byte);
	RUN(nobody_reading_costs_one_wait);
	TEST_EXIT();
}
