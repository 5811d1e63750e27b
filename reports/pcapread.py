"""Minimal pure-Python pcap reader and header decoder for the report.

Reads the classic pcap format (not pcapng) in either byte order, microsecond
(0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, link type Ethernet (1).
Decodes Ethernet / ARP / IPv4 / UDP / ESP / AH just far enough to draw a
timeline: who sent to whom, whether it was protected and under which SPI,
and for clear RMCP the ASF message type.  It never trusts a length: a record
or header that runs past the data ends the read with a PcapError that says
where, and the frames read before it are kept.
"""

import collections
import struct

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
IPPROTO_UDP = 17
IPPROTO_ESP = 50  # RFC 4303
IPPROTO_AH = 51  # RFC 4302

RMCP_PORT = 623  # clear RMCP (DMTF DSP0136 ASF 2.0 §3.2.2)
RMCP_SECURE_PORT = 664
RMCP_CLASS_ASF = 0x06
RMCP_CLASS_ACK = 0x80
ASF_IANA = 4542

ASF_TYPES = {
    0x10: "reset",
    0x11: "power_up",
    0x12: "power_down",
    0x13: "power_cycle",
    0x40: "presence_pong",
    0x41: "capabilities_response",
    0x42: "system_state_response",
    0x80: "presence_ping",
    0x81: "capabilities_request",
    0x82: "system_state_request",
}


class PcapError(Exception):
    """The file is not a pcap we can read, or it ends in the middle of a record.

    `frames` holds what was read before the problem."""

    def __init__(self, message, frames=None):
        super().__init__(message)
        self.frames = frames or []


Frame = collections.namedtuple("Frame", "number t_ns data")

Packet = collections.namedtuple(
    "Packet",
    "number t_ns src_mac dst_mac src_ip dst_ip kind spi sport dport asf_type",
)
# kind: "arp", "clear" (unprotected UDP), "esp", "ah", "ah+esp", "ip" (other IPv4),
#       "other" (not IPv4/ARP), "malformed" (a header ran past the frame)


def read_pcap(path):
    """Return the list of Frames in the file; raise PcapError (with the frames
    read so far) if the file is not a pcap or is truncated."""
    with open(path, "rb") as f:
        blob = f.read()
    return parse_pcap(blob, path)


def parse_pcap(blob, name="pcap"):
    if len(blob) < 24:
        raise PcapError("%s: %d bytes, too short for a pcap global header (24)" % (name, len(blob)))
    magic_le = struct.unpack_from("<I", blob, 0)[0]
    magic_be = struct.unpack_from(">I", blob, 0)[0]
    if magic_le in (MAGIC_US, MAGIC_NS):
        endian, magic = "<", magic_le
    elif magic_be in (MAGIC_US, MAGIC_NS):
        endian, magic = ">", magic_be
    else:
        raise PcapError("%s: not a pcap file (magic 0x%08x)" % (name, magic_le))
    scale = 1 if magic == MAGIC_NS else 1000
    linktype = struct.unpack_from(endian + "I", blob, 20)[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError("%s: link type %d, only Ethernet (1) is read" % (name, linktype))
    frames = []
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off < len(blob):
        number = len(frames) + 1
        if off + 16 > len(blob):
            raise PcapError(
                "%s: truncated: record header of frame %d at byte %d needs 16 bytes, %d left"
                % (name, number, off, len(blob) - off),
                frames,
            )
        sec, frac, incl, _orig = rec.unpack_from(blob, off)
        off += 16
        if off + incl > len(blob):
            raise PcapError(
                "%s: truncated: frame %d at byte %d claims %d bytes, %d left"
                % (name, number, off - 16, incl, len(blob) - off),
                frames,
            )
        frames.append(Frame(number, sec * 1000000000 + frac * scale, blob[off : off + incl]))
        off += incl
    return frames


def _mac(b):
    return ":".join("%02x" % x for x in b)


def _ip(b):
    return ".".join(str(x) for x in b)


def decode(frame):
    """Decode one Frame into a Packet; never raises on short or odd input."""
    d = frame.data
    base = dict(number=frame.number, t_ns=frame.t_ns, src_mac=None, dst_mac=None,
                src_ip=None, dst_ip=None, kind="malformed", spi=None, sport=None,
                dport=None, asf_type=None)
    if len(d) < 14:
        return Packet(**base)
    base.update(dst_mac=_mac(d[0:6]), src_mac=_mac(d[6:12]))
    ethertype = struct.unpack_from(">H", d, 12)[0]
    body = d[14:]
    if ethertype == ETH_ARP:
        # RFC 826 for Ethernet/IPv4: sender IP at 14, target IP at 24.
        if len(body) < 28:
            return Packet(**base)
        base.update(kind="arp", src_ip=_ip(body[14:18]), dst_ip=_ip(body[24:28]))
        return Packet(**base)
    if ethertype != ETH_IPV4:
        base["kind"] = "other"
        return Packet(**base)
    if len(body) < 20 or body[0] >> 4 != 4:
        return Packet(**base)
    ihl = (body[0] & 0x0F) * 4
    total = struct.unpack_from(">H", body, 2)[0]
    if ihl < 20 or total < ihl or total > len(body):
        return Packet(**base)
    base.update(src_ip=_ip(body[12:16]), dst_ip=_ip(body[16:20]), kind="ip")
    proto = body[9]
    payload = body[ihl:total]
    kinds = []
    while proto == IPPROTO_AH:
        # RFC 4302 §2: next header, payload len (32-bit words - 2), reserved, SPI.
        if len(payload) < 12:
            base["kind"] = "malformed"
            return Packet(**base)
        if base["spi"] is None:
            base["spi"] = struct.unpack_from(">I", payload, 4)[0]
        kinds.append("ah")
        ahlen = (payload[1] + 2) * 4
        proto = payload[0]
        payload = payload[ahlen:]
    if proto == IPPROTO_ESP:
        # RFC 4303 §2: SPI then sequence number; the rest is encrypted.
        if len(payload) < 8:
            base["kind"] = "malformed"
            return Packet(**base)
        if base["spi"] is None:
            base["spi"] = struct.unpack_from(">I", payload, 0)[0]
        kinds.append("esp")
    if kinds:
        base["kind"] = "+".join(kinds)
        return Packet(**base)
    if proto != IPPROTO_UDP:
        return Packet(**base)
    if len(payload) < 8:
        base["kind"] = "malformed"
        return Packet(**base)
    sport, dport = struct.unpack_from(">HH", payload, 0)
    base.update(kind="clear", sport=sport, dport=dport)
    rmcp = payload[8:]
    if RMCP_PORT in (sport, dport) and len(rmcp) >= 9 and rmcp[3] == RMCP_CLASS_ASF:
        if struct.unpack_from(">I", rmcp, 4)[0] == ASF_IANA:
            base["asf_type"] = rmcp[8]
    return Packet(**base)


def asf_name(asf_type):
    if asf_type is None:
        return None
    return ASF_TYPES.get(asf_type, "asf 0x%02x" % asf_type)


def load_trace(path):
    """Decoded packets of a trace plus a problem string (None when the whole
    file was read).  A truncated file yields the packets before the cut."""
    try:
        frames, problem = read_pcap(path), None
    except PcapError as e:
        frames, problem = e.frames, str(e)
    except OSError as e:
        frames, problem = [], "%s: %s" % (path, e.strerror or e)
    return [decode(f) for f in frames], problem
