-- SPDX-License-Identifier: MIT
-- The engine: file order, first terminal verdict, defaults, validation, audit mode, counters.

local engine = require "sluice.engine"
local testing = require "sluice.testing"

local HEADER = require("spec.support.rules").HEADER

-- A rule file whose handler for kind returns expr (the return is on line 3).
local function rule(kind, expr)
  return HEADER .. "return { " .. kind .. " = function(e)\n  return " .. expr .. "\nend }\n"
end

local load_error = require("spec.support.rules").load_error

describe("engine order", function()
  it("runs files in byte-wise name order whatever the order of add_file", function()
    local gen = engine.new{}
    assert.is_true(gen:add_file("b.lua", rule("connect", 'sluice.deny{ reason = "b" }')))
    assert.is_true(gen:add_file("B.lua", rule("connect", 'sluice.deny{ reason = "B" }')))
    assert.is_true(gen:add_file("10-x.lua", rule("connect", 'sluice.deny{ reason = "10" }')))
    assert.is_true(gen:add_file("9-x.lua", rule("connect", 'sluice.deny{ reason = "9" }')))
    assert.is_true(gen:finish())

    local files = {}
    for i, entry in ipairs(gen:order()) do
      files[i] = entry.file
    end
    assert.are.same({ "10-x.lua", "9-x.lua", "B.lua", "b.lua" }, files)
    assert.are.equal("10", gen:decide(testing.connect{}).reason)
  end)

  it("takes the first terminal verdict", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("connect", 'sluice.deny{ reason = "first" }'),
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("first", d.reason)
    assert.are.equal("10-a.lua:3", d.rule)
  end)

  it("passes over handlers that return nil", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("connect", "nil"),
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    assert.are.equal("20-b.lua:3", testing.decide(gen, testing.connect{}).rule)
  end)

  it("does not stop at a log verdict", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("connect", 'sluice.log{ "seen" }'),
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("allow", d.action)
    assert.are.same({ "seen" }, d.tags)
  end)

  it("accumulates tags in order without duplicates", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("connect", 'sluice.log{ "a", "b" }'),
      ["20-b.lua"] = rule("connect", 'sluice.log{ "b", "c" }'),
      ["30-c.lua"] = rule("connect", 'sluice.deny{ reason = "x" }'),
      ["40-d.lua"] = rule("connect", 'sluice.log{ "never" }'),
    })
    assert.are.same({ "a", "b", "c" }, testing.decide(gen, testing.connect{}).tags)
  end)

  it("calls only the handlers of the event's type", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("dns", 'sluice.deny{ rcode = "REFUSED" }'),
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{}).action)
    assert.are.equal("REFUSED", testing.decide(gen, testing.dns{ name = "example.com" }).rcode)
  end)

  it("lists files, handlers and modes in order()", function()
    local gen = testing.load_files({
      ["10-a.lua"] = "return { http = function() end, dns = function() end }",
      ["20-b.lua"] = 'return { mode = "audit", connect = function() end }',
      ["30-c.lua"] = "return {}",
    })
    assert.are.same({
      { file = "10-a.lua", handlers = { "dns", "http" }, mode = "enforce" },
      { file = "20-b.lua", handlers = { "connect" }, mode = "audit" },
      { file = "30-c.lua", handlers = {}, mode = "enforce" },
    }, gen:order())
  end)
end)

describe("engine defaults", function()
  it("denies by default with a reason", function()
    local gen = testing.load_files({})
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.is_true(d.default)
    assert.are.equal("no rule matched", d.reason)
    assert.is_nil(d.rule)
    assert.is_nil(d.status)
    assert.is_nil(d.rcode)
  end)

  it("answers NXDOMAIN to a dns event by default", function()
    local d = testing.decide(testing.load_files({}), testing.dns{ name = "example.com" })
    assert.are.equal("NXDOMAIN", d.rcode)
    assert.is_nil(d.status)
  end)

  it("answers 403 to an http event by default", function()
    local d = testing.decide(testing.load_files({}), testing.http{ host = "example.com" })
    assert.are.equal(403, d.status)
    assert.is_nil(d.rcode)
  end)

  it("allows by default when configured", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", "nil") }, { default = "allow" })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("allow", d.action)
    assert.is_true(d.default)
    assert.is_nil(d.reason)
  end)

  it("denies by default when engine.new gets no default", function()
    local gen = engine.new{}
    assert.is_true(gen:finish())
    assert.are.equal("deny", gen:decide(testing.connect{}).action)
  end)

  it("rejects an unknown default", function()
    assert.has_error(function() engine.new{ default = "drop" } end,
      'engine.new: default must be "allow" or "deny", got drop')
  end)

  it("copies the generation into every decision", function()
    local gen = engine.new{ generation = 7 }
    gen:finish()
    assert.are.equal(7, gen:decide(testing.connect{}).generation)
  end)
end)

