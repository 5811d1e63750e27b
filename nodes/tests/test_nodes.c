/*
 * The reference nodes driven directly through their node interface: frames
 * in, frames/timers/notes out, no simulator. Server and client talk by
 * handing each other's output frames back and forth.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nodes/client.h"
#include "nodes/server.h"
#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

static struct client cl;
static struct server sv;
static struct node_out o1, o2;

static const uint8_t SMAC[6] = {2, 0, 0, 0, 1, 1}, CMAC[6] = {2, 0, 0, 0, 2, 1};
enum { SIP = 0xC0000201, CIP = 0xC0000265 };

static struct nvram_sa
make_sa(uint8_t suite)
{
	struct nvram_sa s = {.suite = suite, .spi_in = 0x1111, .spi_out = 0x2222, .txid = 1};
	mgmt_suite_key_lens(suite, &s.key_len, &s.salt_len, &s.integ_key_len);
	for (int i = 0; i < 32; i++) {
		s.key[i] = (uint8_t)i;
		s.key_in[i] = (uint8_t)(0x80 + i);
		s.integ_key[i] = (uint8_t)(0x40 + i);
		s.integ_key_in[i] = (uint8_t)(0xc0 + i);
	}
	memcpy(s.salt, "salt", 4);
	memcpy(s.salt_in, "SALT", 4);
	return s;
}

static void
setup_with(uint8_t suite, bool clear_allowed, uint16_t clear_msgs)
{
	struct client_cfg cc = {.name = "c1",
				.ip = CIP,
				.power = PWR_OS_UP,
				.boot_ns = NODE_TIMER_NEVER,
				.replay_window = 64};
	memcpy(cc.mac, CMAC, 6);
	nvram_config_default(&cc.nvram);
	cc.nvram.policy = (struct nvram_policy){clear_allowed, 623, clear_msgs};
	if (suite)
		cc.sa = make_sa(suite);
	cr_assert_eq(client_init(&cl, &cc), 0);
	struct server_cfg sc = {.name = "s", .ip = SIP, .retx_ns = 1000000, .retries = 2};
	memcpy(sc.mac, SMAC, 6);
	cr_assert_eq(server_init(&sv, &sc), 0);
	cr_assert_eq(server_add_client(&sv, "c1", CIP), 0);
	if (suite) {
		struct nvram_sa s = make_sa(suite);
		cr_assert_eq(server_set_client_sa(&sv, 0, &s, 64), 0);
	}
	node_out_reset(&o1);
	node_out_reset(&o2);
}

static void
teardown(void)
{
	client_fini(&cl);
	server_fini(&sv);
}

/* Delivers every frame of from to the other node until both fall silent. */
static size_t
converse(uint64_t now)
{
	size_t frames = 0;
	for (int round = 0; round < 10 && (o1.nframes || o2.nframes); round++) {
		struct node_out in = o1;
		node_out_reset(&o1);
		for (size_t i = 0; i < in.nframes; i++, frames++)
			client_on_frame(&cl, now, in.buf + in.frame_off[i], in.frame_len[i], &o2);
		in = o2;
		node_out_reset(&o2);
		for (size_t i = 0; i < in.nframes; i++, frames++)
			server_on_frame(&sv, now, in.buf + in.frame_off[i], in.frame_len[i], &o1);
	}
	return frames;
}

Test(nodes, clear_discovery_and_reset, .fini = teardown)
{
	setup_with(MGMT_SUITE_NONE, true, ASF_CLEAR_ALL_MSGS);
	cr_assert_eq(server_send(&sv, 0, 0, ASF_PRESENCE_PING, SERVER_VIA_CLEAR, &o1), 0);
	cr_assert_eq(o1.nframes, 1, "ARP request first");
	converse(0);
	cr_assert(sv.clients[0].mac_known);
	cr_assert(sv.clients[0].present, "pong received");
	cr_assert_eq(server_send(&sv, 0, 0, ASF_RESET, SERVER_VIA_CLEAR, &o1), 0);
	converse(0);
	cr_assert_eq(cl.power, PWR_PRE_BOOT);
	cr_assert_eq(cl.st.executed[ASF_RESET - ASF_RESET], 1);
	cr_assert(!sv.clients[0].in_flight, "the ACK completed the command");
}

Test(nodes, secure_only_nic_refuses_clear_reset, .fini = teardown)
{
	setup_with(MGMT_ESP_GCM_128, false, 0);
	server_send(&sv, 0, 0, ASF_RESET, SERVER_VIA_CLEAR, &o1);
	converse(0);
	cr_assert_eq(cl.power, PWR_OS_UP, "a clear reset must not be executed");
	cr_assert_geq(cl.st.clear_refused, 1);
	cr_assert_eq(cl.st.commands_executed, 0);
}

