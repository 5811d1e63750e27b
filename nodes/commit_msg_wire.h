/*
 * The commit machines' messages (fsm/commit.h enum commit_msg_type) and
 * their types on the wire (proto/rmcp.h enum commit_type): two enums
 * mapped by name, never by value, so neither can be renumbered or grow
 * without the other (commit_msg_wire.c checks it at compile time).
 */
#ifndef RMCPSEC_NODES_COMMIT_MSG_WIRE_H
#define RMCPSEC_NODES_COMMIT_MSG_WIRE_H

#include <stdint.h>

#include "fsm/commit.h"

/* The wire type of an fsm message; 0 (no wire type) for a value outside the enum. */
uint8_t commit_msg_wire_type(enum commit_msg_type t);
/* The fsm message of a wire type; RMC_EINVAL for a type the wire does not define. */
int commit_msg_from_wire(uint8_t wire_type, enum commit_msg_type *out);

#endif