describe("engine decisions", function()
  it("names a constructor returned without a call", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("dns", "sluice.allow") })
    local d = testing.decide(gen, testing.dns{ name = "example.com" })
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:2: dns handler returned the constructor sluice.allow itself "
      .. "(call it: sluice.allow()), expected a verdict or nil", d.error)
  end)

  it("fills a given table and clears what the last decision left", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { dns = function(q)\n"
        .. '  if q.name == "tagged.example.com" then return sluice.log{ "seen" } end\n'
        .. '  if q.name == "blocked.example.com" then return sluice.deny{ rcode = "REFUSED", reason = "no" } end\n'
        .. "  return sluice.allow()\nend }\n",
    })
    local into = {}
    local d = gen:decide(testing.dns{ name = "blocked.example.com" }, into)
    assert.are.equal(into, d)
    assert.are.equal("REFUSED", d.rcode)
    assert.are.equal("no", d.reason)

    d = gen:decide(testing.dns{ name = "www.example.com" }, into)
    assert.are.equal(into, d)
    assert.are.same({
      action = "allow", rule = "10-a.lua:5", file = "10-a.lua", line = 5,
      default = false, tags = {}, generation = 1,
    }, d)

    d = gen:decide(testing.dns{ name = "tagged.example.com" }, into)
    assert.are.same({ "seen" }, d.tags)
    assert.are.same({}, gen:decide(testing.dns{ name = "www.example.com" }, into).tags)
  end)

  it("fills the fields of a decided allow", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", 'sluice.allow{ reason = "web" }') })
    local d = testing.decide(gen, testing.connect{})
    assert.are.same({
      action = "allow", reason = "web", rule = "10-a.lua:3", file = "10-a.lua", line = 3,
      default = false, tags = {}, generation = 1,
    }, d)
  end)

  it("gives an http deny the status 403 unless the rule sets one", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { http = function(r)\n"
        .. '  if r.method == "POST" then return sluice.deny{ status = 405 } end\n'
        .. "  return sluice.deny()\nend }\n",
    })
    assert.are.equal(403, testing.decide(gen, testing.http{ host = "example.com" }).status)
    assert.are.equal(405, testing.decide(gen, testing.http{ host = "example.com", method = "POST" }).status)
  end)

  it("gives a dns deny NXDOMAIN unless the rule sets an rcode", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { dns = function(q)\n"
        .. '  if q.type == "TXT" then return sluice.deny{ rcode = "REFUSED" } end\n'
        .. "  return sluice.deny()\nend }\n",
    })
    assert.are.equal("NXDOMAIN", testing.decide(gen, testing.dns{ name = "example.com" }).rcode)
    assert.are.equal("REFUSED", testing.decide(gen, testing.dns{ name = "example.com", type = "TXT" }).rcode)
  end)

  it("copies a dns rewrite into the decision", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("dns", 'sluice.rewrite{ answer = { "192.0.2.10" }, ttl = 30 }'),
    })
    local d = testing.decide(gen, testing.dns{ name = "intranet.example" })
    assert.are.equal("rewrite", d.action)
    assert.are.same({ answer = { "192.0.2.10" }, ttl = 30 }, d.rewrite)
  end)

  it("copies an http rewrite into the decision", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("http", 'sluice.rewrite{ headers = { ["X-Team"] = "build" }, path = "/v2/" }'),
    })
    local d = testing.decide(gen, testing.http{ host = "api.example.com" })
    assert.are.same({ headers = { ["X-Team"] = "build" }, path = "/v2/" }, d.rewrite)
  end)

  it("allows intercept and passthrough from a tls handler", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { tls = function(t)\n"
        .. '  if t.sni == "pinned.example.com" then return sluice.passthrough() end\n'
        .. "  return sluice.intercept()\nend }\n",
    })
    assert.are.equal("intercept", testing.decide(gen, testing.tls{ sni = "example.com" }).action)
    assert.are.equal("passthrough", testing.decide(gen, testing.tls{ sni = "pinned.example.com" }).action)
  end)

  it("returns a fresh table for every decision", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("dns", 'sluice.rewrite{ answer = { "192.0.2.10" } }') })
    local first = testing.decide(gen, testing.dns{ name = "example.com" })
    first.rewrite.answer[1] = "198.51.100.1"
    first.tags[1] = "changed"
    local second = testing.decide(gen, testing.dns{ name = "example.com" })
    assert.are.same({ "192.0.2.10" }, second.rewrite.answer)
    assert.are.same({}, second.tags)
    assert.is_nil(getmetatable(second))
  end)
