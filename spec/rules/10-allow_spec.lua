-- SPDX-License-Identifier: MIT
-- rules/10-allow.lua: the allow list by name, the host API server and the build cache.

local testing = require "sluice.testing"

local rules_dir = debug.getinfo(1, "S").source:match("^@(.*)spec/rules/[^/]*$") .. "rules"
local gen = testing.load(rules_dir)

local function decide(event)
  return testing.decide(gen, event)
end

describe("10-allow.lua dns", function()
  it("allows the listed names and their subdomains", function()
    for _, name in ipairs({ "example.com", "www.example.com", "a.b.example.com", "deb.example.net" }) do
      local d = decide(testing.dns{ name = name })
      assert.are.equal("allow", d.action, name)
      assert.are.equal("10-allow.lua", d.file, name)
    end
  end)

  it("allows every query type of a listed name", function()
    assert.are.equal("allow", decide(testing.dns{ name = "www.example.com", type = "HTTPS" }).action)
  end)

  it("denies other names with NXDOMAIN", function()
    for _, name in ipairs({ "example.net", "www.deb.example.net", "examples.com", "example.com.attacker.test" }) do
      local d = decide(testing.dns{ name = name })
      assert.are.equal("deny", d.action, name)
      assert.are.equal("NXDOMAIN", d.rcode, name)
      assert.is_true(d.default, name)
    end
  end)
end)

describe("10-allow.lua connect", function()
  it("allows TCP ports 80 and 443 to listed names", function()
    for _, port in ipairs({ 80, 443 }) do
      local d = decide(testing.connect{ name = "api.example.com", port = port })
      assert.are.equal("allow", d.action, port)
      assert.are.equal("10-allow.lua", d.file, port)
    end
  end)

  it("denies other ports to listed names", function()
    local d = decide(testing.connect{ name = "api.example.com", port = 22 })
    assert.are.equal("deny", d.action)
    assert.is_true(d.default)
  end)

  it("denies UDP to listed names", function()
    assert.are.equal("deny", decide(testing.connect{ proto = "udp", name = "api.example.com", port = 80 }).action)
  end)

  it("denies names that are not listed", function()
    assert.are.equal("deny", decide(testing.connect{ name = "example.net", port = 443 }).action)
  end)

  it("allows the host API server on the gateway's port 8080", function()
    local d = decide(testing.connect{ dst = "10.0.2.2", port = 8080 })
    assert.are.equal("allow", d.action)
    assert.are.equal("host API server", d.reason)
  end)

  it("denies other ports on the gateway", function()
    for _, port in ipairs({ 22, 8081, 5432 }) do
      assert.are.equal("deny", decide(testing.connect{ dst = "10.0.2.2", port = port }).action, port)
    end
  end)

  it("allows the build cache on ports 8000 to 8099", function()
    for _, port in ipairs({ 8000, 8042, 8099 }) do
      local d = decide(testing.connect{ dst = "198.51.100.7", port = port })
      assert.are.equal("allow", d.action, port)
      assert.are.equal("build cache", d.reason, port)
      assert.are.same({ "literal-address" }, d.tags, port)
    end
  end)

  it("denies the build cache network outside its ports", function()
    assert.are.equal("deny", decide(testing.connect{ dst = "198.51.100.7", port = 8100 }).action)
    assert.are.equal("deny", decide(testing.connect{ dst = "198.51.100.7", port = 443 }).action)
  end)

  it("denies addresses next to the build cache network", function()
    assert.are.equal("deny", decide(testing.connect{ dst = "198.51.101.7", port = 8000 }).action)
  end)
end)

describe("10-allow.lua tls and http", function()
  it("intercepts TLS to listed names", function()
    local d = decide(testing.tls{ sni = "www.example.com" })
    assert.are.equal("intercept", d.action)
  end)

  it("denies TLS to other names", function()
    assert.are.equal("deny", decide(testing.tls{ sni = "example.org" }).action)
    assert.are.equal("deny", decide(testing.tls{}).action)
  end)

  it("denies TLS to a literal address, whatever its SNI", function()
    assert.are.equal("deny", decide(testing.tls{ sni = "www.example.com", name = false }).action)
  end)

  it("allows HTTP requests to listed hosts", function()
    assert.are.equal("allow", decide(testing.http{ host = "deb.example.net", scheme = "http" }).action)
  end)

  it("denies HTTP requests to other hosts with 403", function()
    local d = decide(testing.http{ host = "example.org" })
    assert.are.equal("deny", d.action)
    assert.are.equal(403, d.status)
  end)
end)
