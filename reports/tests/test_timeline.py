import pcapread
import timeline
from conftest import clear_frame, esp_frame

NODES = [{"name": "srv1", "role": "server"},
         {"name": "c1", "role": "client", "power": "os_up"}]


def test_power_bands_from_events():
    ev = [{"t_ns": 10, "node": "c1", "event": "power os_up -> pre_boot (reset)"},
          {"t_ns": 10, "node": "c1", "event": "executed Reset (clear)"},
          {"t_ns": 30, "node": "c1", "event": "power pre_boot -> os_up (boot_complete)"},
          {"t_ns": 40, "node": "srv1", "event": "power os_up -> os_hung (os_hang)"}]
    assert timeline.power_bands(NODES[1], ev, 100) == [(0, 10, "os_up"), (10, 30, "pre_boot"), (30, 100, "os_up")]


def test_power_bands_without_events_use_final_state_or_nothing():
    assert timeline.power_bands(NODES[1], [], 100) == [(0, 100, "os_up")]
    assert timeline.power_bands(NODES[0], [], 100) == []


def test_address_map_prefers_results_addresses_and_falls_back():
    by_ip, by_mac, assumed = timeline.address_map(
        [{"name": "s", "role": "server", "ip": "10.0.0.1", "mac": "02:00:00:00:09:09"},
         {"name": "c", "role": "client", "ip": "10.0.0.2"}])
    assert by_ip == {"10.0.0.1": "s", "10.0.0.2": "c"} and by_mac == {"02:00:00:00:09:09": "s"}
    assert not assumed
    by_ip, _, assumed = timeline.address_map(NODES + [{"name": "c2", "role": "client"}])
    assert by_ip == {"192.0.2.1": "srv1", "192.0.2.101": "c1", "192.0.2.102": "c2"} and assumed


def test_sample_caps_and_is_deterministic():
    drawn, step = timeline.sample(list(range(1000)), 300)
    assert step == 4 and len(drawn) == 250 and drawn[:3] == [0, 4, 8]
    assert timeline.sample(list(range(10)), 300) == (list(range(10)), 1)


def test_protection_keys():
    dec = lambda d: pcapread.decode(pcapread.Frame(1, 0, d))  # noqa: E731
    assert timeline.protection(dec(clear_frame(0x80))) == "clear UDP 623"
    assert timeline.protection(dec(esp_frame(0x12))) == "ESP SPI 0x00000012"


def packets(n):
    return [pcapread.decode(pcapread.Frame(i + 1, i * 1000, esp_frame(0x10 + i % 2, i % 2 == 0)))
            for i in range(n)]


def test_render_small_and_large_and_faults():
    res = {"name": "t", "duration_ns": 10**7, "nodes": NODES, "events": []}
    png, notes = timeline.render(res, packets(5))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and notes["step"] == 1 and notes["drawn"] == 5
    png2, notes = timeline.render(res, packets(5000), faults=[{"t_ns": 5, "node": "c1"}, {"t_ns": 7}])
    assert notes["step"] == 17 and notes["drawn"] <= timeline.MAX_ARROWS and notes["total"] == 5000
    assert png2 != png


def test_render_unknown_address_gets_its_own_lane():
    res = {"name": "t", "duration_ns": 10**7, "nodes": [NODES[0]], "events": []}
    _, notes = timeline.render(res, packets(2))
    assert notes["unknown"] == ["192.0.2.101"]


def test_render_is_deterministic():
    res = {"name": "t", "duration_ns": 10**7, "nodes": NODES, "events": []}
    assert timeline.render(res, packets(50))[0] == timeline.render(res, packets(50))[0]