end)

describe("engine fail-closed", function()
  local function expect_failure(d, message)
    assert.are.equal("deny", d.action)
    assert.is_false(d.default)
    assert.are.equal(message, d.error)
  end

  it("fails closed when a handler returns a string", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", '"allow"') })
    local d = testing.decide(gen, testing.connect{})
    expect_failure(d, '10-a.lua:2: connect handler returned the string "allow", expected a verdict or nil')
    assert.are.equal("10-a.lua:2", d.rule)
  end)

  it("fails closed when a handler returns a plain table", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", '{ action = "allow" }') })
    expect_failure(testing.decide(gen, testing.connect{}),
      "10-a.lua:2: connect handler returned a plain table, expected a verdict or nil")
  end)

  it("fails closed when a handler returns a number", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", "1") })
    expect_failure(testing.decide(gen, testing.connect{}),
      "10-a.lua:2: connect handler returned a number value, expected a verdict or nil")
  end)

  it("answers SERVFAIL when a dns handler fails", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("dns", "true") })
    local d = testing.decide(gen, testing.dns{ name = "example.com" })
    assert.are.equal("SERVFAIL", d.rcode)
    assert.are.equal("10-a.lua:2: dns handler returned a boolean value, expected a verdict or nil", d.error)
  end)

  it("rejects verdicts that do not fit the event, at the verdict's line", function()
    local cases = {
      { "connect", "sluice.intercept()", "intercept() is valid only in a tls handler, not in a connect handler" },
      { "dns", "sluice.passthrough()", "passthrough() is valid only in a tls handler, not in a dns handler" },
      { "connect", 'sluice.rewrite{ path = "/" }', "rewrite{} is valid only in http and dns handlers, not in a connect handler" },
      { "tls", 'sluice.rewrite{ path = "/" }', "rewrite{} is valid only in http and dns handlers, not in a tls handler" },
      { "dns", 'sluice.rewrite{ path = "/" }', "rewrite{} of headers, path or host is valid only in an http handler" },
      { "http", 'sluice.rewrite{ answer = { "192.0.2.1" } }', "rewrite{} of a DNS answer is valid only in a dns handler" },
      { "connect", "sluice.deny{ status = 403 }", "deny{status = ...} is valid only in an http handler, not in a connect handler" },
      { "dns", "sluice.deny{ status = 403 }", "deny{status = ...} is valid only in an http handler, not in a dns handler" },
      { "http", 'sluice.deny{ rcode = "REFUSED" }', "deny{rcode = ...} is valid only in a dns handler, not in a http handler" },
      { "tls", 'sluice.deny{ rcode = "REFUSED" }', "deny{rcode = ...} is valid only in a dns handler, not in a tls handler" },
    }
    local events = {
      connect = testing.connect{}, dns = testing.dns{ name = "example.com" },
      tls = testing.tls{ sni = "example.com" }, http = testing.http{ host = "example.com" },
    }
    for _, case in ipairs(cases) do
      local kind, expr, message = case[1], case[2], case[3]
      local gen = testing.load_files({ ["10-a.lua"] = rule(kind, expr) })
      expect_failure(testing.decide(gen, events[kind]), "10-a.lua:3: " .. message)
    end
  end)

  it("fails closed when a handler raises an error", function()
    local gen = testing.load_files({
      ["10-a.lua"] = "return { connect = function(c)\n  local x = nil\n  return x.field\nend }\n",
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("rule error", d.reason)
    assert.are.equal("10-a.lua:3: attempt to index a nil value (local 'x')", d.error)
    assert.are.equal("10-a.lua:1", d.rule)
  end)

  it("adds the handler's position to an error without one", function()
    local gen = testing.load_files({ ["10-a.lua"] = 'return {\n  connect = function(c) error("plain", 0) end }\n' })
    assert.are.equal("10-a.lua:2: plain", testing.decide(gen, testing.connect{}).error)
  end)

  it("describes an error value that is not a string", function()
    local gen = testing.load_files({ ["10-a.lua"] = "return {\n  connect = function(c) error({}) end }\n" })
    assert.are.equal("10-a.lua:2: error object is a table value", testing.decide(gen, testing.connect{}).error)
  end)

  it("stops dispatch at a failure and keeps earlier tags", function()
    local gen = testing.load_files({
      ["10-a.lua"] = rule("connect", 'sluice.log{ "early" }'),
      ["20-b.lua"] = rule("connect", '"oops"'),
      ["30-c.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.same({ "early" }, d.tags)
    assert.are.equal("20-b.lua:2", d.rule)
  end)

  it("keeps deciding after a failure", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = function(c)\n"
        .. "  if c.port == 1 then error('boom') end\n  return sluice.allow()\nend }\n",
    })
    assert.are.equal("deny", testing.decide(gen, testing.connect{ port = 1 }).action)
    assert.are.equal("allow", testing.decide(gen, testing.connect{ port = 2 }).action)
  end)
end)

describe("engine errors in sluice modules", function()
  it("names the rule line that called a matcher the wrong way", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. 'local names = sluice.domains{ "example.com" }\n'
        .. "return { connect = function(c)\n  if names.match(c.name) then return sluice.allow() end\nend }\n",
    })
    local d = testing.decide(gen, testing.connect{ name = "www.example.com" })
    assert.are.equal("deny", d.action)
    assert.truthy(d.error:find("^10%-a%.lua:4: attempt to index a nil value %(field 'memo'%) "
      .. "%(in sluice/match%.lua:%d+%); call methods with a colon"), d.error)
  end)

  it("leaves a rule's own error as it is", function()
    local gen = testing.load_files({ ["10-a.lua"] = "return { connect = function(c)\n  error('boom')\nend }\n" })
    assert.are.equal("10-a.lua:2: boom", testing.decide(gen, testing.connect{}).error)
  end)
end)

