-- SPDX-License-Identifier: MIT
-- Proves that the connection limit refuses excess connections with a
-- reset and a counter, that idle connections are reaped, and that a
-- denied UDP flow gets ICMP unreachable from the rules.

local e2e = require("spec.support.e2e")

describe("limits and reaping", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("refuses connections past --max-tcp-flows", function()
    e2e.require_root()
    local guest = e2e.tap_guest("--allow-net 127.0.0.1/32 --max-tcp-flows 3")
    local srv = e2e.helper_server("tools/bench.d/hold_server.py", guest.dir,
      e2e.q(guest.dir .. "/held") .. " 120")
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d 5")
      :format(e2e.q(e2e.support .. "hold_client.py"), srv))
    assert.matches("conn 2 ok", out, 1, true)
    assert.matches("conn 3 error ECONNREFUSED", out, 1, true)
    assert.matches("conn 4 error ECONNREFUSED", out, 1, true)
    assert.equals(2, e2e.counters(guest.sluice).tcp_refused_limit)
  end)

  it("resets connections idle past --tcp-idle-timeout", function()
    e2e.require_root()
    local guest = e2e.tap_guest("--allow-net 127.0.0.1/32 --tcp-idle-timeout 1")
    local srv = e2e.helper_server("tools/bench.d/hold_server.py", guest.dir,
      e2e.q(guest.dir .. "/held") .. " 120")
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d 1 3")
      :format(e2e.q(e2e.support .. "hold_client.py"), srv))
    assert.matches("conn 0 ok", out, 1, true)
    assert.matches("conn 0 reset", out, 1, true)
    assert.equals(1, e2e.counters(guest.sluice).tcp_reaped)
  end)

  it("denies a UDP flow by rule with ICMP unreachable", function()
    e2e.require_root()
    local rules = e2e.tmpdir()
    e2e.write(rules .. "/10-udp.lua", [[
local sluice = require "sluice"
return {
  connect = function(c)
    print("checking", c.proto, c.port)
    if c.proto == "udp" then return sluice.deny{ reason = "no UDP" } end
  end,
}
]])
    local guest = e2e.tap_guest("--allow-net 127.0.0.1/32 --rules " .. e2e.q(rules))
    local echo = e2e.helper_server("udp_echo.py", guest.dir)
    local out = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.2 %d ping")
      :format(e2e.q(e2e.support .. "udp_client.py"), echo))
    assert.matches("error EHOSTUNREACH", out, 1, true)
    assert.equals(1, e2e.counters(guest.sluice).udp_refused_policy)
    -- print() in a rule goes to the log with the rule's file:line
    assert.matches("rules: 10-udp.lua:4: checking udp " .. echo,
      e2e.read(guest.sluice.log), 1, true)
  end)
end)
