-- SPDX-License-Identifier: MIT
-- Scoped handlers: a handler given as { names =, ports =, handler = } runs only for events in its scope.

local testing = require "sluice.testing"

local HEADER = require("spec.support.rules").HEADER

-- A rule file whose connect entry is the scope table given as Lua text,
-- with handler = function(c) return sluice.allow() end on line 4.
local function scoped(kind, scope_text)
  return HEADER .. "return {\n  " .. kind .. " = { " .. scope_text .. ",\n"
    .. "    handler = function(e) return sluice.allow() end,\n  },\n}\n"
end

local load_error = require("spec.support.rules").load_error

describe("scoped handlers", function()
  it("run only for the listed ports", function()
    local gen = testing.load_files({ ["10-a.lua"] = scoped("connect", 'ports = { 22, "8000-8099" }') })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ port = 22 }).action)
    assert.are.equal("allow", testing.decide(gen, testing.connect{ port = 8050 }).action)
    local d = testing.decide(gen, testing.connect{ port = 443 })
    assert.are.equal("deny", d.action)
    assert.is_true(d.default)
  end)

  it("run only for the listed names", function()
    local gen = testing.load_files({ ["10-a.lua"] = scoped("connect", 'names = { "*.example.com" }') })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ name = "api.example.com" }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ name = "example.com" }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ name = "example.org" }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{}).action, "an event without a name")
  end)

  it("need every listed scope to match", function()
    local gen = testing.load_files({ ["10-a.lua"] = scoped("connect", 'names = "git.example.com", ports = 22') })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ name = "git.example.com", port = 22 }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ name = "git.example.com", port = 443 }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ name = "www.example.com", port = 22 }).action)
  end)

  it("take sets built with sluice.domains and sluice.ports", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. 'local names = sluice.domains{ "example.com" }\n'
        .. "return { connect = { names = names, ports = sluice.ports(443),\n"
        .. "  handler = function(c) return sluice.allow() end } }\n",
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ name = "example.com", port = 443 }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ name = "example.com", port = 80 }).action)
  end)

  it("scope dns handlers by name", function()
    local gen = testing.load_files({ ["10-a.lua"] = scoped("dns", 'names = { "example.com" }') })
    assert.are.equal("allow", testing.decide(gen, testing.dns{ name = "Example.COM." }).action)
    assert.are.equal("deny", testing.decide(gen, testing.dns{ name = "example.org" }).action)
  end)

  it("leave other events to later files", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = { ports = 22,\n"
        .. '  handler = function(c) return sluice.deny{ reason = "no ssh" } end } }\n',
      ["20-b.lua"] = HEADER .. "return { connect = function(c) return sluice.allow() end }\n",
      ["30-c.lua"] = HEADER .. "return { connect = { ports = 22,\n"
        .. "  handler = function(c) return sluice.allow() end } }\n",
    })
    local d = testing.decide(gen, testing.connect{ port = 22 })
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:3", d.rule)
    d = testing.decide(gen, testing.connect{ port = 80 })
    assert.are.equal("allow", d.action)
    assert.are.equal("20-b.lua:2", d.rule)
  end)

  it("count hits and errors at the handler line", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return {\n  connect = { ports = { 1, 443 },\n"
        .. "    handler = function(c)\n      if c.port == 1 then error('boom') end\n"
        .. "      return sluice.allow()\n    end,\n  },\n}\n",
    })
    testing.decide(gen, testing.connect{ port = 443 })
    testing.decide(gen, testing.connect{ port = 80 })
    local d = testing.decide(gen, testing.connect{ port = 1 })
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:4", d.rule)
    assert.truthy(d.error:find("^10%-a%.lua:5: .*boom"), d.error)
    assert.are.same({
      { rule = "10-a.lua:4", hits = 0, errors = 1 },
      { rule = "10-a.lua:6", hits = 1, errors = 0 },
    }, gen:counters())
  end)

  it("are listed with their scope in the order", function()
    local gen = testing.load_files({
      ["10-a.lua"] = scoped("connect", "ports = 22"),
      ["20-b.lua"] = HEADER .. 'return { dns = { names = "example.com", handler = function() end },\n'
        .. "  connect = function() end }\n",
    })
    assert.are.same({
      { file = "10-a.lua", handlers = { "connect (ports)" }, mode = "enforce" },
      { file = "20-b.lua", handlers = { "dns (names)", "connect" }, mode = "enforce" },
    }, gen:order())
  end)

  it("work in audit mode", function()
    local gen = testing.load_files({
      ["50-audit.lua"] = HEADER .. 'return { mode = "audit", connect = { names = "example.org",\n'
        .. '  handler = function(c) return sluice.allow{ reason = "trial" } end } }\n',
    })
    local d = testing.decide(gen, testing.connect{ name = "example.org" })
    assert.are.equal("deny", d.action)
    assert.are.same({ { rule = "50-audit.lua:3", action = "allow", reason = "trial" } }, d.audit)
    assert.is_nil(testing.decide(gen, testing.connect{ name = "example.com" }).audit)
  end)
end)

