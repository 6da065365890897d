-- SPDX-License-Identifier: MIT
-- Verdict constructors: valid shapes, argument errors at the caller's line, immutability.

local sluice = require "sluice"
local testing = require "sluice.testing"

-- Load 10-a.lua with the given source and return the load error message.
local function load_error(source)
  local ok, err = pcall(testing.load_files, { ["10-a.lua"] = source })
  assert.is_false(ok, "the file loaded without an error")
  return err
end

-- Return the error of a rule file whose second line builds the verdict expr.
local function construction_error(expr)
  return load_error('local sluice = require "sluice"\nlocal v = sluice.' .. expr .. "\nreturn {}\n")
end

-- Decide one event with a rule file whose handler returns expr (on line 3).
local function decide_with(kind, expr, event)
  local gen = testing.load_files({
    ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { ' .. kind .. " = function(e)\n  return sluice." .. expr .. "\nend }\n",
  })
  return testing.decide(gen, event)
end

describe("allow", function()
  it("builds an allow verdict without a reason", function()
    local v = sluice.allow()
    assert.are.equal("allow", v.action)
    assert.is_nil(v.reason)
  end)

  it("keeps a reason", function()
    assert.are.equal("mirror", sluice.allow{ reason = "mirror" }.reason)
  end)

  it("rejects an unknown field at the caller's line", function()
    assert.are.equal("10-a.lua:2: allow: unknown field 'reson' (expected reason)",
      construction_error('allow{ reson = "x" }'))
  end)

  it("rejects a string argument", function()
    assert.are.equal('10-a.lua:2: allow: expected a table like allow{reason = "..."}, got string',
      construction_error('allow("x")'))
  end)

  it("rejects a second argument", function()
    assert.are.equal("10-a.lua:2: allow: takes one table argument", construction_error("allow({}, 1)"))
  end)
end)

describe("deny", function()
  it("builds a deny verdict without status or rcode", function()
    local v = sluice.deny()
    assert.are.equal("deny", v.action)
    assert.is_nil(v.status)
    assert.is_nil(v.rcode)
  end)

  it("keeps reason and status", function()
    local v = sluice.deny{ reason = "read-only", status = 405 }
    assert.are.equal("read-only", v.reason)
    assert.are.equal(405, v.status)
  end)

  it("accepts each DNS rcode", function()
    for _, rcode in ipairs({ "NXDOMAIN", "REFUSED", "SERVFAIL" }) do
      assert.are.equal(rcode, sluice.deny{ rcode = rcode }.rcode)
    end
  end)

  it("rejects a status below 100", function()
    assert.are.equal("10-a.lua:2: deny: status must be an integer from 100 to 599, got 99",
      construction_error("deny{ status = 99 }"))
  end)

  it("rejects a status above 599", function()
    assert.are.equal("10-a.lua:2: deny: status must be an integer from 100 to 599, got 600",
      construction_error("deny{ status = 600 }"))
  end)

  it("rejects a status that is a string", function()
    assert.are.equal("10-a.lua:2: deny: status must be an integer from 100 to 599, got 403",
      construction_error('deny{ status = "403" }'))
  end)

  it("rejects a fractional status", function()
    assert.are.equal("10-a.lua:2: deny: status must be an integer from 100 to 599, got 403.5",
      construction_error("deny{ status = 403.5 }"))
  end)

  it("rejects an unknown rcode", function()
    assert.are.equal("10-a.lua:2: deny: unknown rcode NOTIMP (expected NXDOMAIN, REFUSED or SERVFAIL)",
      construction_error('deny{ rcode = "NOTIMP" }'))
  end)

  it("rejects a lower-case rcode", function()
    assert.are.equal("10-a.lua:2: deny: unknown rcode nxdomain (expected NXDOMAIN, REFUSED or SERVFAIL)",
      construction_error('deny{ rcode = "nxdomain" }'))
  end)

  it("rejects status and rcode together", function()
    assert.are.equal("10-a.lua:2: deny: status (http) and rcode (dns) exclude each other",
      construction_error('deny{ status = 403, rcode = "REFUSED" }'))
  end)

  it("rejects a reason given as an array entry", function()
    assert.are.equal('10-a.lua:2: deny: unexpected array entry "blocked"; write deny{reason = "..."}',
      construction_error('deny{ "blocked" }'))
  end)

  it("rejects a reason that is not a string", function()
    assert.are.equal("10-a.lua:2: deny: reason must be a string, got number",
      construction_error("deny{ reason = 1 }"))
  end)

  it("rejects a reason with a line break", function()
    assert.are.equal("10-a.lua:2: deny: reason must not contain control characters (it is sent in an HTTP header)",
      construction_error('deny{ reason = "a\\r\\nX-Injected: 1" }'))
  end)

  it("rejects a reason longer than 255 bytes", function()
    assert.are.equal("10-a.lua:2: deny: reason is longer than 255 bytes",
      construction_error('deny{ reason = ("x"):rep(256) }'))
  end)

  it("accepts a reason of 255 bytes", function()
    assert.are.equal(255, #sluice.deny{ reason = ("x"):rep(255) }.reason)
  end)
end)

describe("rewrite", function()
  it("builds an http rewrite of headers, path and host", function()
    local v = sluice.rewrite{
      headers = { ["Authorization"] = "Bearer token", ["X-Debug"] = false },
      path = "/v2/items?page=1",
      host = "API.Example.com",
      reason = "route to v2",
    }
    assert.are.equal("rewrite", v.action)
    assert.are.equal("route to v2", v.reason)
    assert.are.same({
      headers = { ["Authorization"] = "Bearer token", ["X-Debug"] = false },
      path = "/v2/items?page=1",
      host = "api.example.com",
    }, v.rewrite)
  end)

  it("builds a dns rewrite with answer and ttl", function()
    local v = sluice.rewrite{ answer = { "192.0.2.10", "192.0.2.11" }, ttl = 60 }
    assert.are.same({ answer = { "192.0.2.10", "192.0.2.11" }, ttl = 60 }, v.rewrite)
  end)

  it("rejects every framing header", function()
    for _, name in ipairs({ "Content-Length", "transfer-encoding", "Connection", "Keep-Alive",
      "Upgrade", "TE", "Trailer", "Host" }) do
      local err = construction_error(('rewrite{ headers = { ["%s"] = "x" } }'):format(name))
      assert.are.equal(("10-a.lua:2: rewrite: header '%s' frames or routes the message and cannot be rewritten"):format(name), err)
    end
  end)

  it("rejects removing a framing header", function()
    assert.are.equal("10-a.lua:2: rewrite: header 'Content-Length' frames or routes the message and cannot be rewritten",
      construction_error('rewrite{ headers = { ["Content-Length"] = false } }'))
  end)

  it("rejects an invalid header name", function()
    assert.are.equal('10-a.lua:2: rewrite: invalid header name "X Bad"',
      construction_error('rewrite{ headers = { ["X Bad"] = "1" } }'))
  end)

  it("rejects a header value with a line break", function()
    assert.are.equal("10-a.lua:2: rewrite: header 'X-A' contains control characters",
      construction_error('rewrite{ headers = { ["X-A"] = "1\\r\\nX-B: 2" } }'))
  end)

  it("rejects a header value that is a number", function()
    assert.are.equal("10-a.lua:2: rewrite: header 'X-A' must be a string or false (to remove it), got number",
      construction_error('rewrite{ headers = { ["X-A"] = 1 } }'))
  end)

  it("rejects one header given twice in different case", function()
    local err = construction_error('rewrite{ headers = { ["X-A"] = "1", ["x-a"] = "2" } }')
    assert.truthy(err:match("^10%-a%.lua:2: rewrite: header '[Xx]%-[Aa]' is given twice with different case$"), err)
  end)

  it("rejects empty headers", function()
    assert.are.equal("10-a.lua:2: rewrite: headers is empty", construction_error("rewrite{ headers = {} }"))
  end)

  it("rejects a path without a leading slash", function()
    assert.are.equal("10-a.lua:2: rewrite: path must start with '/', got \"v2\"",
      construction_error('rewrite{ path = "v2" }'))
  end)

  it("rejects a path with a space", function()
    assert.are.equal("10-a.lua:2: rewrite: path \"/a b\" contains a space, a control character or '#'",
      construction_error('rewrite{ path = "/a b" }'))
  end)

  it("rejects a host with a port", function()
    assert.are.equal("10-a.lua:2: rewrite: host must be a DNS name or an IPv4 address without a port, got \"example.com:8080\"",
      construction_error('rewrite{ host = "example.com:8080" }'))
  end)

  it("rejects http and dns fields together", function()
    assert.are.equal("10-a.lua:2: rewrite: headers, path and host rewrite HTTP requests and answer and ttl rewrite DNS answers; use one kind",
      construction_error('rewrite{ path = "/", answer = { "192.0.2.1" } }'))
  end)

  it("rejects an empty rewrite", function()
    assert.are.equal("10-a.lua:2: rewrite: expected headers, path or host (http) or answer and ttl (dns)",
      construction_error("rewrite{}"))
  end)

  it("rejects a call without arguments", function()
    assert.are.equal("10-a.lua:2: rewrite: expected a table of fields to rewrite", construction_error("rewrite()"))
  end)

  it("rejects a ttl without an answer", function()
    assert.are.equal("10-a.lua:2: rewrite: ttl needs an answer", construction_error("rewrite{ ttl = 30 }"))
  end)

  it("rejects an empty answer", function()
    assert.are.equal("10-a.lua:2: rewrite: answer must be a non-empty array of IPv4 addresses",
      construction_error("rewrite{ answer = {} }"))
  end)

  it("rejects an answer that is not IPv4", function()
    for _, address in ipairs({ "256.0.0.1", "192.0.2", "2001:db8::1", "192.0.2.01" }) do
      assert.are.equal(('10-a.lua:2: rewrite: answer entry "%s" is not an IPv4 address'):format(address),
        construction_error(('rewrite{ answer = { "%s" } }'):format(address)))
    end
  end)

  it("rejects more than eight answers", function()
    assert.are.equal("10-a.lua:2: rewrite: answer has 9 addresses; at most 8 are allowed",
      construction_error('rewrite{ answer = { "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", '
        .. '"192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8", "192.0.2.9" } }'))
  end)

  it("rejects a negative ttl", function()
    assert.are.equal("10-a.lua:2: rewrite: ttl must be an integer from 0 to 2147483647, got -1",
      construction_error('rewrite{ answer = { "192.0.2.1" }, ttl = -1 }'))
  end)
end)

describe("log", function()
  it("builds a log verdict with tags and a reason", function()
    local v = sluice.log{ "upload", "large", reason = "over 10 MiB" }
    assert.are.equal("log", v.action)
    assert.are.same({ "upload", "large" }, v.tags)
    assert.are.equal("over 10 MiB", v.reason)
  end)

  it("rejects a log without tags", function()
    assert.are.equal('10-a.lua:2: log: expected at least one tag, as in log{"tag"}',
      construction_error('log{ reason = "x" }'))
  end)

  it("rejects a tag with a comma", function()
    assert.are.equal('10-a.lua:2: log: tag "a,b" must be a string of up to 64 letters, digits and \'_-.:/\'',
      construction_error('log{ "a,b" }'))
  end)

  it("rejects a tag that is not a string", function()
    assert.are.equal("10-a.lua:2: log: tag 7 must be a string of up to 64 letters, digits and '_-.:/'",
      construction_error("log{ 7 }"))
  end)

  it("rejects an unknown field", function()
    assert.are.equal("10-a.lua:2: log: unknown field 'tag' (expected tags as array entries and reason)",
      construction_error('log{ tag = "x" }'))
  end)
end)

describe("intercept and passthrough", function()
  it("build tls verdicts", function()
    assert.are.equal("intercept", sluice.intercept().action)
    assert.are.equal("passthrough", sluice.passthrough{ reason = "pinned client" }.action)
    assert.are.equal("pinned client", sluice.passthrough{ reason = "pinned client" }.reason)
  end)

  it("reject an unknown field", function()
    assert.are.equal("10-a.lua:2: intercept: unknown field 'status' (expected reason)",
      construction_error("intercept{ status = 403 }"))
    assert.are.equal("10-a.lua:2: passthrough: unknown field 'rcode' (expected reason)",
      construction_error('passthrough{ rcode = "REFUSED" }'))
  end)
end)

describe("verdict location", function()
  it("records the line of a constructor in a tail call", function()
    local d = decide_with("connect", "deny{}", testing.connect{})
    assert.are.equal("10-a.lua:3", d.rule)
    assert.are.equal("10-a.lua", d.file)
    assert.are.equal(3, d.line)
  end)

  it("records the line of a constructor stored in a local", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local allow = require("sluice").allow\n'
        .. "return { connect = function(c)\n"
        .. "  if c.port == 80 then\n"
        .. "    return allow()\n"
        .. "  end\n"
        .. "end }\n",
    })
    assert.are.equal("10-a.lua:4", testing.decide(gen, testing.connect{ port = 80 }).rule)
  end)

  it("records the line inside a helper module", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local policy = require "lib.policy"\nreturn { connect = function(c) return policy.block("x") end }\n',
      ["lib/policy.lua"] = 'local sluice = require "sluice"\nlocal M = {}\nfunction M.block(reason)\n'
        .. "  return sluice.deny{ reason = reason }\nend\nreturn M\n",
    })
    assert.are.equal("lib/policy.lua:4", testing.decide(gen, testing.connect{}).rule)
  end)

  it("records the rule's line through pcall", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { connect = function(c)\n'
        .. "  local ok, v = pcall(sluice.allow)\n  return v\nend }\n",
    })
    assert.are.equal("10-a.lua:3", testing.decide(gen, testing.connect{}).rule)
  end)

  it("records the rule's line in a construction error inside a handler", function()
    local d = decide_with("connect", "deny{ status = 1 }", testing.connect{})
    assert.are.equal("10-a.lua:3: deny: status must be an integer from 100 to 599, got 1", d.error)
  end)

  -- Ports 1..16 fill the call site's memory of verdicts; the reasons of
  -- 17..20 are built anew each time.
  it("reuses the verdict a call site built before with the same reason", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nlocal seen = {}\nreturn { connect = function(c)\n'
        .. '  local v = sluice.deny{ reason = "port " .. c.port % 20 }\n'
        .. "  local r = c.port % 20\n  if r >= 1 and r <= 16 and seen[c.port % 20] and seen[c.port % 20] ~= v then error(\"not reused\") end\n"
        .. "  seen[c.port % 20] = v\n  return v\nend }\n",
    })
    for port = 1, 60 do
      local d = testing.decide(gen, testing.connect{ port = port })
      assert.are.equal("port " .. port % 20, d.reason)
      assert.are.equal("10-a.lua:4", d.rule)
      assert.is_nil(d.error)
    end
  end)

  it("checks each call again when arguments other than a reason are given", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { http = function(r)\n'
        .. "  return sluice.deny{ status = r.path == \"/ok\" and 451 or 1 }\nend }\n",
    })
    assert.are.equal(451, testing.decide(gen, testing.http{ host = "example.com", path = "/ok" }).status)
    assert.are.equal("10-a.lua:3: deny: status must be an integer from 100 to 599, got 1",
      testing.decide(gen, testing.http{ host = "example.com", path = "/bad" }).error)
    assert.are.equal(451, testing.decide(gen, testing.http{ host = "example.com", path = "/ok" }).status)
  end)

  it("yields the verdict and two nils", function()
    assert.are.equal(3, select("#", sluice.allow()))
  end)
end)

describe("verdict immutability", function()
  it("rejects writing a field", function()
    local v = sluice.deny{ reason = "x" }
    local ok, err = pcall(function() v.action = "allow" end)
    assert.is_false(ok)
    assert.truthy(err:find("verdicts are read-only (cannot set field 'action')", 1, true), err)
    assert.are.equal("deny", v.action)
  end)

  it("ignores rawset when deciding", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { connect = function(c)\n'
        .. '  local v = sluice.deny{ reason = "kept" }\n  rawset(v, "action", "allow")\n  return v\nend }\n',
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("kept", d.reason)
  end)

  it("returns copies of nested tables", function()
    local v = sluice.rewrite{ headers = { ["X-A"] = "1" } }
    v.rewrite.headers["X-A"] = "2"
    assert.are.equal("1", v.rewrite.headers["X-A"])
  end)

  it("protects its metatable", function()
    local v = sluice.allow()
    assert.are.equal("sluice.Verdict", getmetatable(v))
    assert.has_error(function() setmetatable(v, nil) end)
  end)

  it("describes itself in tostring", function()
    local v = sluice.deny{ reason = "no" }
    assert.truthy(tostring(v):match("^sluice%.deny %(no%) at .+:%d+$"), tostring(v))
  end)
end)