describe("engine load errors", function()
  it("rejects an unknown handler key at the function's line", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  dns = function() end,\n  conect = function(c)\n  end,\n}\n" })
    assert.are.equal("10-a.lua:3: unknown key 'conect' in the returned table (did you mean 'connect'?); "
      .. "expected dns, connect, tls, http or mode", err)
  end)

  it("suggests the key for a wrong case", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  DNS = function() end }\n" })
    assert.truthy(err:find("(did you mean 'dns'?)", 1, true), err)
  end)

  it("rejects an unknown key with a value at its line", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  default = \"allow\",\n}\n\n" })
    assert.are.equal("10-a.lua:2: unknown key 'default' in the returned table; expected dns, connect, tls, http or mode", err)
  end)

  it("rejects an array entry in the returned table", function()
    local err = load_error({ ["10-a.lua"] = "return { function() end }" })
    assert.are.equal("10-a.lua:1: unexpected entry [1] in the returned table; expected dns, connect, tls, http or mode", err)
  end)

  it("rejects a file that returns a number", function()
    local err = load_error({ ["10-a.lua"] = "local x = 1\nreturn 42\n" })
    assert.are.equal("10-a.lua:2: the file returned a number value; a rule file must return a table of handlers, "
      .. "such as return { connect = function(c) ... end }", err)
  end)

  it("rejects a file that returns nothing", function()
    local err = load_error({ ["10-a.lua"] = "local x = 1\n" })
    assert.truthy(err:find("^10%-a%.lua:1: the file returned a nil value; a rule file must return a table of handlers"), err)
  end)

  it("rejects a file that returns a verdict", function()
    local err = load_error({ ["10-a.lua"] = HEADER .. "return sluice.allow()\n" })
    assert.truthy(err:find("^10%-a%.lua:2: the file returned a verdict;"), err)
  end)

  it("rejects a returned table with a metatable", function()
    local err = load_error({ ["10-a.lua"] = "return setmetatable({}, { __index = {} })\n" })
    assert.are.equal("10-a.lua:1: the returned table has a metatable; return a plain table of handlers", err)
  end)

  it("reports a syntax error with its line", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  connect = function(c)\n    if c then\n  end,\n}\n" })
    assert.truthy(err:find("^10%-a%.lua:4: "), err)
  end)

  it("reports an error raised while the file runs", function()
    local err = load_error({ ["10-a.lua"] = "local x = 1\nlocal y = x.field\nreturn {}\n" })
    assert.are.equal("10-a.lua:2: attempt to index a number value (local 'x')", err)
  end)

  it("rejects a handler that is not a function at its line", function()
    local err = load_error({ ["10-a.lua"] = 'return {\n  dns = "allow",\n}\n' })
    assert.are.equal("10-a.lua:2: handler 'dns' must be a Lua function or a table with names, ports and handler, "
      .. "got the string \"allow\"", err)
  end)

  it("rejects a C function as a handler at its line", function()
    local err = load_error({ ["10-a.lua"] = "return {\n  dns = print,\n}\n" })
    assert.are.equal("10-a.lua:2: handler 'dns' must be a Lua function or a table with names, ports and handler, "
      .. "got a built-in (C) function; a handler must be written in Lua, as in function(e) ... end", err)
  end)

  it("tells how to turn a verdict into a handler", function()
    local err = load_error({ ["10-a.lua"] = HEADER .. "return {\n  dns = sluice.allow(),\n}\n" })
    assert.are.equal("10-a.lua:3: handler 'dns' must be a Lua function or a table with names, ports and handler, "
      .. "got a verdict; a handler is a function that returns the verdict, as in function(e) return sluice.allow() end",
      err)
  end)

  it("does not tell to call a constructor given as a handler", function()
    local err = load_error({ ["10-a.lua"] = HEADER .. "return {\n  dns = sluice.allow,\n}\n" })
    assert.are.equal("10-a.lua:3: handler 'dns' must be a Lua function or a table with names, ports and handler, "
      .. "got the constructor sluice.allow; a handler is a function that returns the verdict, "
      .. "as in function(e) return sluice.allow() end", err)
  end)

  it("rejects an unknown mode", function()
    local err = load_error({ ["10-a.lua"] = 'return { mode = "dry-run" }\n' })
    assert.are.equal('10-a.lua:1: mode must be "audit" or "enforce", got the string "dry-run"', err)
  end)

  it("rejects an unknown mode at its line, not in a comment", function()
    local err = load_error({
      ["10-a.lua"] = '-- mode = "audit" while testing\nreturn {\n  dns = function() end,\n  mode = "audti",\n}\n',
    })
    assert.are.equal('10-a.lua:4: mode must be "audit" or "enforce", got the string "audti"', err)
  end)

  it("rejects a precompiled chunk", function()
    local gen = engine.new{}
    local ok, err = gen:add_file("10-a.lua", string.dump(function() return {} end))
    assert.is_false(ok)
    assert.are.equal("10-a.lua:1: precompiled (binary) chunks are not allowed; rule files must be Lua source text", err)
  end)

  it("rejects a second file with the same name", function()
    local gen = engine.new{}
    assert.is_true(gen:add_file("10-a.lua", "return {}"))
    local ok, err = gen:add_file("10-a.lua", "return {}")
    assert.is_false(ok)
    assert.are.equal("10-a.lua:1: a rule file with this name was already added", err)
  end)

  it("rejects file names in subdirectories or without .lua", function()
    local gen = engine.new{}
    for _, name in ipairs({ "lib/x.lua", "10-a.txt", "", 7 }) do
      local ok, err = gen:add_file(name, "return {}")
      assert.is_false(ok)
      assert.truthy(err:find("expected a top-level *.lua name", 1, true), err)
    end
  end)

  it("fails finish() with the first load error", function()
    local gen = engine.new{}
    gen:add_file("10-a.lua", "return 1")
    gen:add_file("20-b.lua", "return {")
    assert.is_true(gen:add_file("30-c.lua", "return {}"))
    local ok, err = gen:finish()
    assert.is_false(ok)
    assert.truthy(err:find("^10%-a%.lua:1: the file returned a number value"), err)
  end)

  it("rejects add_file() after finish()", function()
    local gen = engine.new{}
    gen:finish()
    local ok, err = gen:add_file("10-a.lua", "return {}")
    assert.is_false(ok)
    assert.are.equal("add_file: the generation is already finished", err)
  end)

  it("rejects a second finish()", function()
    local gen = engine.new{}
    assert.is_true(gen:finish())
    local ok, err = gen:finish()
    assert.is_false(ok)
    assert.are.equal("finish: the generation is already finished", err)
  end)

  it("raises when decide() comes before finish()", function()
    local gen = engine.new{}
    assert.has_error(function() gen:decide(testing.connect{}) end, "decide: call finish() before decide()")
  end)

  it("raises for an unknown event type", function()
    local gen = engine.new{}
    gen:finish()
    assert.has_error(function() gen:decide({ event = "icmp" }) end, "decide: unknown event type icmp")
  end)
