-- SPDX-License-Identifier: MIT
-- Matchers: domain(), domains(), cidr() and ports().

local sluice = require "sluice"
local testing = require "sluice.testing"

-- Return the error of a rule file whose second line is the given statement.
local function load_error(statement)
  local source = 'local sluice = require "sluice"\n' .. statement .. "\nreturn {}\n"
  local ok, err = pcall(testing.load_files, { ["10-a.lua"] = source })
  assert.is_false(ok, "the file loaded without an error")
  return err
end

describe("domain", function()
  it("matches an exact name", function()
    assert.is_true(sluice.domain("example.com", "example.com"))
  end)

  it("does not match a subdomain with an exact pattern", function()
    assert.is_false(sluice.domain("www.example.com", "example.com"))
  end)

  it("ignores case in the name", function()
    assert.is_true(sluice.domain("WWW.Example.COM", "www.example.com"))
  end)

  it("ignores case in the pattern", function()
    assert.is_true(sluice.domain("www.example.com", "*.EXAMPLE.com"))
  end)

  it("ignores one trailing dot on the name", function()
    assert.is_true(sluice.domain("example.com.", "example.com"))
  end)

  it("ignores one trailing dot on the pattern", function()
    assert.is_true(sluice.domain("example.com", "example.com."))
    assert.is_true(sluice.domain("a.example.com.", "*.example.com."))
  end)

  it("does not ignore two trailing dots", function()
    assert.is_false(sluice.domain("example.com..", "example.com"))
  end)

  it("matches a subdomain with a wildcard", function()
    assert.is_true(sluice.domain("www.example.com", "*.example.com"))
  end)

  it("matches deeper subdomains with a wildcard", function()
    assert.is_true(sluice.domain("a.b.c.example.com", "*.example.com"))
  end)

  it("does not match the apex with a wildcard", function()
    assert.is_false(sluice.domain("example.com", "*.example.com"))
  end)

  it("does not match a name that only ends with the same letters", function()
    assert.is_false(sluice.domain("badexample.com", "*.example.com"))
    assert.is_false(sluice.domain("badexample.com", "example.com"))
  end)

  it("does not match a name that contains the pattern as a prefix", function()
    assert.is_false(sluice.domain("example.com.attacker.test", "example.com"))
    assert.is_false(sluice.domain("www.example.com.attacker.test", "*.example.com"))
  end)

  it("matches when any of several patterns matches", function()
    assert.is_true(sluice.domain("example.org", "example.com", "example.org"))
    assert.is_false(sluice.domain("example.net", "example.com", "example.org"))
  end)

  it("passes punycode names through", function()
    assert.is_true(sluice.domain("xn--bcher-kva.example", "xn--bcher-kva.example"))
    assert.is_true(sluice.domain("shop.xn--bcher-kva.example", "*.XN--BCHER-KVA.example"))
  end)

  it("rejects a non-ASCII pattern with a hint to punycode", function()
    assert.truthy(load_error('sluice.domain("x", "bücher.example")'):find(
      "10-a.lua:2: domain: invalid pattern \"b\195\188cher.example\": contains non-ASCII characters; write the punycode form (xn--...)",
      1, true))
  end)

  it("does not match a nil name", function()
    assert.is_false(sluice.domain(nil, "example.com"))
  end)

  it("does not match a non-string name", function()
    assert.is_false(sluice.domain(42, "example.com"))
    assert.is_false(sluice.domain({}, "*.example.com"))
  end)

  it("does not match an empty name", function()
    assert.is_false(sluice.domain("", "example.com"))
    assert.is_false(sluice.domain(".", "example.com"))
  end)

  it("gives the same answers for many different names", function()
    for round = 1, 2 do
      for i = 1, 300 do
        assert.is_true(sluice.domain(("Host%d.Example.com."):format(i), "*.example.com"), round)
        assert.is_false(sluice.domain(("host%d.example.org"):format(i), "*.example.com"), round)
      end
    end
  end)

  it("rejects invalid patterns at the caller's line", function()
    local cases = {
      ['""'] = "is empty",
      ['"*"'] = "needs a domain after '*.', as in *.example.com; there is no pattern for every name",
      ['"*."'] = "needs a domain after '*.', as in *.example.com; there is no pattern for every name",
      ['"a.*.com"'] = "may contain '*' only as its first label, as in *.example.com",
      ['"**.example.com"'] = "may contain '*' only as its first label, as in *.example.com",
      ['"a..com"'] = "has an empty label",
      ['"exa mple.com"'] = "may contain only letters, digits, '-', '_' and '.'",
      ['"' .. ("a"):rep(64) .. '.com"'] = "has a label longer than 63 characters",
    }
    for pattern, problem in pairs(cases) do
      local err = load_error(("sluice.domain(\"x\", %s)"):format(pattern))
      assert.are.equal(("10-a.lua:2: domain: invalid pattern %s: %s"):format(pattern, problem), err)
    end
  end)

  it("rejects a pattern that is not a string", function()
    assert.are.equal("10-a.lua:2: domain: pattern must be a string, got nil",
      load_error('sluice.domain("x", nil)'))
  end)

  it("checks patterns even when the name is nil", function()
    assert.are.equal('10-a.lua:2: domain: invalid pattern "a..b": has an empty label',
      load_error('sluice.domain(nil, "a..b")'))
  end)

  it("requires at least one pattern", function()
    assert.are.equal("10-a.lua:2: domain: expected at least one pattern after the name",
      load_error('sluice.domain("x")'))
  end)
end)

