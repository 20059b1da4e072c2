/*
 * exec-pending SIGNAL COMMAND [ARG...]: runs COMMAND with SIGNAL already
 * pending when its first instruction runs (blocked across fork and exec,
 * sent before the exec), and exits with its exit code, or 128 + the
 * signal that killed it. For the signal tests: qvm's documented signal
 * behaviour must hold for a signal that comes before any of its code runs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sig = argc > 2 ? atoi(argv[1]) : 0, status;
	sigset_t s;

	if (sig <= 0 || sig >= NSIG) {
		fprintf(stderr, "usage: exec-pending SIGNAL-NUMBER COMMAND [ARG...]\n");
		return 2;
	}
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("exec-pending: fork");
		return 2;
	}
	if (pid == 0) {
		/* process-directed, as from kill(1); pending, and the mask survives exec */
		kill(getpid(), sig);
		execvp(argv[2], argv + 2);
		perror("exec-pending: exec");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
