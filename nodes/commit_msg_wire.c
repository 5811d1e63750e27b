#include "nodes/commit_msg_wire.h"

#include "proto/err.h"
#include "proto/rmcp.h"

/* A message added on one side only stops the build here, or at a switch below (-Wswitch). */
_Static_assert(COMMIT_MSG__END - COMMIT_SA_READY == ASF_COMMIT_CONFIRM - ASF_COMMIT_READY + 1,
	       "fsm/commit and the wire define the same number of commit messages");

uint8_t
commit_msg_wire_type(enum commit_msg_type t)
{
	switch (t) {
	case COMMIT_SA_READY:
		return ASF_COMMIT_READY;
	case COMMIT_SA_ACK:
		return ASF_COMMIT_ACK;
	case COMMIT_SA_CONFIRM:
		return ASF_COMMIT_CONFIRM;
	case COMMIT_MSG__END:
		break;
	}
	return 0;
}

int
commit_msg_from_wire(uint8_t wire_type, enum commit_msg_type *out)
{
	switch ((enum commit_type)wire_type) {
	case ASF_COMMIT_READY:
		*out = COMMIT_SA_READY;
		return RMC_OK;
	case ASF_COMMIT_ACK:
		*out = COMMIT_SA_ACK;
		return RMC_OK;
	case ASF_COMMIT_CONFIRM:
		*out = COMMIT_SA_CONFIRM;
		return RMC_OK;
	}
	return RMC_EINVAL;
}
