/* nodes/commit_msg_wire: every fsm commit message has its own wire type and back. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "nodes/commit_msg_wire.h"
#include "proto/commit_wire.h"
#include "proto/err.h"

Test(commit_msg_wire, each_message_maps_to_the_wire_type_of_its_name_and_back)
{
	for (int t = COMMIT_SA_READY; t < COMMIT_MSG__END; t++) {
		uint8_t wire = commit_msg_wire_type((enum commit_msg_type)t);
		const char *fsm_name = commit_msg_name((enum commit_msg_type)t);
		const char *wire_name = commit_wire_name(wire);
		enum commit_msg_type back;
		struct commit_wire w = {.type = wire};
		struct rmcp_msg m = {0};

		cr_assert_neq(wire, 0, "%s has no wire type", fsm_name);
		cr_expect_eq(commit_wire_encode(&w, &m), RMC_OK, "the codec refuses %s", fsm_name);
		cr_assert_eq(strlen(fsm_name), strlen(wire_name));
		for (size_t i = 0; fsm_name[i]; i++)
			cr_expect_eq(tolower((unsigned char)fsm_name[i]), wire_name[i],
				     "%s went out as %s", fsm_name, wire_name);
		cr_assert_eq(commit_msg_from_wire(wire, &back), RMC_OK);
		cr_expect_eq(back, t);
	}
}

Test(commit_msg_wire, types_outside_either_enum_map_to_nothing)
{
	enum commit_msg_type t = COMMIT_SA_ACK;

	cr_expect_eq(commit_msg_wire_type(0), 0);
	cr_expect_eq(commit_msg_wire_type(COMMIT_MSG__END), 0);
	cr_expect_eq(commit_msg_from_wire(0, &t), RMC_EINVAL);
	cr_expect_eq(commit_msg_from_wire(ASF_COMMIT_CONFIRM + 1, &t), RMC_EINVAL);
	cr_expect_eq(commit_msg_from_wire(0xff, &t), RMC_EINVAL);
	cr_expect_eq(t, COMMIT_SA_ACK, "a refused type leaves *out alone");
}
