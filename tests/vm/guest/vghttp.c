// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vghttp PORT [PATH]: GET http://127.0.0.1:PORT/PATH (default /metrics)
 * and print the body.  Exit 0 on status 200, 1 on another status, 2 when
 * nothing answers (so a caller can poll until a server is up).  The
 * guest has no curl, and busybox's wget is not the client under test's
 * business: this is the smallest honest HTTP/1.0 client.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[1 << 22];
	size_t len = 0;
	char req[512];
	char *body;
	ssize_t n;
	int fd, port;

	if (argc < 2 || argc > 3 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: vghttp PORT [PATH]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("vghttp: connect");
		return 2;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
		 argc > 2 ? argv[2] : "/metrics");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		perror("vghttp: write");
		return 2;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || !body) {
		fprintf(stderr, "vghttp: not an HTTP answer\n");
		return 2;
	}
	fwrite(body + 4, 1, len - (size_t)(body + 4 - buf), stdout);
	if (strncmp(buf + 8, " 200", 4)) {
		fprintf(stderr, "vghttp: %.*s\n", (int)strcspn(buf, "\r\n"), buf);
		return 1;
	}
	return 0;
}
