-- SPDX-License-Identifier: MIT
-- Proves that scoped handlers decide in the gateway. A connect handler
-- scoped to one name and one port allows exactly that pair. A dns handler
-- scoped to *.test leaves other names to the default. The audit log names
-- the scoped handler's verdict line.

local e2e = require("spec.support.e2e")
local json = require("dkjson")

local RECORDS = {
  "address=/web.test/127.0.0.1",
  "address=/other.test/127.0.0.1",
}

-- The allow verdict of the connect handler is on line 11.
local function rules_text(port)
  return ([[
local sluice = require "sluice"
return {
  dns = {
    names = "*.test",
    handler = function(q) return sluice.allow() end,
  },
  connect = {
    names = { "web.test" },
    ports = { %d },
    handler = function(c)
      return sluice.allow{ reason = "scoped" }
    end,
  },
}
]]):format(port)
end

local function curl(guest, url)
  return e2e.in_ns(guest.ns, "curl -sS --max-time 10 " .. url)
end

describe("scoped handlers deciding a namespace guest's traffic", function()
  local guest, port, other_port, audit

  setup(function()
    e2e.require_root()
    local www = e2e.tmpdir()
    e2e.write(www .. "/index.html", "hello in scope\n")
    port = e2e.http_server(www)
    other_port = e2e.http_server(www)
    guest = e2e.rules_guest(RECORDS, { ["10-scoped.lua"] = rules_text(port) })
    audit = guest.audit
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("allows the scoped name on the scoped port", function()
    local out, status = curl(guest, ("http://web.test:%d/index.html"):format(port))
    assert.equals(0, status, out)
    assert.equals("hello in scope\n", out)
  end)

  it("refuses another name on the scoped port", function()
    local out, status = curl(guest, ("http://other.test:%d/index.html"):format(port))
    assert.equals(7, status, out)
  end)

  it("refuses the scoped name on another port", function()
    local out, status = curl(guest, ("http://web.test:%d/index.html"):format(other_port))
    assert.equals(7, status, out)
  end)

  it("answers a name outside the dns scope with NXDOMAIN", function()
    local out = e2e.in_ns(guest.ns, "dig +time=3 +tries=1 @10.0.2.2 example.org A")
    assert.matches("status: NXDOMAIN", out, 1, true)
  end)

  it("audits the scoped handler's verdict line and the defaults", function()
    e2e.stop(guest.sluice)
    local allowed, denied = {}, {}
    for line in e2e.read(audit):gmatch("[^\n]+") do
      local l = assert(json.decode(line), line)
      if l.event == "connect" and l.verdict == "allow" then
        allowed[#allowed + 1] = l
      elseif l.event == "connect" then
        denied[#denied + 1] = l
      end
    end
    assert.equals(1, #allowed)
    assert.equals("web.test", allowed[1].name)
    assert.equals("10-scoped.lua:11", allowed[1].rule)
    assert.equals("scoped", allowed[1].reason)
    assert.equals(2, #denied)
    for _, l in ipairs(denied) do
      assert.equals("no rule matched", l.reason)
    end
  end)
end)
