/*
 * The virtual backend (sim/net.h): the nodes' frames cross sim/lan, an
 * in-memory learning switch, in virtual time. The run's engine is the
 * clock: nothing waits, and the same seed gives the same trace, byte for
 * byte.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "sim/link.h"
#include "sim/net.h"

struct net_virtual {
	struct lan lan;
	struct link *link;
	struct engine *eng;
};

static void
on_fate(void *ctx, uint32_t frame_no, size_t from, size_t to, const uint8_t *frame, size_t len)
{
	struct net_virtual *v = ctx;
	link_forward(v->link, frame_no, from, to, frame, len);
}

static int
virtual_send(struct net *n, size_t port, const uint8_t *frame, size_t len)
{
	struct net_virtual *v = n->be;
	return lan_send(&v->lan, port, frame, len);
}

static int
virtual_egress(struct net *n, size_t to, const uint8_t *frame, size_t len, uint64_t delay_ns)
{
	struct net_virtual *v = n->be;
	return lan_egress(&v->lan, to, frame, len, delay_ns);
}

static int
virtual_run(struct net *n, uint64_t until, uint64_t *events, char *err, size_t errlen)
{
	struct net_virtual *v = n->be;
	(void)err, (void)errlen;
	*events += engine_run(v->eng, until);
	return RMC_OK;
}

static json_t *
virtual_describe(const struct net *n)
{
	(void)n;
	return json_pack("{s:s}", "mode", "virtual");
}

static void
virtual_close(struct net *n)
{
	struct net_virtual *v = n->be;
	lan_fini(&v->lan);
	free(v);
}

static const struct net_ops virtual_ops = {
    .mode = "virtual",
    .send = virtual_send,
    .inject = virtual_send, /* the switch does not know who built the frame */
    .egress = virtual_egress,
    .run = virtual_run,
    .describe = virtual_describe,
    .close = virtual_close,
};

int
net_open_virtual(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i].device_iface) {
			snprintf(err, errlen,
				 "%s is a device on %s: a device under test needs --net tap",
				 cfg->ports[i].name, cfg->ports[i].device_iface);
			return RMC_EINVAL;
		}
	struct net_virtual *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	v->link = cfg->link;
	v->eng = cfg->eng;
	int rc = lan_init(&v->lan, cfg->eng, cfg->nports, cfg->hooks.deliver, cfg->hooks.capture,
			  cfg->hooks.ctx);
	if (rc) {
		lan_fini(&v->lan);
		free(v);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	for (size_t i = 0; i < cfg->nports; i++)
		lan_port_config(&v->lan, i, &cfg->ports[i].link);
	if (cfg->link && link_active(cfg->link))
		lan_set_fate(&v->lan, on_fate, v);
	n->ops = &virtual_ops;
	n->be = v;
	return RMC_OK;
}

void
net_close(struct net *n)
{
	if (n->ops)
		n->ops->close(n);
	n->ops = NULL;
	n->be = NULL;
}
