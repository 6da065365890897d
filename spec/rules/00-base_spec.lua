-- SPDX-License-Identifier: MIT
-- rules/00-base.lua: ANY refused, QUIC denied, literal addresses and TXT queries tagged.

local testing = require "sluice.testing"

local rules_dir = debug.getinfo(1, "S").source:match("^@(.*)spec/rules/[^/]*$") .. "rules"
local gen = testing.load(rules_dir)

describe("00-base.lua", function()
  it("refuses ANY queries", function()
    local d = testing.decide(gen, testing.dns{ name = "example.com", type = "ANY" })
    assert.are.equal("deny", d.action)
    assert.are.equal("REFUSED", d.rcode)
    assert.are.equal("ANY queries are not answered", d.reason)
    assert.are.equal("00-base.lua", d.file)
  end)

  it("tags TXT queries and lets later rules decide", function()
    local allowed = testing.decide(gen, testing.dns{ name = "example.com", type = "TXT" })
    assert.are.equal("allow", allowed.action)
    assert.are.same({ "dns-txt" }, allowed.tags)

    local denied = testing.decide(gen, testing.dns{ name = "tunnel.attacker.test", type = "TXT" })
    assert.are.equal("deny", denied.action)
    assert.is_true(denied.default)
    assert.are.same({ "dns-txt" }, denied.tags)
  end)

  it("does not tag A queries", function()
    assert.are.same({}, testing.decide(gen, testing.dns{ name = "example.com" }).tags)
  end)

  it("denies QUIC even to allowed names", function()
    local d = testing.decide(gen, testing.connect{ proto = "udp", port = 443, name = "www.example.com" })
    assert.are.equal("deny", d.action)
    assert.are.equal("QUIC is blocked; use HTTPS over TCP", d.reason)
    assert.are.equal("00-base.lua", d.file)
  end)

  it("tags a connection to a literal address", function()
    local d = testing.decide(gen, testing.connect{ dst = "203.0.113.9", port = 443 })
    assert.are.equal("deny", d.action)
    assert.are.same({ "literal-address" }, d.tags)
  end)

  it("does not tag a connection with a DNS name", function()
    local d = testing.decide(gen, testing.connect{ name = "www.example.com", port = 443 })
    assert.are.same({}, d.tags)
  end)

  it("runs first", function()
    assert.are.equal("00-base.lua", gen:order()[1].file)
  end)
end)
