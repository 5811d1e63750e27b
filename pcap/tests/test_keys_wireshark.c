/*
 * tshark (Wireshark 4.0) decrypts our ESP with the esp_sa file that
 * keys_write_sa_file writes, checks each ICV, and dissects the RMCP/ASF
 * inside (UDP 664 decoded as RMCP). A frame with a flipped ICV byte must
 * show as bad, so the check can fail.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/keys.h"
#include "proto/esp.h"
#include "proto/sa.h"
#include "proto/tests/ipsec_test_util.h"

struct tshark_sa {
	enum sa_suite suite;
	size_t keylen;
	uint32_t spi;
};

static void
pcap_put(FILE *f, const uint8_t *frame, size_t n, uint32_t ts)
{
	uint32_t rec[4] = {ts, 0, (uint32_t)n, (uint32_t)n};
	fwrite(rec, sizeof(rec), 1, f);
	fwrite(frame, 1, n, f);
}

static size_t
eth_frame(uint8_t *frame, const uint8_t *ip, size_t n)
{
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	memcpy(frame + 14, ip, n);
	return 14 + n;
}

Test(verifiers, tshark_decrypts_and_checks_icv, .timeout = 120)
{
	static const struct tshark_sa sas[] = {
	    {SA_ESP_AES_GCM_16, 16, 0x1001},
	    {SA_ESP_AES_GCM_16, 32, 0x1002},
	    {SA_ESP_AES_CBC_HMAC_SHA256, 16, 0x1003},
	    {SA_ESP_AES_CBC_HMAC_SHA256, 32, 0x1004},
	};
	enum { NSA = sizeof(sas) / sizeof(sas[0]) };
	/* RMCP (seq 0xff: no ACK), ASF Presence Ping (0x80), tag 1 */
	static const uint8_t ping[] = {0x06, 0x00, 0xff, 0x06, 0x00, 0x00,
				       0x11, 0xbe, 0x80, 0x01, 0x00, 0x00};
	char dir[64], path[256], cmd[1024], line[256], err[256];
	uint8_t ip[128], pkt[256], frame[300];
	uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1}; /* pcap, DLT_EN10MB */
	size_t len = test_ipv4_udp(ip, ping, sizeof(ping)), n;
	struct sa o[NSA];
	struct key_line keys[NSA];
	FILE *pc;
	int frames = 0, good = 0, bad = 0, asf_ping = 0;

	test_tmpdir(dir, sizeof(dir), "tshark");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/cfg/wireshark", dir);
	cr_assert_eq(system(cmd), 0);
	for (size_t k = 0; k < NSA; k++) {
		struct sa_config c = test_config(sas[k].suite, sas[k].keylen, false, sas[k].spi);
		cr_assert_eq(sa_init(&o[k], &c, SA_DIR_OUT), 0);
		keys[k] = (struct key_line){&o[k], 0x0a420001, 0x0a420002};
	}
	snprintf(path, sizeof(path), "%s/cfg/wireshark/esp_sa", dir);
	cr_assert_eq(keys_write_sa_file(path, keys, NSA, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/trace.pcap", dir);
	cr_assert_not_null(pc = fopen(path, "wb"));
	fwrite(hdr, sizeof(hdr), 1, pc);
	for (size_t k = 0; k < NSA; k++) {
		for (int j = 0; j < 3; j++) {
			cr_assert_eq(esp_seal_ipv4(&o[k], ip, len, pkt, sizeof(pkt), &n), 0);
			if (j == 2)
				pkt[n - 1] ^= 0x01; /* the last frame of each SA: bad ICV */
			pcap_put(pc, frame, eth_frame(frame, pkt, n), (uint32_t)(k * 3 + j + 1));
		}
		sa_clear(&o[k]);
	}
	fclose(pc);

	snprintf(cmd, sizeof(cmd),
		 "HOME=%s XDG_CONFIG_HOME=%s/cfg tshark -n -r %s/trace.pcap "
		 "-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE "
		 "-d udp.port==664,rmcp -T fields -E separator=, -e esp.spi -e esp.icv_good "
		 "-e esp.icv_bad -e asf.type 2>%s/tshark.err",
		 dir, dir, dir, dir);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned spi = 0, asf = 0;
		char g[8] = "", b[8] = "";
		frames++;
		/* e.g. "0x00001001,1,0,0x80"; bad frames show no ASF type */
		int f = sscanf(line, "%x,%7[^,],%7[^,],%x", &spi, g, b, &asf);
		cr_assert_geq(f, 3, "tshark line: %s", line);
		if (!strcmp(g, "1") || !strcmp(g, "True"))
			good++;
		if (!strcmp(b, "1") || !strcmp(b, "True"))
			bad++;
		if (f == 4 && asf == 0x80)
			asf_ping++;
	}
	cr_assert_eq(pclose(p), 0);
	cr_assert_eq(frames, 12);
	cr_assert_eq(good, 8, "ICVs tshark found good");
	cr_assert_eq(bad, 4, "ICVs tshark found bad");
	cr_assert_geq(asf_ping, 8, "decrypted ASF Presence Pings");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}
