-- SPDX-License-Identifier: MIT
-- Proves that every stream variant works (sluice connecting to a listening
-- QEMU, TCP instead of a unix socket), that a guest disconnect drops its
-- state and the next guest is served, and that --pcap records the link.

local e2e = require("spec.support.e2e")

local function fetch(ns, port, path)
  return e2e.in_ns(ns, ("curl -sS --max-time 20 http://10.0.2.2:%d/%s")
    :format(port, path))
end

describe("guest links", function()
  local www, port

  setup(function()
    e2e.require_root()
    www = e2e.tmpdir()
    e2e.write(www .. "/hello.txt", "hello\n")
    e2e.must("head -c 30000000 /dev/urandom > " .. e2e.q(www .. "/big.bin"))
    port = e2e.http_server(www)
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("connects to a listening QEMU with --stream-connect", function()
    local dir = e2e.tmpdir()
    local dev, ns = e2e.name("slc"), e2e.netns()
    local sock = dir .. "/qemu.sock"
    local bridge = e2e.spawn(("%s --listen %s %s"):format(e2e.tapbridge, dev, sock),
      dir .. "/bridge.log")
    e2e.wait_for("the bridge to listen", 10, function()
      return e2e.read(bridge.log):find("listening", 1, true)
    end)
    e2e.start_sluice("--stream-connect " .. sock, "--allow-net 127.0.0.1/32", dir)
    assert.matches("ip=10.0.2.15", e2e.guest_dhcp(ns, dev), 1, true)
    assert.equals("hello\n", (fetch(ns, port, "hello.txt")))
  end)

  it("serves a stream over TCP on loopback", function()
    local dir = e2e.tmpdir()
    local dev, ns = e2e.name("slp"), e2e.netns()
    local addr = "127.0.0.1:" .. e2e.free_port()
    e2e.start_sluice("--stream-listen " .. addr, "--allow-net 127.0.0.1/32", dir)
    e2e.spawn(("%s %s %s"):format(e2e.tapbridge, dev, addr), dir .. "/bridge.log")
    assert.matches("ip=10.0.2.15", e2e.guest_dhcp(ns, dev), 1, true)
    assert.equals("hello\n", (fetch(ns, port, "hello.txt")))
  end)

  it("drops a disconnected guest's flows and serves the next guest", function()
    local guest = e2e.stream_guest("--allow-net 127.0.0.1/32")
    local dl = e2e.spawn(("ip netns exec %s curl -sS --limit-rate 2M -o /dev/null "
      .. "http://10.0.2.2:%d/big.bin"):format(guest.ns, port), guest.dir .. "/curl.log")
    e2e.wait_for("the download to start", 10, function()
      return (e2e.counters(guest.sluice).tcp_flows_opened or 0) >= 1
    end)
    e2e.stop(guest.bridge)
    e2e.wait_for("the disconnect", 10, function()
      return e2e.read(guest.sluice.log):find("guest state cleared", 1, true)
    end)
    e2e.stop(dl)
    local c = e2e.counters(guest.sluice)
    assert.equals(1, c.link_disconnects)
    -- a new guest on the same socket
    local dev, ns = e2e.name("sln"), e2e.netns()
    e2e.spawn(("%s %s %s"):format(e2e.tapbridge, dev, guest.sock), guest.dir .. "/bridge2.log")
    assert.matches("ip=10.0.2.15", e2e.guest_dhcp(ns, dev), 1, true)
    assert.equals("hello\n", (fetch(ns, port, "hello.txt")))
  end)

  it("recreates a TAP device whose namespace was deleted", function()
    local guest = e2e.tap_guest("--allow-net 127.0.0.1/32")
    e2e.must("ip netns del " .. guest.ns)
    e2e.wait_for("the link drop", 10, function()
      return e2e.read(guest.sluice.log):find("guest state cleared", 1, true)
    end)
    local ns = e2e.netns()
    assert.matches("ip=10.0.2.15", e2e.guest_dhcp(ns, guest.dev), 1, true)
    assert.equals("hello\n", (fetch(ns, port, "hello.txt")))
    local c = e2e.counters(guest.sluice)
    assert.equals(1, c.link_disconnects)
  end)

  it("refuses to take over a socket another sluice listens on", function()
    local dir = e2e.tmpdir()
    local sock = dir .. "/busy.sock"
    e2e.start_sluice("--stream-listen " .. sock, "", dir)
    local out, status = e2e.sh(e2e.sluice .. " --stream-listen " .. sock .. " 2>&1")
    assert.equals(1, status, out)
    assert.matches("is in use by another process", out, 1, true)
  end)

  it("writes a capture that tshark reads, owner-only, rotated on SIGHUP", function()
    local dir = e2e.tmpdir()
    local pcap = dir .. "/link.pcap"
    local guest = e2e.tap_guest("--pcap " .. pcap)
    assert.equals("600", e2e.sh("stat -c %a " .. e2e.q(pcap)):match("%d+"))
    e2e.in_ns(guest.ns, "busybox ping -c 1 -W 2 10.0.2.2")
    assert(os.rename(pcap, pcap .. ".1"))
    os.execute("kill -HUP " .. guest.sluice.pid)
    e2e.wait_for("the new capture file", 5, function()
      return e2e.sh("test -s " .. e2e.q(pcap) .. " && echo yes"):find("yes", 1, true)
    end)
    e2e.in_ns(guest.ns, "busybox ping -c 1 -W 2 10.0.2.2")
    e2e.stop(guest.sluice)
    local out, status = e2e.sh("tshark -r " .. e2e.q(pcap .. ".1") .. " 2>&1")
    assert.equals(0, status, out)
    assert.matches("DHCP Offer", out, 1, true)
    assert.matches("DHCP ACK", out, 1, true)
    assert.matches("Echo %(ping%) reply", out)
    out, status = e2e.sh("tshark -r " .. e2e.q(pcap) .. " 2>&1")
    assert.equals(0, status, out)
    assert.matches("Echo %(ping%) reply", out)
    assert.is_nil(out:find("DHCP Offer", 1, true), "the new file starts after the rotation")
  end)
end)