end)

describe("engine audit mode", function()
  it("records a would-be verdict and continues", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { mode = "audit", connect = function(c)\n'
        .. '  return sluice.deny{ reason = "trial" }\nend }\n',
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("allow", d.action)
    assert.are.equal("20-b.lua:3", d.rule)
    assert.are.same({ { rule = "10-a.lua:3", action = "deny", reason = "trial" } }, d.audit)
  end)

  it("leaves the default in force when nothing else decides", function()
    local gen = testing.load_files({
      ["50-audit.lua"] = HEADER .. 'return { mode = "audit", dns = function(q)\n  return sluice.allow()\nend }\n',
    })
    local d = testing.decide(gen, testing.dns{ name = "example.org" })
    assert.are.equal("deny", d.action)
    assert.is_true(d.default)
    assert.are.same({ { rule = "50-audit.lua:3", action = "allow" } }, d.audit)
  end)

  it("collects entries from several audit files", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. 'return { mode = "audit", connect = function()\n  return sluice.deny()\nend }\n',
      ["20-b.lua"] = HEADER .. 'return { mode = "audit", connect = function()\n  return sluice.allow()\nend }\n',
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.same({ { rule = "10-a.lua:3", action = "deny" }, { rule = "20-b.lua:3", action = "allow" } }, d.audit)
  end)

  it("keeps tags from an audit file", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. 'return { mode = "audit", connect = function()\n  return sluice.log{ "trial" }\nend }\n',
    })
    assert.are.same({ "trial" }, testing.decide(gen, testing.connect{}).tags)
  end)

  it("still fails closed on an error in an audit file", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'return { mode = "audit", connect = function()\n  return "oops"\nend }\n',
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:1: connect handler returned the string \"oops\", expected a verdict or nil", d.error)
  end)

  it("has no audit list when no audit file spoke", function()
    local gen = testing.load_files({ ["10-a.lua"] = rule("connect", "sluice.allow()") })
    assert.is_nil(testing.decide(gen, testing.connect{}).audit)
  end)
