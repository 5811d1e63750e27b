import struct

import pytest

import pcapread
from conftest import (CLI_IP, CLI_MAC, SRV_IP, SRV_MAC, ah, arp_request, clear_frame, esp,
                      esp_frame, eth, ipv4, pcap_bytes, rmcp_ack, udp)


def test_nanosecond_pcap_keeps_timestamps_and_numbers():
    blob = pcap_bytes([(1500000123, b"a" * 20), (2000000000, b"b" * 30)])
    frames = pcapread.parse_pcap(blob)
    assert [(f.number, f.t_ns, len(f.data)) for f in frames] == [(1, 1500000123, 20), (2, 2000000000, 30)]


def test_microsecond_pcap_is_scaled_to_ns():
    frames = pcapread.parse_pcap(pcap_bytes([(1500001000, b"x" * 14)], ns=False))
    assert frames[0].t_ns == 1500001000


def test_big_endian_pcap():
    frames = pcapread.parse_pcap(pcap_bytes([(7, b"x" * 14)], endian=">"))
    assert frames[0].t_ns == 7


def test_truncated_record_header_is_reported_with_frames_before_it():
    blob = pcap_bytes([(1, b"x" * 20), (2, b"y" * 20)])
    with pytest.raises(pcapread.PcapError) as e:
        pcapread.parse_pcap(blob[:24 + 36 + 10], "t.pcap")
    assert "truncated" in str(e.value) and "frame 2" in str(e.value)
    assert len(e.value.frames) == 1


def test_truncated_record_data_is_reported():
    blob = pcap_bytes([(1, b"x" * 20)])
    with pytest.raises(pcapread.PcapError) as e:
        pcapread.parse_pcap(blob[:-5], "t.pcap")
    assert "frame 1" in str(e.value) and "claims 20 bytes, 15 left" in str(e.value)
    assert e.value.frames == []


def test_not_a_pcap_and_too_short():
    with pytest.raises(pcapread.PcapError, match="not a pcap"):
        pcapread.parse_pcap(b"\x0a\x0d\x0d\x0a" + b"\x00" * 40)
    with pytest.raises(pcapread.PcapError, match="too short"):
        pcapread.parse_pcap(b"\xd4\xc3\xb2\xa1")


def test_other_link_type_refused():
    blob = bytearray(pcap_bytes([]))
    struct.pack_into("<I", blob, 20, 101)
    with pytest.raises(pcapread.PcapError, match="link type 101"):
        pcapread.parse_pcap(bytes(blob))


def test_load_trace_on_truncated_file_keeps_packets_and_says_why(tmp_path):
    p = tmp_path / "trace.pcap"
    p.write_bytes(pcap_bytes([(1, clear_frame(0x80)), (2, clear_frame(0x40, False))])[:-3])
    packets, problem = pcapread.load_trace(str(p))
    assert len(packets) == 1 and packets[0].asf_type == 0x80
    assert "truncated" in problem


def test_load_trace_on_missing_file(tmp_path):
    packets, problem = pcapread.load_trace(str(tmp_path / "none.pcap"))
    assert packets == [] and "none.pcap" in problem


def dec(data, t=5):
    return pcapread.decode(pcapread.Frame(1, t, data))


def test_decode_clear_rmcp_presence_ping():
    p = dec(clear_frame(0x80))
    assert (p.kind, p.src_ip, p.dst_ip, p.dport, p.asf_type) == ("clear", "192.0.2.1", "192.0.2.101", 623, 0x80)
    assert p.src_mac == "02:00:00:00:01:01" and p.dst_mac == "02:00:00:00:02:01"
    assert pcapread.asf_name(p.asf_type) == "presence_ping"


def test_decode_rmcp_ack_has_no_asf_type():
    p = dec(eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 17, udp(623, 623, rmcp_ack()))))
    assert p.kind == "clear" and p.asf_type is None


def test_decode_esp_spi():
    p = dec(esp_frame(0x1700AC26))
    assert (p.kind, p.spi) == ("esp", 0x1700AC26)


def test_decode_ah_alone_and_ah_outside_esp():
    p = dec(eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 51, ah(0xAAAA, 17, udp(1, 664, b"x")))))
    assert (p.kind, p.spi) == ("ah", 0xAAAA)
    p = dec(eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 51, ah(0xAAAA, 50, esp(0xBBBB)))))
    assert (p.kind, p.spi) == ("ah+esp", 0xAAAA)


def test_decode_arp_takes_ips_from_the_arp_body():
    p = dec(arp_request(SRV_MAC, SRV_IP, CLI_IP))
    assert (p.kind, p.src_ip, p.dst_ip, p.dst_mac) == ("arp", "192.0.2.1", "192.0.2.101", "ff:ff:ff:ff:ff:ff")


@pytest.mark.parametrize("data", [
    b"",                                                     # no Ethernet header
    b"\x00" * 13,
    eth(CLI_MAC, SRV_MAC, 0x0806, b"\x00" * 10),             # short ARP
    eth(CLI_MAC, SRV_MAC, 0x0800, b"\x45" + b"\x00" * 10),   # short IPv4
    eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 17, b"")[:-1]),  # total length > data
    eth(CLI_MAC, SRV_MAC, 0x0800, b"\x41" + ipv4(SRV_IP, CLI_IP, 17, b"")[1:]),  # IHL 4 < 20 bytes
    eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 50, b"\x00" * 7)),   # short ESP
    eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 51, b"\x00" * 11)),  # short AH
    eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 17, b"\x00" * 7)),   # short UDP
])
def test_malformed_frames_decode_as_malformed(data):
    assert dec(data).kind == "malformed"


def test_other_ethertype_and_short_rmcp():
    assert dec(eth(CLI_MAC, SRV_MAC, 0x86DD, b"\x00" * 40)).kind == "other"
    p = dec(eth(CLI_MAC, SRV_MAC, 0x0800, ipv4(SRV_IP, CLI_IP, 17, udp(1, 623, b"\x06\x00\xff\x06\x00"))))
    assert p.kind == "clear" and p.asf_type is None


def test_rmcp_asf_type_only_with_the_asf_iana():
    frame = bytearray(clear_frame(0x80))
    frame[14 + 20 + 8 + 4 + 3] ^= 1  # IANA 4542 -> 4543
    assert dec(bytes(frame)).asf_type is None
