#include "nodes/node.h"

#include <stdarg.h>
#include <stdio.h>

uint8_t *
node_out_frame_begin(struct node_out *o)
{
	if (o->nframes == NODE_OUT_FRAMES) {
		o->dropped++;
		return NULL;
	}
	return o->buf + o->used;
}

void
node_out_frame_commit(struct node_out *o, size_t len)
{
	if (len == 0 || len > NODE_FRAME_MAX || o->nframes == NODE_OUT_FRAMES)
		return;
	o->frame_off[o->nframes] = (uint16_t)o->used;
	o->frame_len[o->nframes] = (uint16_t)len;
	o->nframes++;
	o->used += len;
}

void
node_out_timer(struct node_out *o, uint32_t id, uint64_t at)
{
	if (o->ntimers == NODE_OUT_TIMERS || id >= NODE_TIMER_IDS) {
		o->dropped++;
		return;
	}
	o->timers[o->ntimers].id = id;
	o->timers[o->ntimers].at = at;
	o->ntimers++;
}

void
node_out_note(struct node_out *o, const char *fmt, ...)
{
	if (o->nnotes == NODE_OUT_NOTES) {
		o->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->notes[o->nnotes], NODE_NOTE_LEN, fmt, ap);
	va_end(ap);
	o->nnotes++;
}

void
node_out_key(struct node_out *o, const struct nvram_sa *sa, uint32_t nic_ip)
{
	if (o->nkeys == NODE_OUT_KEYS) {
		o->dropped++;
		return;
	}
	o->keys[o->nkeys].sa = *sa;
	o->keys[o->nkeys].nic_ip = nic_ip;
	o->nkeys++;
}

void
node_out_ike_key(struct node_out *o, const char *line)
{
	if (o->nike_keys == NODE_OUT_KEYS) {
		o->dropped++;
		return;
	}
	snprintf(o->ike_keys[o->nike_keys++], NODE_IKE_KEY_LEN, "%s", line);
}

void
node_out_executed(struct node_out *o, uint8_t type)
{
	if (o->nexecuted == NODE_OUT_EXECUTED) {
		o->dropped++;
		return;
	}
	o->executed[o->nexecuted++] = type;
}