describe("domains", function()
  local set = sluice.domains{ "example.com", "*.example.org", "*.Example.NET.", "api.example.net" }

  it("matches exact names", function()
    assert.is_true(set:match("example.com"))
    assert.is_false(set:match("www.example.com"))
  end)

  it("matches subdomains of wildcards but not the apex", function()
    assert.is_true(set:match("www.example.org"))
    assert.is_true(set:match("a.b.example.org"))
    assert.is_false(set:match("example.org"))
  end)

  it("ignores case and one trailing dot", function()
    assert.is_true(set:match("EXAMPLE.com."))
    assert.is_true(set:match("x.example.net"))
    assert.is_true(set:match("API.example.net."))
  end)

  it("does not match look-alike names", function()
    assert.is_false(set:match("notexample.org"))
    assert.is_false(set:match("example.org.attacker.test"))
  end)

  it("does not match nil, numbers or empty names", function()
    assert.is_false(set:match(nil))
    assert.is_false(set:match(7))
    assert.is_false(set:match(""))
  end)

  it("matches nothing when empty", function()
    assert.is_false(sluice.domains{}:match("example.com"))
  end)

  it("gives the same answers after its memo of recent names fills", function()
    local wide = sluice.domains{ "*.example.com" }
    for round = 1, 3 do
      for i = 1, 300 do
        assert.is_true(wide:match(("host%d.example.com"):format(i)), round)
        assert.is_false(wide:match(("host%d.example.org"):format(i)), round)
      end
    end
  end)

  it("rejects an invalid pattern at the caller's line", function()
    assert.are.equal('10-a.lua:2: domains: invalid pattern "a.*": may contain \'*\' only as its first label, as in *.example.com',
      load_error('sluice.domains{ "example.com", "a.*" }'))
  end)

  it("rejects a non-table argument", function()
    assert.are.equal("10-a.lua:2: domains: expected a table of patterns, got string",
      load_error('sluice.domains("example.com")'))
  end)

  it("rejects named keys", function()
    assert.are.equal("10-a.lua:2: domains: unexpected key web; list the patterns as an array",
      load_error('sluice.domains{ web = "example.com" }'))
  end)
end)

