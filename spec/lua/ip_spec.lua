-- SPDX-License-Identifier: MIT
-- Address text parsing behind cidr(): what counts as IPv4 and IPv6 text.

local ip = require "sluice.ip"

describe("ip.parse_ipv4", function()
  it("parses dotted-decimal addresses", function()
    assert.are.equal(0, ip.parse_ipv4("0.0.0.0"))
    assert.are.equal(0xffffffff, ip.parse_ipv4("255.255.255.255"))
    assert.are.equal(0xc0000201, ip.parse_ipv4("192.0.2.1"))
  end)

  it("rejects other IPv4 spellings", function()
    for _, text in ipairs({ "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.0x4",
      "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1234.1.1.1", "3232235521" }) do
      assert.is_nil(ip.parse_ipv4(text), ("accepted %q"):format(text))
    end
  end)
end)

describe("ip.parse_ipv6", function()
  local function halves(text)
    local high, low = ip.parse_ipv6(text)
    return { high, low }
  end

  it("parses the full form", function()
    assert.are.same({ 0x20010db800000000, 1 }, halves("2001:0db8:0000:0000:0000:0000:0000:0001"))
  end)

  it("parses compressed forms", function()
    assert.are.same({ 0, 0 }, halves("::"))
    assert.are.same({ 0, 1 }, halves("::1"))
    assert.are.same({ 0x20010db800000000, 0 }, halves("2001:db8::"))
    assert.are.same({ 0x0001000200030004, 0x0005000600070000 }, halves("1:2:3:4:5:6:7::"))
    assert.are.same({ 0x0001000000000000, 0x0000000000000008 }, halves("1::8"))
  end)

  it("parses an IPv4 tail", function()
    assert.are.same({ 0, 0x0000ffffc0000201 }, halves("::ffff:192.0.2.1"))
    assert.are.same({ 0x0001000200030004, 0x00050006c0000201 }, halves("1:2:3:4:5:6:192.0.2.1"))
  end)

  it("ignores the case of hex digits", function()
    assert.are.same(halves("2001:db8::abcd"), halves("2001:DB8::ABCD"))
  end)

  it("rejects invalid IPv6 text", function()
    for _, text in ipairs({ "", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
      "12345::", "g::", ":1::", "1::2:", "1.2.3.4::", "::1.2.3", "fe80::1%eth0", "[::1]",
      "1:2:3:4:5:6:7:8::", "::1.2.3.4:5" }) do
      assert.is_nil(ip.parse_ipv6(text), ("accepted %q"):format(text))
    end
  end)
end)

describe("ip.mapped_ipv4", function()
  it("finds the IPv4 address of a mapped address", function()
    assert.are.equal(0xc0000201, ip.mapped_ipv4(ip.parse_ipv6("::ffff:192.0.2.1")))
  end)

  it("returns nil for other addresses", function()
    assert.is_nil(ip.mapped_ipv4(ip.parse_ipv6("::192.0.2.1")))
    assert.is_nil(ip.mapped_ipv4(ip.parse_ipv6("2001:db8::ffff:c000:201")))
  end)
end)

describe("ip.mask", function()
  it("keeps the leading bits", function()
    assert.are.equal(0, ip.mask(0, 32))
    assert.are.equal(0xff000000, ip.mask(8, 32))
    assert.are.equal(0xffffffff, ip.mask(32, 32))
    assert.are.equal(0, ip.mask(0, 64))
    assert.are.equal(-1, ip.mask(64, 64))
    assert.are.equal(math.mininteger, ip.mask(1, 64))
  end)
end)
