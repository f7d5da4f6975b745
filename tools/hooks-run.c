/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One hook run: fork, exec with the event's environment, wait with a
 * deadline.  The hook gets a process group of its own so that a timeout
 * ends what it started too (a "sleep" in a shell script), and the
 * daemon's socket is served meanwhile, so a slow hook delays the next
 * hooks but does not make the kernel drop events.
 */
#define _GNU_SOURCE	/* pipe2(): the exec-error pipe close-on-exec from the start */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(const char *path, char *const *env, int err_fd)
{
	char *argv[] = { (char *)path, NULL };
	sigset_t none;
	int e, fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	execve(path, argv, env);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* A pollable handle on the child (Linux 5.3), or -1: then poll in ticks. */
static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

int hook_run(const char *path, char *const *env, int timeout_ms,
	     int kill_grace_ms, const struct hook_service *svc,
	     struct hook_result *res)
{
	long start = now_ms(), deadline = -1;
	int pipefd[2], status = 0, exec_err, pidfd;
	bool term_sent = false, kill_sent = false;
	ssize_t got;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (pid == 0)
		child(path, env, pipefd[1]);
	setpgid(pid, pid);	/* the child does too: whoever comes first */
	close(pipefd[1]);
	/* EOF when exec succeeded (close-on-exec), the errno when it failed */
	do
		got = read(pipefd[0], &exec_err, sizeof(exec_err));
	while (got < 0 && errno == EINTR);
	close(pipefd[0]);
	if (got == (ssize_t)sizeof(exec_err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		res->outcome = HOOK_EXEC;
		res->status = exec_err;
		res->ms = now_ms() - start;
		return 0;
	}

	pidfd = pidfd_of(pid);
	if (timeout_ms > 0)
		deadline = start + timeout_ms;
	for (;;) {
		struct pollfd pfd[2];
		long left, now;
		int nfd = 0, wait_ms;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		now = now_ms();
		if (deadline >= 0 && now >= deadline) {
			if (!term_sent) {
				kill(-pid, SIGTERM);
				term_sent = true;
				deadline = now + (kill_grace_ms > 0 ? kill_grace_ms : 0);
			} else if (!kill_sent) {
				kill(-pid, SIGKILL);
				kill_sent = true;
				deadline = -1;
			}
			continue;
		}
		left = deadline >= 0 ? deadline - now : -1;
		wait_ms = left > 60000 ? 60000 : (int)left;
		if (pidfd < 0 && (wait_ms < 0 || wait_ms > 20))
			wait_ms = 20;
		if (pidfd >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (svc && svc->fd >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = svc->fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)nfd, wait_ms) <= 0)
			continue;	/* timeout, or EINTR: a stop request waits for the hook */
		if (svc && svc->fd >= 0 && (pfd[nfd - 1].revents & POLLIN))
			svc->ready(svc->data);
	}
	if (pidfd >= 0)
		close(pidfd);
	/* a timed-out hook's children that outlived it (or ignore SIGTERM)
	 * must not run on unseen: the whole group goes */
	if (term_sent && !kill_sent)
		kill(-pid, SIGKILL);
	res->ms = now_ms() - start;
	if (term_sent) {
		res->outcome = HOOK_TIMEOUT;
		res->status = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->outcome = HOOK_SIGNAL;
		res->status = WTERMSIG(status);
	} else {
		res->status = WEXITSTATUS(status);
		res->outcome = res->status ? HOOK_EXIT : HOOK_OK;
	}
	return 0;
}