describe("scoped handler dispatch", function()
  local gen = testing.load_files({
    ["10-a.lua"] = HEADER .. 'return { connect = { names = { "*.example.com", "example.net" },\n'
      .. '  handler = function(c) return sluice.log{ "a" } end } }\n',
    ["20-b.lua"] = HEADER .. 'return { connect = { names = "api.example.com",\n'
      .. '  handler = function(c) return sluice.log{ "b" } end } }\n',
    ["30-c.lua"] = HEADER .. 'return { connect = function(c) return sluice.log{ "c" } end }\n',
    ["40-d.lua"] = HEADER .. 'return { connect = { names = { "*.com" }, ports = 443,\n'
      .. '  handler = function(c) return sluice.allow() end } }\n',
  })

  -- The tags of the log verdicts show which handlers ran, in order.
  local function ran(name, port)
    local d = testing.decide(gen, testing.connect{ name = name, port = port })
    return table.concat(d.tags, " ") .. " " .. d.action
  end

  it("runs covering handlers in file order", function()
    assert.are.equal("a b c allow", ran("api.example.com", 443))
    assert.are.equal("a c allow", ran("www.example.com", 443))
    assert.are.equal("a c deny", ran("www.example.com", 80))
    assert.are.equal("a c deny", ran("example.net", 443))
    assert.are.equal("c allow", ran("example.com", 443))
    assert.are.equal("c deny", ran(nil, 443))
  end)

  it("ignores case and a trailing dot", function()
    assert.are.equal("a b c allow", ran("API.Example.COM.", 443))
  end)

  it("stays correct past its name memo", function()
    for n = 1, 600 do
      local name = ("h%d.%s"):format(n, n % 2 == 0 and "example.com" or "example.org")
      local want = n % 2 == 0 and "a c allow" or "c deny"
      if n % 4 == 1 then
        want = "c deny"
      end
      assert.are.equal(want, ran(name, n % 4 == 1 and 80 or 443), name)
    end
  end)
end)

describe("scoped handler errors", function()
  it("name a missing handler at the entry's line", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  connect = { ports = 22 },\n}\n" })
    assert.are.equal("10-a.lua:2: the 'connect' table needs handler = function(...) ... end, got a nil value", err)
  end)

  it("name an unknown key and suggest the right one", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", "port = 22") })
    assert.are.equal("10-a.lua:3: unknown key 'port' in the 'connect' table (did you mean 'ports'?); "
      .. "expected handler, names, ports", err)
  end)

  it("reject an empty list", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", "names = {}") })
    assert.are.equal("10-a.lua:3: names is empty, so the handler would never run; "
      .. "leave names out to run it for every event", err)
  end)

  it("reject a bad port", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", "ports = { 70000 }") })
    assert.are.equal('10-a.lua:3: ports: invalid port or range 70000; expected 0..65535 or "first-last"', err)
  end)

  it("reject a bad domain pattern", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", 'names = { "a.*.example.com" }') })
    assert.truthy(err:find("^10%-a%.lua:3: names: .*a%.%*%.example%.com"), err)
    assert.is_nil(err:find("domains:", 1, true), err)
  end)

  it("reject a set of the wrong kind", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", 'names = sluice.ports(22)') })
    assert.truthy(err:find("^10%-a%.lua:3: names must be a domain pattern, a sluice.domains{} set or an array"),
      err)
  end)

  it("reject ports on dns handlers", function()
    local err = load_error({ ["10-a.lua"] = scoped("dns", "ports = 53") })
    assert.are.equal("10-a.lua:3: dns events have no port, so a dns handler cannot be scoped by ports", err)
  end)

  it("reject a verdict as the handler", function()
    local err = load_error({
      ["10-a.lua"] = HEADER .. "return { connect = { ports = 22, handler = sluice.allow() } }\n",
    })
    assert.are.equal("10-a.lua:2: the 'connect' table needs handler = function(...) ... end, got a verdict; "
      .. "a handler is a function that returns the verdict, as in function(e) return sluice.allow() end", err)
  end)

  it("reject a C function as the handler", function()
    local err = load_error({ ["10-a.lua"] = "return { connect = { ports = 22, handler = print } }\n" })
    assert.are.equal("10-a.lua:1: the 'connect' table needs handler = function(...) ... end, "
      .. "got a built-in (C) function; a handler must be written in Lua, as in function(e) ... end", err)
  end)

  it("name the kind of set given to the wrong key", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", 'ports = sluice.domains{ "example.com" }') })
    assert.truthy(err:find("ports must be a port, a range, a sluice.ports() set or an array, "
      .. "got a sluice.domains{} set", 1, true), err)
  end)

  it("reject names given as table keys", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", 'names = { ["example.com"] = true }') })
    assert.are.equal('10-a.lua:3: names must list its entries as an array, as in { "example.com" }; '
      .. 'got a table with the key "example.com"', err)
  end)

  it("name a nested list without an address", function()
    local err = load_error({ ["10-a.lua"] = scoped("connect", "ports = { { 80, 443 } }") })
    assert.are.equal('10-a.lua:3: ports: invalid port or range a table value; expected 0..65535 or "first-last"',
      err)
  end)

  it("treat a table without names or ports as a plain handler", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = { handler = function(c) return sluice.allow() end } }\n",
    })
    assert.are.same({ "connect" }, gen:order()[1].handlers)
    assert.are.equal("allow", testing.decide(gen, testing.connect{}).action)
  end)
end)
