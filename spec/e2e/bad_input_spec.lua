-- SPDX-License-Identifier: MIT
-- Proves that malformed input on the guest link is counted and dropped, or
-- resets the link, without crashing sluice, and that a well-behaved guest
-- is served normally afterwards.

local e2e = require("spec.support.e2e")

local function badframes(sock, mode)
  return e2e.must(("python3 %s %s %s"):format(
    e2e.q(e2e.support .. "badframes.py"), e2e.q(sock), mode))
end

describe("bad input on a stream link", function()
  local dir, sock, sluice

  setup(function()
    e2e.require_root()
    dir = e2e.tmpdir()
    sock = dir .. "/sluice.sock"
    sluice = e2e.start_sluice("--stream-listen " .. sock,
      "--mtu 1500 --allow-net 127.0.0.1/32", dir)
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("counts and drops empty, short, oversized and random frames", function()
    local out = badframes(sock, "frames")
    assert.matches("done frames", out, 1, true)
    e2e.sleep(0.3)
    assert.is_true(e2e.alive(sluice))
    local c = e2e.counters(sluice)
    assert.is_true((c.drop_empty or 0) >= 1, "drop_empty")
    assert.is_true((c.drop_runt or 0) >= 1, "drop_runt")
    assert.is_true((c.drop_oversize or 0) >= 1, "drop_oversize")
    assert.is_true((c.drop_ip_invalid or 0) >= 1, "drop_ip_invalid")
    assert.is_true((c.link_frames_in or 0) >= 400, "link_frames_in")
    assert.is_true((c.guest_mac_changes or 0) >= 10, "guest_mac_changes")
  end)

  it("resets the link on a length prefix over 65549 bytes", function()
    local out = badframes(sock, "oversize")
    assert.matches("closed by peer", out, 1, true)
    assert.is_true(e2e.alive(sluice))
    assert.is_true(e2e.counters(sluice).link_resets >= 1)
  end)

  it("survives a truncated frame and a stream of random bytes", function()
    badframes(sock, "truncated")
    badframes(sock, "noise")
    e2e.sleep(0.3)
    assert.is_true(e2e.alive(sluice))
  end)

  it("serves a good guest afterwards", function()
    local dev = e2e.name("slb")
    local ns = e2e.netns()
    e2e.spawn(("%s %s %s"):format(e2e.tapbridge, dev, sock), dir .. "/bridge.log")
    local lease = e2e.guest_dhcp(ns, dev)
    assert.matches("mtu=1500", lease, 1, true)
    local www = e2e.tmpdir()
    e2e.write(www .. "/hello.txt", "hello from the host\n")
    local port = e2e.http_server(www)
    local out, status = e2e.in_ns(ns, ("curl -sS --max-time 20 "
      .. "http://10.0.2.2:%d/hello.txt"):format(port))
    assert.equals(0, status, out)
    assert.equals("hello from the host\n", out)
  end)

  it("reports suppressed MAC changes by exit", function()
    e2e.stop(sluice)
    local log = e2e.read(sluice.log)
    local _, logged = log:gsub("guest MAC address changed to", "")
    assert.is_true(logged >= 1 and logged <= 5 * 6, ("%d lines"):format(logged))
    assert.matches("%(%d+ similar messages? suppressed, the first: eth: guest MAC address changed to "
      .. "%x%x:%x%x:%x%x:%x%x:%x%x:%x%x%)", log)
  end)
end)
