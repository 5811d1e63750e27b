/*
 * The control socket of `rmcpsec node` (docs/users/dut.md): a Unix stream socket
 * speaking JSON lines. Each line a client sends is one request object; the
 * node answers each with one line, {"ok": true, ...} or {"ok": false,
 * "error": "..."}. A line longer than NODE_CTL_LINE, or one that is not a
 * JSON object, is answered with an error and dropped; the connection
 * stays. What the requests mean is the caller's (sim/run_node.c).
 */
#ifndef RMCPSEC_SIM_NODE_CTL_H
#define RMCPSEC_SIM_NODE_CTL_H

#include <jansson.h>
#include <poll.h>
#include <stddef.h>

enum { NODE_CTL_CLIENTS = 4, NODE_CTL_LINE = 1024 };

struct node_ctl {
	int lfd;
	int cfd[NODE_CTL_CLIENTS];
	char buf[NODE_CTL_CLIENTS][NODE_CTL_LINE];
	size_t len[NODE_CTL_CLIENTS];
	char path[108];
};

/* Answers req (an object) by filling reply; reply starts as {"ok": true}. */
typedef void (*node_ctl_fn)(void *ctx, json_t *req, json_t *reply);

int node_ctl_open(struct node_ctl *c, const char *path, char *err, size_t errlen);
/* Closes every descriptor and removes the socket file; safe on a failed open. */
void node_ctl_close(struct node_ctl *c);
/* Fills pfd (room for 1 + NODE_CTL_CLIENTS) and returns how many. */
size_t node_ctl_pollfds(const struct node_ctl *c, struct pollfd *pfd);
/* Accepts, reads and answers what the poll over those descriptors reported. */
void node_ctl_service(struct node_ctl *c, const struct pollfd *pfd, size_t n, node_ctl_fn fn,
		      void *ctx);

#endif
