/*
 * Wireshark's IKEv2 decryption table (Preferences > Protocols > ISAKMP >
 * IKEv2 Decryption Table, UAT file "ikev2_decryption_table"). One record:
 *
 *   SPIi,SPIr,SK_ei,SK_er,"encryption algorithm",SK_ai,SK_ar,"integrity algorithm"
 *
 * Byte fields are bare hex (UAT hex fields take no quotes: tshark refuses a
 * quoted SPI), SPIs 16 digits, SK_e with the 4-octet AES-GCM salt appended;
 * algorithms quoted and spelled as Wireshark 4.0's packet-isakmp.c does.
 * The same text is a line of the UAT file or the value of
 * tshark -o 'uat:ikev2_decryption_table:<record>'.
 */
#ifndef RMCPSEC_PROTO_IKEV2_WIRESHARK_H
#define RMCPSEC_PROTO_IKEV2_WIRESHARK_H

#include <stddef.h>
#include <stdint.h>

#include "proto/ikev2_crypto.h"

/* Writes the record without a newline; RMC_ENOSPC if cap is too small, RMC_EUNSUP for
 * an SK_e length that is not AES-GCM-16 with a 128- or 256-bit key. */
int ikev2_wireshark_line(uint64_t spi_i, uint64_t spi_r, const struct ikev2_keys *k, char *out,
			 size_t cap);

#endif
