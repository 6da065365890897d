-- SPDX-License-Identifier: MIT
-- Proves that a network namespace behind sluice gets a working gateway:
-- DHCP, TCP and UDP to the host's loopback, refusals as RST or ICMP, and
-- half-close, over a TAP link and over a QEMU-style stream link.

local e2e = require("spec.support.e2e")

local BIG = 100 * 1000 * 1000

local function make_file(dir, name, bytes)
  local path = dir .. "/" .. name
  e2e.must(("head -c %d /dev/urandom > %s"):format(bytes, e2e.q(path)))
  return path, e2e.must("sha256sum " .. e2e.q(path)):match("^(%x+)")
end

describe("gateway over a TAP link", function()
  local guest, www, port

  setup(function()
    e2e.require_root()
    guest = e2e.tap_guest("--allow-net 127.0.0.1/32")
    www = e2e.tmpdir()
    port = e2e.http_server(www)
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("leases the guest address with MTU 65520", function()
    assert.matches("ip=10.0.2.15 ", guest.lease, 1, true)
    assert.matches("router=10.0.2.2 ", guest.lease, 1, true)
    assert.matches("mtu=65520", guest.lease, 1, true)
    local link = e2e.in_ns(guest.ns, "ip link show " .. guest.dev)
    assert.matches("mtu 65520", link, 1, true)
  end)

  it("answers ping to the gateway", function()
    local out, status = e2e.in_ns(guest.ns, "busybox ping -c 2 -W 2 10.0.2.2")
    assert.equals(0, status, out)
    assert.matches("2 packets received", out, 1, true)
  end)

  it("downloads 100 MB from a host loopback server byte-exact", function()
    local _, sum = make_file(www, "big.bin", BIG)
    local got = guest.dir .. "/got.bin"
    local out, status = e2e.in_ns(guest.ns, ("curl -sS -o %s --max-time 120 "
      .. "http://10.0.2.2:%d/big.bin"):format(e2e.q(got), port))
    assert.equals(0, status, out)
    local got_sum = e2e.must("sha256sum " .. e2e.q(got)):match("^(%x+)")
    assert.equals(sum, got_sum)
  end)

  it("refuses a connection to a closed port within a second", function()
    local closed = e2e.free_port()
    local start = e2e.now()
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://10.0.2.2:%d/"):format(closed))
    local elapsed = e2e.now() - start
    assert.equals(7, status, out) -- curl: failed to connect
    assert.matches("Failed to connect", out, 1, true)
    assert.is_true(elapsed < 1, "refusal took " .. elapsed .. " s")
  end)

  it("relays a UDP echo round trip", function()
    local echo = e2e.helper_server("udp_echo.py", guest.dir)
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d ping")
      :format(e2e.q(e2e.support .. "udp_client.py"), echo))
    assert.matches("reply echo:ping", out, 1, true)
  end)

  it("passes the host's port unreachable for UDP back to the guest", function()
    local closed = e2e.free_port()
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d ping")
      :format(e2e.q(e2e.support .. "udp_client.py"), closed))
    assert.matches("error ECONNREFUSED", out, 1, true)
  end)

  it("passes a half-close: the reply follows the client's FIN", function()
    local srv = e2e.helper_server("halfclose_server.py", guest.dir)
    local out, status = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d 3000000")
      :format(e2e.q(e2e.support .. "halfclose_client.py"), srv))
    assert.equals(0, status, out)
    local sent, sum, got, got_sum = out:match("sent (%d+) (%x+) reply (%d+) (%x+)")
    assert.equals("3000000", sent, out)
    assert.equals(sent, got)
    assert.equals(sum, got_sum)
  end)

  it("accepts a port reused right after the server closed first", function()
    local srv = e2e.helper_server("close_first_server.py", guest.dir)
    local out, status = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d 20")
      :format(e2e.q(e2e.support .. "reuse_client.py"), srv))
    assert.equals(0, status, out)
    local slowest = tonumber(out:match("done 20 slowest ([%d.]+)"))
    assert.is_true(slowest and slowest < 1, out)
  end)

  it("keeps running and counts the flows it relayed", function()
    assert.is_true(e2e.alive(guest.sluice))
    local c = e2e.counters(guest.sluice)
    assert.is_true((c.tcp_flows_opened or 0) >= 2)
    assert.is_true((c.udp_flows_opened or 0) >= 1)
    assert.is_true((c.tcp_refused_upstream or 0) >= 1)
  end)
end)

describe("address guard", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("refuses host loopback without --allow-net and never connects", function()
    e2e.require_root()
    local guest = e2e.tap_guest("")
    local srv = e2e.helper_server("halfclose_server.py", guest.dir)
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://10.0.2.2:%d/"):format(srv))
    assert.equals(7, status, out)
    local c = e2e.counters(guest.sluice)
    assert.equals(1, c.tcp_refused_guard)
    assert.equals(0, c.tcp_flows_opened)
    assert.matches("refused by the address guard: 127.0.0.1 is loopback", e2e.read(guest.sluice.log), 1, true)
  end)

  it("answers a refused UDP flow with ICMP unreachable", function()
    e2e.require_root()
    local guest = e2e.tap_guest("")
    local echo = e2e.helper_server("udp_echo.py", guest.dir)
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d ping")
      :format(e2e.q(e2e.support .. "udp_client.py"), echo))
    assert.matches("error EHOSTUNREACH", out, 1, true)
  end)
end)

describe("gateway over a stream link", function()
  local guest, www, port

  setup(function()
    e2e.require_root()
    guest = e2e.stream_guest("--allow-net 127.0.0.1/32")
    www = e2e.tmpdir()
    port = e2e.http_server(www)
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("leases the guest address with MTU 65520", function()
    assert.matches("ip=10.0.2.15 ", guest.lease, 1, true)
    assert.matches("mtu=65520", guest.lease, 1, true)
  end)

  it("downloads 100 MB byte-exact", function()
    local _, sum = make_file(www, "big.bin", BIG)
    local got = guest.dir .. "/got.bin"
    local out, status = e2e.in_ns(guest.ns, ("curl -sS -o %s --max-time 120 "
      .. "http://10.0.2.2:%d/big.bin"):format(e2e.q(got), port))
    assert.equals(0, status, out)
    assert.equals(sum, e2e.must("sha256sum " .. e2e.q(got)):match("^(%x+)"))
  end)

  it("passes a half-close", function()
    local srv = e2e.helper_server("halfclose_server.py", guest.dir)
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d 100000")
      :format(e2e.q(e2e.support .. "halfclose_client.py"), srv))
    local sent, sum, got, got_sum = out:match("sent (%d+) (%x+) reply (%d+) (%x+)")
    assert.equals("100000", sent, out)
    assert.equals(sent, got)
    assert.equals(sum, got_sum)
  end)
end)
