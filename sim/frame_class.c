#include "sim/frame_class.h"

bool
msg_sel_match(const struct msg_sel *s, const struct obs *o)
{
	if (s->kinds && !(s->kinds & (1u << o->kind)))
		return false;
	if (s->type < 0)
		return true;
	return (o->kind == OBS_IKE ? o->ike_exch : o->asf_type) == s->type;
}