Test(nodes, secure_reset_in_every_suite, .fini = teardown)
{
	for (uint8_t suite = MGMT_ESP_GCM_128; suite < MGMT_SUITE__COUNT; suite++) {
		setup_with(suite, false, 0);
		server_send(&sv, 0, 0, ASF_RESET, SERVER_VIA_SECURE, &o1);
		converse(0);
		cr_assert_eq(cl.power, PWR_PRE_BOOT, "%s", mgmt_suite_name(suite));
		cr_assert_eq(cl.st.secure_rx, 1, "%s", mgmt_suite_name(suite));
		cr_assert_eq(sv.st.secure_rx, 1, "the ACK came back under the SA");
		teardown();
	}
	setup_with(MGMT_SUITE_NONE, true, 0); /* for the fixture's teardown */
}

Test(nodes, clear_udp_664_is_refused, .fini = teardown)
{
	setup_with(MGMT_ESP_GCM_128, true, ASF_CLEAR_ALL_MSGS);
	uint8_t rmcp[64], *f = node_out_frame_begin(&o1);
	struct rmcp_msg m = {.seq = 1, .iana = ASF_IANA, .type = ASF_RESET};
	size_t n, fl;
	rmcp_encode(&m, rmcp, sizeof(rmcp), &n);
	struct frame_builder *fb = frame_builder_new();
	struct l2l3 a = {.src_ip = SIP, .dst_ip = CIP};
	memcpy(a.src_mac, SMAC, 6);
	memcpy(a.dst_mac, CMAC, 6);
	frame_build_udp(fb, &a, 664, 664, rmcp, n, f, NODE_FRAME_MAX, &fl);
	frame_builder_free(fb);
	client_on_frame(&cl, 0, f, fl, &o2);
	cr_assert_eq(cl.power, PWR_OS_UP);
	cr_assert_eq(cl.st.clear_refused, 1);
	cr_assert_eq(o2.nframes, 0, "no answer, not even an ACK");
}

Test(nodes, tampered_esp_is_rejected, .fini = teardown)
{
	setup_with(MGMT_ESP_GCM_128, false, 0);
	server_send(&sv, 0, 0, ASF_RESET, SERVER_VIA_SECURE, &o1);
	/* ARP first; after the reply the server sends the sealed reset. */
	converse(0);
	cr_assert_eq(cl.power, PWR_PRE_BOOT);
	server_send(&sv, 0, 0, ASF_POWER_DOWN, SERVER_VIA_SECURE, &o1);
	cr_assert_eq(o1.nframes, 1);
	o1.buf[o1.frame_off[0] + o1.frame_len[0] - 20] ^= 1; /* inside the ciphertext/ICV */
	uint64_t before = cl.st.ipsec_rejected;
	struct node_out in = o1;
	node_out_reset(&o1);
	client_on_frame(&cl, 0, in.buf + in.frame_off[0], in.frame_len[0], &o2);
	cr_assert_eq(cl.st.ipsec_rejected, before + 1);
	cr_assert_eq(cl.power, PWR_PRE_BOOT, "the power-down was not executed");
	/* The same frame again, untampered, replayed twice: accepted once. */
	in.buf[in.frame_off[0] + in.frame_len[0] - 20] ^= 1;
	client_on_frame(&cl, 0, in.buf + in.frame_off[0], in.frame_len[0], &o2);
	cr_assert_eq(cl.power, PWR_SOFT_OFF);
	client_on_frame(&cl, 0, in.buf + in.frame_off[0], in.frame_len[0], &o2);
	cr_assert_eq(cl.st.ipsec_rejected, before + 2, "the replay is rejected");
	cr_assert_eq(cl.st.commands_executed, 2);
}

Test(nodes, nic_keeps_sa_and_sequence_across_power_loss, .fini = teardown)
{
	setup_with(MGMT_ESP_GCM_128, false, 0);
	server_send(&sv, 0, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE, &o1);
	converse(0);
	uint64_t last = sec_last_seq(client_sa(&cl));
	cr_assert_geq(last, 2, "ACK and pong went out under the SA");
	client_power_event(&cl, 0, PC_POWER_LOSS, &o2);
	cr_assert(!cl.sec_up, "no power, no SA in RAM");
	client_power_event(&cl, 0, PC_POWER_RESTORE, &o2);
	cr_assert(cl.sec_up, "the SA came back from NVRAM");
	node_out_reset(&o2);
	server_send(&sv, 0, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_SECURE, &o1);
	converse(0);
	cr_assert_gt(sec_last_seq(client_sa(&cl)), last + 1,
		     "resumed past the checkpoint, not from 1");
	cr_assert(sv.clients[0].state_known);
	cr_assert_eq(sv.clients[0].system_state, 0x05, "soft off after the restore");
}

Test(nodes, mech_off_nic_is_deaf, .fini = teardown)
{
	setup_with(MGMT_SUITE_NONE, true, ASF_CLEAR_ALL_MSGS);
	client_power_event(&cl, 0, PC_POWER_LOSS, &o2);
	server_send(&sv, 0, 0, ASF_PRESENCE_PING, SERVER_VIA_CLEAR, &o1);
	converse(0);
	cr_assert(!sv.clients[0].mac_known, "not even ARP is answered");
	cr_assert_gt(cl.st.dropped_unpowered, 0);
	/* The server resends on its timer, then gives up. */
	for (uint64_t t = 1000000; t <= 4000000; t += 1000000)
		server_on_timer(&sv, t, SERVER_TIMER_RETX, &o1);
	cr_assert_eq(sv.st.gave_up, 1);
}

