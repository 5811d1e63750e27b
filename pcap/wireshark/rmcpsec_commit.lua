-- rmcpsec commit handshake (SA_READY, SA_ACK, SA_CONFIRM) for Wireshark 4.0.
--
-- The commit messages are ordinary RMCP/ASF messages (DMTF DSP0136 §3.2) sent
-- on UDP 664 under the *new* SA, with the RFC 5612 documentation enterprise
-- number 32473 in place of ASF's 4542 (docs/internals/mechanism.md, the commit on the wire):
--
--   RMCP  0: version 0x06 | 1: reserved | 2: sequence | 3: class 0x06 (ASF)
--   ASF   0-3: IANA enterprise 32473 | 4: type | 5: tag | 6: reserved | 7: data length 16
--   body  0-3: new inbound SPI | 4-7: new outbound SPI
--         8-11: transaction id | 12-15: NVRAM generation      (all big-endian)
--
-- Wireshark's ASF dissector (packet-asf.c) has no sub-table keyed by IANA
-- number, so this script takes over RMCP class 6 in the "rmcp.class" table,
-- lets the original ASF dissector decode every message as before (asf.*
-- fields stay filterable), and adds an rmcpsec.commit tree when the IANA
-- number is 32473. UDP 664 still has to be decoded as RMCP:
-- -d udp.port==664,rmcp (Wireshark calls 664 ASF 2.0's RSP otherwise).

local IANA_RMCPSEC = 32473
local RMCP_CLASS_ASF = 6
local ASF_HDR_LEN = 8
local COMMIT_BODY_LEN = 16

local commit_types = { [1] = "SA_READY", [2] = "SA_ACK", [3] = "SA_CONFIRM" }

-- A second copy (a personal plugin plus -X lua_script:) cannot register
-- "rmcpsec" again; the first one already does the work.
local ok, p = pcall(Proto, "rmcpsec", "rmcpsec commit handshake")
if not ok then
    return
end

local f = {
    type = ProtoField.uint8("rmcpsec.commit.type", "Commit message", base.DEC, commit_types),
    tag = ProtoField.uint8("rmcpsec.commit.tag", "Message tag", base.HEX),
    len = ProtoField.uint8("rmcpsec.commit.len", "Data length", base.DEC),
    inbound_spi = ProtoField.uint32("rmcpsec.commit.inbound_spi", "New inbound SPI", base.HEX),
    outbound_spi = ProtoField.uint32("rmcpsec.commit.outbound_spi", "New outbound SPI", base.HEX),
    txid = ProtoField.uint32("rmcpsec.commit.txid", "Transaction id", base.HEX),
    gen = ProtoField.uint32("rmcpsec.commit.gen", "NVRAM generation", base.DEC),
}
p.fields = { f.type, f.tag, f.len, f.inbound_spi, f.outbound_spi, f.txid, f.gen }

local e_bad_len = ProtoExpert.new("rmcpsec.commit.bad_length", "Commit data length is not 16",
    expert.group.MALFORMED, expert.severity.ERROR)
local e_bad_type = ProtoExpert.new("rmcpsec.commit.unknown_type", "Unknown commit message type",
    expert.group.PROTOCOL, expert.severity.WARN)
p.experts = { e_bad_len, e_bad_type }

-- Runs after the C handoffs, so this is packet-asf.c's handle.
local rmcp_class = DissectorTable.get("rmcp.class")
local asf = rmcp_class:get_dissector(RMCP_CLASS_ASF)

function p.dissector(tvb, pinfo, tree)
    if asf then
        -- A truncated message makes packet-asf.c throw; still show ours.
        pcall(function() asf:call(tvb, pinfo, tree) end)
    end
    if tvb:len() < ASF_HDR_LEN or tvb(0, 4):uint() ~= IANA_RMCPSEC then
        return tvb:len()
    end

    local type = tvb(4, 1):uint()
    local len = tvb(7, 1):uint()
    local name = commit_types[type] or string.format("type 0x%02x", type)
    local t = tree:add(p, tvb(), "rmcpsec commit: " .. name)
    local ti = t:add(f.type, tvb(4, 1))
    if not commit_types[type] then
        ti:add_proto_expert_info(e_bad_type)
    end
    t:add(f.tag, tvb(5, 1))
    local li = t:add(f.len, tvb(7, 1))
    pinfo.cols.protocol = "rmcpsec"

    -- The length byte and the bytes present must both say 16.
    if len ~= COMMIT_BODY_LEN or tvb:len() - ASF_HDR_LEN < COMMIT_BODY_LEN then
        li:add_proto_expert_info(e_bad_len)
        pinfo.cols.info = name .. " (bad length)"
        return tvb:len()
    end
    local b = tvb(ASF_HDR_LEN, COMMIT_BODY_LEN)
    t:add(f.inbound_spi, b(0, 4))
    t:add(f.outbound_spi, b(4, 4))
    t:add(f.txid, b(8, 4))
    t:add(f.gen, b(12, 4))
    pinfo.cols.info = string.format("%s txid=0x%08x in=0x%08x out=0x%08x gen=%u",
        name, b(8, 4):uint(), b(0, 4):uint(), b(4, 4):uint(), b(12, 4):uint())
    return tvb:len()
end

rmcp_class:add(RMCP_CLASS_ASF, p)