describe("cidr", function()
  it("contains addresses inside an IPv4 block", function()
    local set = sluice.cidr("10.0.0.0/8")
    assert.is_true(set:contains("10.0.0.0"))
    assert.is_true(set:contains("10.255.255.255"))
    assert.is_false(set:contains("11.0.0.0"))
    assert.is_false(set:contains("9.255.255.255"))
  end)

  it("contains every IPv4 address in /0 but no IPv6 address", function()
    local set = sluice.cidr("0.0.0.0/0")
    assert.is_true(set:contains("0.0.0.0"))
    assert.is_true(set:contains("255.255.255.255"))
    assert.is_false(set:contains("2001:db8::1"))
  end)

  it("contains only one address in /32", function()
    local set = sluice.cidr("192.0.2.7/32")
    assert.is_true(set:contains("192.0.2.7"))
    assert.is_false(set:contains("192.0.2.6"))
    assert.is_false(set:contains("192.0.2.8"))
  end)

  it("reads a bare address as a single-address block", function()
    assert.is_true(sluice.cidr("192.0.2.7"):contains("192.0.2.7"))
    assert.is_false(sluice.cidr("192.0.2.7"):contains("192.0.2.70"))
    assert.is_true(sluice.cidr("2001:db8::7"):contains("2001:db8:0:0:0:0:0:7"))
  end)

  it("handles prefixes that do not fall on a byte boundary", function()
    local set = sluice.cidr("198.51.100.64/26")
    assert.is_true(set:contains("198.51.100.64"))
    assert.is_true(set:contains("198.51.100.127"))
    assert.is_false(set:contains("198.51.100.63"))
    assert.is_false(set:contains("198.51.100.128"))
  end)

  it("contains addresses inside an IPv6 block", function()
    local set = sluice.cidr("2001:db8::/32")
    assert.is_true(set:contains("2001:db8::1"))
    assert.is_true(set:contains("2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF"))
    assert.is_false(set:contains("2001:db9::"))
    assert.is_false(set:contains("10.0.0.1"))
  end)

  it("contains every IPv6 address in ::/0", function()
    local set = sluice.cidr("::/0")
    assert.is_true(set:contains("::"))
    assert.is_true(set:contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    assert.is_false(set:contains("192.0.2.1"))
  end)

  it("contains only one address in /128", function()
    local set = sluice.cidr("2001:db8::1/128")
    assert.is_true(set:contains("2001:db8:0::1"))
    assert.is_false(set:contains("2001:db8::2"))
  end)

  it("handles IPv6 prefixes in the low half", function()
    local set = sluice.cidr("2001:db8:0:0:8000::/65")
    assert.is_true(set:contains("2001:db8::8000:0:0:1"))
    assert.is_true(set:contains("2001:db8::ffff:0:0:1"))
    assert.is_false(set:contains("2001:db8::7fff:0:0:1"))
  end)

  it("matches an IPv4-mapped IPv6 address against IPv4 blocks", function()
    local set = sluice.cidr("10.0.0.0/8")
    assert.is_true(set:contains("::ffff:10.1.2.3"))
    assert.is_true(set:contains("::ffff:a01:203"))
    assert.is_false(set:contains("::ffff:11.1.2.3"))
  end)

  it("combines several blocks of both families", function()
    local set = sluice.cidr("10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32")
    assert.is_true(set:contains("10.1.1.1"))
    assert.is_true(set:contains("192.0.2.200"))
    assert.is_true(set:contains("2001:db8::5"))
    assert.is_false(set:contains("198.51.100.1"))
  end)

  it("accepts one array of blocks", function()
    local set = sluice.cidr{ "10.0.0.0/8", "2001:db8::/32" }
    assert.is_true(set:contains("10.0.0.1"))
    assert.is_true(set:contains("2001:db8::1"))
  end)

  it("gives the same answers after its memo of recent addresses fills", function()
    local set = sluice.cidr("10.0.0.0/16")
    for round = 1, 3 do
      for i = 0, 299 do
        assert.is_true(set:contains(("10.0.%d.%d"):format(i // 256, i % 256)), round)
        assert.is_false(set:contains(("10.1.%d.%d"):format(i // 256, i % 256)), round)
      end
    end
  end)

  it("does not contain nil, numbers or invalid address text", function()
    local set = sluice.cidr("0.0.0.0/0", "::/0")
    for _, value in ipairs({ 1, "", "10.0.0.1 ", "10.0.0", "10.0.0.256", "010.0.0.1", "::1::",
      "fe80::1%eth0", "[::1]", "example.com" }) do
      assert.is_false(set:contains(value), ("matched %q"):format(tostring(value)))
    end
    assert.is_false(set:contains(nil))
  end)

  it("rejects invalid blocks at the caller's line", function()
    local cases = {
      ["10.0.0.0/33"] = "invalid CIDR block \"10.0.0.0/33\": an IPv4 prefix is at most 32 bits",
      ["::/129"] = "invalid CIDR block \"::/129\": an IPv6 prefix is at most 128 bits",
      ["10.0.0.1/8"] = "invalid CIDR block \"10.0.0.1/8\": address bits are set past the /8 prefix",
      ["2001:db8::1/32"] = "invalid CIDR block \"2001:db8::1/32\": address bits are set past the /32 prefix",
      ["256.0.0.0/8"] = "invalid CIDR block \"256.0.0.0/8\": \"256.0.0.0\" is not an IPv4 or IPv6 address",
      ["10.0.0/8"] = "invalid CIDR block \"10.0.0/8\": \"10.0.0\" is not an IPv4 or IPv6 address",
      ["010.0.0.0/8"] = "invalid CIDR block \"010.0.0.0/8\": \"010.0.0.0\" is not an IPv4 or IPv6 address",
      ["fe80::%eth0/64"] = "invalid CIDR block \"fe80::%eth0/64\": \"fe80::%eth0\" is not an IPv4 or IPv6 address",
      ["2001:db8::/"] = "invalid CIDR block \"2001:db8::/\"",
      ["10.0.0.0/ 8"] = "invalid CIDR block \"10.0.0.0/ 8\"",
      ["10.0.0.0/08"] = "invalid prefix length in \"10.0.0.0/08\"",
    }
    for block, problem in pairs(cases) do
      assert.are.equal("10-a.lua:2: cidr: " .. problem, load_error(('sluice.cidr("%s")'):format(block)))
    end
  end)

  it("rejects a block that is not a string", function()
    assert.are.equal('10-a.lua:2: cidr: expected a string like "192.0.2.0/24", got number',
      load_error("sluice.cidr(10)"))
  end)

  it("requires at least one block", function()
    assert.are.equal("10-a.lua:2: cidr: expected at least one value", load_error("sluice.cidr()"))
  end)
end)

describe("ports", function()
  local set = sluice.ports(80, 443, "8000-8999", "53")

  it("contains single ports given as numbers or strings", function()
    assert.is_true(set:contains(80))
    assert.is_true(set:contains(443))
    assert.is_true(set:contains(53))
    assert.is_false(set:contains(81))
  end)

  it("contains both ends of a range", function()
    assert.is_true(set:contains(8000))
    assert.is_true(set:contains(8999))
    assert.is_true(set:contains(8500))
    assert.is_false(set:contains(7999))
    assert.is_false(set:contains(9000))
  end)

  it("contains a port given as an integral float", function()
    assert.is_true(set:contains(443.0))
  end)

  it("does not contain nil, strings or fractions", function()
    assert.is_false(set:contains(nil))
    assert.is_false(set:contains("443"))
    assert.is_false(set:contains(443.5))
  end)

  it("accepts one array of ports", function()
    assert.is_true(sluice.ports{ 22, "2200-2299" }:contains(2222))
  end)

  it("accepts port 0 and port 65535", function()
    local edges = sluice.ports(0, 65535)
    assert.is_true(edges:contains(0))
    assert.is_true(edges:contains(65535))
  end)

  it("rejects invalid ports and ranges at the caller's line", function()
    for _, entry in ipairs({ "65536", "-1", '"80-70"', '"http"', '"08"', '"1-"', "1.5", '"1-65536"', "{ 70000 }" }) do
      local err = load_error(("sluice.ports(%s)"):format(entry))
      assert.truthy(err:find("^10%-a%.lua:2: ports: invalid port or range "), err)
    end
  end)

  it("requires at least one port", function()
    assert.are.equal("10-a.lua:2: ports: expected at least one value", load_error("sluice.ports()"))
  end)
end)