/* The server's next secured frame to the client, taken out of o1 instead of delivered. */
static struct node_out captured;

static void
capture_command(uint8_t asf_type)
{
	cr_assert_eq(server_send(&sv, 0, 0, asf_type, SERVER_VIA_SECURE, &o1), 0);
	cr_assert_eq(o1.nframes, 1, "the MAC is known: one sealed frame");
	captured = o1;
	node_out_reset(&o1);
}

static void
deliver_captured(void)
{
	client_on_frame(&cl, 0, captured.buf + captured.frame_off[0], captured.frame_len[0], &o2);
}

static uint64_t
power_cycles(void)
{
	return cl.st.executed[ASF_POWER_CYCLE - ASF_RESET];
}

/*
 * REQ-NIC-REPLAY-POWER-LOSS: a secured Power cycle, carried out; power lost
 * and back (soft off, where a Power cycle is legal again); the same frame
 * again is refused, in every suite, while the server's next command is
 * carried out without the server knowing the NIC rebooted.
 */
Test(nodes, command_replayed_after_power_loss_is_refused, .fini = teardown)
{
	for (uint8_t suite = MGMT_ESP_GCM_128; suite < MGMT_SUITE__COUNT; suite++) {
		setup_with(suite, false, 0);
		server_send(&sv, 0, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE, &o1);
		converse(0);
		capture_command(ASF_POWER_CYCLE);
		deliver_captured();
		converse(0);
		cr_assert_eq(power_cycles(), 1, "%s", mgmt_suite_name(suite));
		cr_assert_eq(nvram_stats(&cl.nv)->rx_checkpoints, 1, "one write for the command");
		client_power_event(&cl, 0, PC_POWER_LOSS, &o2);
		client_power_event(&cl, 0, PC_POWER_RESTORE, &o2);
		node_out_reset(&o2);
		uint64_t rejected = cl.st.ipsec_rejected;
		deliver_captured();
		cr_assert_eq(power_cycles(), 1, "%s: replayed after the power loss",
			     mgmt_suite_name(suite));
		cr_assert_eq(cl.st.ipsec_rejected, rejected + 1);
		cr_assert_eq(o2.nframes, 0, "%s: not even an ACK", mgmt_suite_name(suite));
		cr_assert_eq(server_send(&sv, 0, 0, ASF_POWER_UP, SERVER_VIA_SECURE, &o1), 0);
		converse(0);
		cr_assert_eq(cl.power, PWR_PRE_BOOT, "%s: the next command is carried out",
			     mgmt_suite_name(suite));
		cr_assert(!sv.clients[0].in_flight, "%s: and acknowledged", mgmt_suite_name(suite));
		teardown();
	}
	setup_with(MGMT_SUITE_NONE, true, 0); /* for the fixture's teardown */
}

/*
 * Power fails at every byte of the receive checkpoint a secured command
 * writes (and right after its last byte): the NIC never acts on the command
 * nor acknowledges it before the write is whole. After power returns the
 * same frame is carried out once if the torn write left no floor (the NIC
 * never acted on it), never if the floor landed; and never again after
 * that, across a further power loss.
 */
Test(nodes, power_cut_at_every_byte_of_the_replay_floor_write, .fini = teardown)
{
	size_t landed = 0;
	for (size_t n = 0; n <= 24; n++) {
		setup_with(MGMT_ESP_GCM_128, false, 0);
		server_send(&sv, 0, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE, &o1);
		converse(0);
		capture_command(ASF_POWER_CYCLE);
		client_arm_nvram_cut(&cl, n);
		node_out_reset(&o2);
		deliver_captured();
		cr_assert_eq(cl.power, PWR_MECH_OFF, "n=%zu: the cut fired", n);
		cr_assert_eq(cl.st.nvram_power_cuts, 1, "n=%zu", n);
		cr_assert_eq(power_cycles(), 0, "n=%zu: acted on before the write was whole", n);
		cr_assert_eq(o2.nframes, 0, "n=%zu: acknowledged before the write was whole", n);
		client_power_event(&cl, 0, PC_POWER_RESTORE, &o2);
		deliver_captured();
		uint64_t once = power_cycles();
		cr_assert_eq(once, n < 24 ? 1 : 0, "n=%zu", n);
		landed += once == 0;
		deliver_captured();
		client_power_event(&cl, 0, PC_POWER_LOSS, &o2);
		client_power_event(&cl, 0, PC_POWER_RESTORE, &o2);
		deliver_captured();
		cr_assert_eq(power_cycles(), once, "n=%zu: carried out again", n);
		cr_assert_eq(nvram_warnings(&cl.nv) & ~(unsigned)NVRAM_W_RXCK_BAD, 0, "n=%zu", n);
		teardown();
	}
	cr_assert_eq(landed, 1, "only the write that completed keeps the floor");
	setup_with(MGMT_SUITE_NONE, true, 0);
}