end)

describe("engine counters", function()
  it("starts empty", function()
    assert.are.same({}, testing.load_files({ ["10-a.lua"] = rule("connect", "sluice.allow()") }):counters())
  end)

  it("counts hits per rule line, log verdicts too, and errors per handler", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = function(c)\n"
        .. "  if c.port == 1 then error('boom') end\n"
        .. "  if c.port == 22 then return sluice.deny() end\n"
        .. "  if c.port == 443 then return sluice.allow() end\n"
        .. "  return sluice.log{ 'other' }\nend }\n",
      ["20-b.lua"] = 'local sluice = require "sluice"\nreturn { mode = "audit", connect = function()\n'
        .. "  return sluice.deny()\nend }\n",
    })
    for _, port in ipairs({ 22, 22, 443, 1, 80 }) do
      testing.decide(gen, testing.connect{ port = port })
    end
    assert.are.same({
      { rule = "10-a.lua:2", hits = 0, errors = 1 },
      { rule = "10-a.lua:4", hits = 2, errors = 0 },
      { rule = "10-a.lua:5", hits = 1, errors = 0 },
      { rule = "10-a.lua:6", hits = 1, errors = 0 },
      { rule = "20-b.lua:3", hits = 1, errors = 0 },
    }, gen:counters())
  end)
