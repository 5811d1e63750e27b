#define _GNU_SOURCE /* accept4 */
#include "sim/node_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/err.h"

int
node_ctl_open(struct node_ctl *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		c->cfd[i] = -1;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "--control %s: path too long for a Unix socket", path);
		return RMC_EINVAL;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path); /* a socket file left by an earlier node */
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(c->lfd, NODE_CTL_CLIENTS) != 0) {
		snprintf(err, errlen, "--control %s: %s", path, strerror(errno));
		node_ctl_close(c);
		return RMC_EIO;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return RMC_OK;
}

void
node_ctl_close(struct node_ctl *c)
{
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		if (c->cfd[i] >= 0)
			close(c->cfd[i]);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->path[0])
		unlink(c->path);
	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		c->cfd[i] = -1;
}

size_t
node_ctl_pollfds(const struct node_ctl *c, struct pollfd *pfd)
{
	size_t n = 0;
	pfd[n++] = (struct pollfd){.fd = c->lfd, .events = POLLIN};
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		pfd[n++] = (struct pollfd){.fd = c->cfd[i], .events = POLLIN}; /* -1: ignored */
	return n;
}

static void
reply_line(int fd, json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT);
	if (s) {
		size_t len = strlen(s);
		s[len] = '\n'; /* json_dumps leaves room: the NUL becomes the newline */
		/* MSG_NOSIGNAL: a client that closed before reading its answer loses the answer,
		 * nothing else (a write would raise SIGPIPE and end the node) */
		if (send(fd, s, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1)) {
		}
		free(s);
	}
}

static void
answer(int fd, const char *line, node_ctl_fn fn, void *ctx)
{
	json_error_t je;
	json_t *req = json_loads(line, 0, &je);
	json_t *reply = json_pack("{s:b}", "ok", 1);
	if (!req || !json_is_object(req)) {
		json_object_set_new(reply, "ok", json_false());
		json_object_set_new(reply, "error", json_string("not a JSON object"));
	} else {
		fn(ctx, req, reply);
	}
	reply_line(fd, reply);
	json_decref(req);
	json_decref(reply);
}

static void
drop_client(struct node_ctl *c, size_t i)
{
	close(c->cfd[i]);
	c->cfd[i] = -1;
	c->len[i] = 0;
}

static void
read_client(struct node_ctl *c, size_t i, node_ctl_fn fn, void *ctx)
{
	ssize_t k = read(c->cfd[i], c->buf[i] + c->len[i], NODE_CTL_LINE - 1 - c->len[i]);
	if (k <= 0) {
		if (k == 0 || (errno != EINTR && errno != EAGAIN))
			drop_client(c, i);
		return;
	}
	c->len[i] += (size_t)k;
	char *nl;
	while (c->cfd[i] >= 0 && (nl = memchr(c->buf[i], '\n', c->len[i]))) {
		*nl = '\0';
		answer(c->cfd[i], c->buf[i], fn, ctx);
		size_t used = (size_t)(nl - c->buf[i]) + 1;
		memmove(c->buf[i], nl + 1, c->len[i] - used);
		c->len[i] -= used;
	}
	if (c->len[i] == NODE_CTL_LINE - 1) {
		json_t *reply = json_pack("{s:b,s:s}", "ok", 0, "error", "request line too long");
		reply_line(c->cfd[i], reply);
		json_decref(reply);
		c->len[i] = 0;
	}
}

void
node_ctl_service(struct node_ctl *c, const struct pollfd *pfd, size_t n, node_ctl_fn fn, void *ctx)
{
	if (n > 0 && (pfd[0].revents & POLLIN)) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i = 0;
		while (fd >= 0 && i < NODE_CTL_CLIENTS && c->cfd[i] >= 0)
			i++;
		if (fd >= 0 && i < NODE_CTL_CLIENTS)
			c->cfd[i] = fd;
		else if (fd >= 0)
			close(fd); /* full: the client sees the connection close */
	}
	for (size_t i = 0; i < NODE_CTL_CLIENTS && i + 1 < n; i++)
		if (c->cfd[i] >= 0 && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_client(c, i, fn, ctx);
}
