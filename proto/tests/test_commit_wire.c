/* The commit message body of docs/users/verify.md, both ways, and every refusal. */
#include <criterion/criterion.h>

#include "proto/commit_wire.h"
#include "proto/err.h"

Test(commit_wire, round_trip_through_rmcp_bytes)
{
	struct commit_wire w = {ASF_COMMIT_ACK, 0x11223344, 0x55667788, 0x99aabbcc, 7}, back;
	struct rmcp_msg m = {.seq = 3, .tag = 9}, d;
	uint8_t buf[64];
	size_t n;

	cr_assert_eq(commit_wire_encode(&w, &m), RMC_OK);
	cr_assert_eq(rmcp_encode(&m, buf, sizeof(buf), &n), RMC_OK);
	cr_assert_eq(n, 4 + 8 + 16);
	/* IANA 32473 = 0x00007ED9 right after the RMCP header, body after the ASF header */
	cr_expect_eq(buf[4 + 2], 0x7e);
	cr_expect_eq(buf[4 + 3], 0xd9);
	cr_expect_eq(buf[12], 0x11);
	cr_expect_eq(buf[27], 7);
	cr_assert_eq(rmcp_decode(buf, n, &d), RMC_OK);
	cr_assert_eq(commit_wire_decode(&d, &back), RMC_OK);
	cr_expect_eq(back.type, w.type);
	cr_expect_eq(back.nic_spi_in, w.nic_spi_in);
	cr_expect_eq(back.nic_spi_out, w.nic_spi_out);
	cr_expect_eq(back.txid, w.txid);
	cr_expect_eq(back.gen, w.gen);
	cr_expect_str_eq(commit_wire_name(ASF_COMMIT_READY), "sa_ready");
	cr_expect_str_eq(commit_wire_name(ASF_COMMIT_ACK), "sa_ack");
	cr_expect_str_eq(commit_wire_name(ASF_COMMIT_CONFIRM), "sa_confirm");
	cr_expect_str_eq(commit_wire_name(4), "?");
}

Test(commit_wire, refuses_what_is_not_a_commit_message)
{
	struct commit_wire w = {ASF_COMMIT_READY, 1, 2, 3, 4};
	struct rmcp_msg m = {0};

	cr_assert_eq(commit_wire_encode(&w, &m), RMC_OK);
	struct rmcp_msg bad = m;
	bad.iana = ASF_IANA;
	cr_expect_eq(commit_wire_decode(&bad, &w), RMC_EINVAL, "standard ASF IANA");
	bad = m;
	bad.type = 4;
	cr_expect_eq(commit_wire_decode(&bad, &w), RMC_EINVAL, "unknown type");
	bad = m;
	bad.data_len = 15;
	cr_expect_eq(commit_wire_decode(&bad, &w), RMC_EINVAL, "short body");
	bad = m;
	bad.is_ack = true;
	cr_expect_eq(commit_wire_decode(&bad, &w), RMC_EINVAL, "an RMCP ACK");
	w.type = 0;
	cr_expect_eq(commit_wire_encode(&w, &m), RMC_EINVAL);
}