end)

describe("engine event view", function()
  it("rejects writes to event fields", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'return { connect = function(c)\n  c.name = "example.com"\nend }\n',
      ["20-b.lua"] = rule("connect", "sluice.allow()"),
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:2: event field 'name' is read-only", d.error)
  end)

  it("rejects writes to nested event tables", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'return { http = function(r)\n  r.headers["x-a"] = "1"\nend }\n',
    })
    assert.are.equal("10-a.lua:2: event field 'x-a' is read-only",
      testing.decide(gen, testing.http{ host = "example.com" }).error)
  end)

  it("reads headers without regard to case", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { http = function(r)\n"
        .. '  if r.headers["User-Agent"] == "curl/8" and r.headers["user-agent"] == "curl/8" then\n'
        .. "    return sluice.allow()\n  end\nend }\n",
    })
    local event = testing.http{ host = "example.com", headers = { ["USER-AGENT"] = "curl/8" } }
    assert.are.equal("allow", testing.decide(gen, event).action)
  end)

  it("supports pairs, ipairs and the length operator", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { tls = function(t)\n"
        .. "  local fields = 0\n  for _ in pairs(t) do fields = fields + 1 end\n"
        .. "  local protocols = {}\n  for _, p in ipairs(t.alpn) do protocols[#protocols + 1] = p end\n"
        .. '  if fields > 5 and #t.alpn == 2 and table.concat(protocols, ",") == "h2,http/1.1" then\n'
        .. "    return sluice.intercept()\n  end\nend }\n",
    })
    local d = testing.decide(gen, testing.tls{ sni = "example.com", alpn = { "h2", "http/1.1" } })
    assert.are.equal("intercept", d.action)
  end)

  it("shows every handler the event as the gateway built it", function()
    local gen = testing.load_files({
      ["10-a.lua"] = "return { connect = function(c)\n  pcall(function() c.port = 1 end)\nend }\n",
      ["20-b.lua"] = HEADER .. "return { connect = function(c)\n  if c.port == 443 then return sluice.allow() end\nend }\n",
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ port = 443 }).action)
  end)

  it("raises for a field the event type does not have", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = function(c)\n  if c.prot == \"tcp\" then return sluice.allow() end\nend }\n",
    })
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("deny", d.action)
    assert.are.equal("10-a.lua:3: connect events have no field 'prot' "
      .. "(they have event, id, time, dst, name, port, proto, src, src_port)", d.error)
  end)

  it("reads nil for a field the event type has but this event lacks", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "return { connect = function(c)\n  if c.name == nil then return sluice.allow() end\nend }\n",
      ["20-b.lua"] = HEADER .. "return { http = function(r)\n  if r.query == nil then return sluice.allow() end\nend }\n",
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{}).action)
    assert.are.equal("allow", testing.decide(gen, testing.http{ host = "example.com" }).action)
  end)

  it("shows a kept event only the current event", function()
    local gen = testing.load_files({
      ["10-a.lua"] = HEADER .. "local kept\nreturn { connect = function(c)\n"
        .. "  if not kept then kept = c; return nil end\n"
        .. "  local seen = {}\n  for key in pairs(kept) do seen[#seen + 1] = key end\n"
        .. "  if kept.port == c.port and #seen > 0 then return sluice.deny{ reason = tostring(kept.port) } end\n"
        .. "end }\n",
    })
    assert.is_true(testing.decide(gen, testing.connect{ port = 80 }).default)
    local d = testing.decide(gen, testing.connect{ port = 8080 })
    assert.are.equal("deny", d.action)
    assert.are.equal("8080", d.reason)
  end)

end)
