-- SPDX-License-Identifier: MIT
-- sluice.testing: loading a rules directory and building events.

local lfs = require "lfs"
local testing = require "sluice.testing"

-- Create a temporary rules directory from a table of relative path -> text.
-- Returns its path and a function that removes it.
local function make_dir(files)
  local dir = os.tmpname()
  os.remove(dir)
  assert(lfs.mkdir(dir))
  local created = { dir }
  for path, text in pairs(files) do
    local sub = path:match("^(.*)/[^/]+$")
    if sub and not lfs.attributes(dir .. "/" .. sub) then
      assert(lfs.mkdir(dir .. "/" .. sub))
      table.insert(created, 2, dir .. "/" .. sub)
    end
    local file = assert(io.open(dir .. "/" .. path, "wb"))
    file:write(text)
    file:close()
  end

  local function remove()
    for path in pairs(files) do
      os.remove(dir .. "/" .. path)
    end
    for i = #created, 1, -1 do
      os.remove(created[i])
    end
  end
  return dir, remove
end

local function rule(reason)
  return ('local sluice = require "sluice"\nreturn { connect = function()\n'
    .. '  return sluice.log{ "%s" }\nend }\n'):format(reason)
end

describe("testing.load", function()
  it("loads top-level *.lua files in name order", function()
    local dir, remove = make_dir({
      ["20-b.lua"] = rule("b"),
      ["10-a.lua"] = rule("a"),
      ["README.md"] = "not a rule",
      ["30-c.lua.orig"] = "not a rule either",
    })
    local ok, gen = pcall(testing.load, dir)
    remove()
    assert.is_true(ok, gen)
    assert.are.same({ "a", "b" }, testing.decide(gen, testing.connect{}).tags)
    assert.are.equal(2, #gen:order())
  end)

  it("skips files whose name starts with a dot", function()
    local dir, remove = make_dir({ ["10-a.lua"] = rule("a"), [".#10-a.lua"] = "broken {" })
    local ok, gen = pcall(testing.load, dir)
    remove()
    assert.is_true(ok, gen)
    assert.are.equal(1, #gen:order())
  end)

  it("loads helper modules from subdirectories", function()
    local dir, remove = make_dir({
      ["10-a.lua"] = 'local names = require "lib.names"\nlocal sluice = require "sluice"\n'
        .. "return { dns = function(q)\n  if names:match(q.name) then return sluice.allow() end\nend }\n",
      ["lib/names.lua"] = 'return require("sluice").domains{ "*.example.com" }\n',
    })
    local ok, gen = pcall(testing.load, dir)
    remove()
    assert.is_true(ok, gen)
    assert.are.equal("allow", testing.decide(gen, testing.dns{ name = "www.example.com" }).action)
    assert.are.equal("deny", testing.decide(gen, testing.dns{ name = "example.com" }).action)
  end)

  it("does not load subdirectories as rule files", function()
    local dir, remove = make_dir({ ["10-a.lua"] = rule("a"), ["lib/20-b.lua"] = rule("b") })
    local ok, gen = pcall(testing.load, dir)
    remove()
    assert.is_true(ok, gen)
    assert.are.same({ "a" }, testing.decide(gen, testing.connect{}).tags)
  end)

  it("raises the first load error with file and line", function()
    local dir, remove = make_dir({ ["10-a.lua"] = rule("a"), ["20-b.lua"] = "return {\n  conect = function() end }\n" })
    local ok, err = pcall(testing.load, dir)
    remove()
    assert.is_false(ok)
    assert.truthy(err:find("^20%-b%.lua:2: unknown key 'conect'"), err)
  end)

  it("raises for a missing directory", function()
    local ok, err = pcall(testing.load, "/nonexistent/sluice-rules")
    assert.is_false(ok)
    assert.truthy(err:find("cannot read the rules directory /nonexistent/sluice-rules", 1, true), err)
  end)

  it("passes default and generation to the engine", function()
    local dir, remove = make_dir({})
    local ok, gen = pcall(testing.load, dir, { default = "allow", generation = 9 })
    remove()
    assert.is_true(ok, gen)
    local d = testing.decide(gen, testing.connect{})
    assert.are.equal("allow", d.action)
    assert.are.equal(9, d.generation)
  end)
end)

describe("testing event builders", function()
  it("fills connect defaults", function()
    local e = testing.connect{}
    assert.are.equal("connect", e.event)
    assert.are.equal("tcp", e.proto)
    assert.are.equal("10.0.2.15", e.src)
    assert.are.equal(49152, e.src_port)
    assert.are.equal("192.0.2.1", e.dst)
    assert.are.equal(443, e.port)
    assert.is_nil(e.name)
    assert.are.equal("float", math.type(e.time))
    assert.are.equal("integer", math.type(e.id))
  end)

  it("gives every event a new id", function()
    assert.are_not.equal(testing.connect{}.id, testing.connect{}.id)
  end)

  it("keeps given fields", function()
    local e = testing.connect{ proto = "udp", port = 53, name = "example.com", id = 5, time = 1.5 }
    assert.are.equal("udp", e.proto)
    assert.are.equal(53, e.port)
    assert.are.equal("example.com", e.name)
    assert.are.equal(5, e.id)
    assert.are.equal(1.5, e.time)
  end)

  it("rejects unknown fields", function()
    assert.has_error(function() testing.connect{ prot = "udp" } end, "testing.connect: unknown event field 'prot'")
  end)

  it("lower-cases dns names and drops the trailing dot", function()
    local e = testing.dns{ name = "WWW.Example.COM." }
    assert.are.equal("www.example.com", e.name)
    assert.are.equal("A", e.type)
    assert.are.equal("IN", e.class)
    assert.are.equal("10.0.2.15", e.client)
    assert.are.equal("udp", e.proto)
  end)

  it("requires a dns name", function()
    assert.has_error(function() testing.dns{} end, "testing.dns: name is required")
  end)

  it("names a tls event after its SNI", function()
    local e = testing.tls{ sni = "example.com" }
    assert.are.equal("example.com", e.name)
    assert.are.same({}, e.alpn)
    assert.are.equal(443, e.port)
    assert.are.equal("integer", math.type(e.conn))
  end)

  it("leaves name nil when the spec gives false", function()
    assert.is_nil(testing.tls{ sni = "example.com", name = false }.name)
    assert.is_nil(testing.http{ host = "example.com", name = false }.name)
    assert.are.equal("example.com", testing.http{ host = "example.com" }.name)
  end)

  it("fills http defaults and a Host header", function()
    local e = testing.http{ host = "example.com" }
    assert.are.equal("GET", e.method)
    assert.are.equal("https", e.scheme)
    assert.are.equal(443, e.port)
    assert.are.equal("/", e.path)
    assert.is_nil(e.query)
    assert.are.equal("HTTP/1.1", e.version)
    assert.are.equal("example.com", e.name)
    assert.are.equal("example.com", e.headers.Host)
  end)

  it("uses port 80 for plain http", function()
    assert.are.equal(80, testing.http{ host = "example.com", scheme = "http" }.port)
  end)

  it("joins repeated header values", function()
    local e = testing.http{ host = "example.com", headers = { Accept = { "text/html", "*/*" } } }
    assert.are.equal("text/html, */*", e.headers.accept)
  end)

  it("requires an http host", function()
    assert.has_error(function() testing.http{} end, "testing.http: host is required")
  end)
end)

describe("testing.decide budget", function()
  local LOOP = 'local sluice = require "sluice"\nreturn { dns = function(q)\n'
    .. "  local n = 0\n  while true do\n    pcall(function() n = n + 1 end)\n  end\nend }\n"

  it("fails a looping rule closed as the gateway does", function()
    local gen = testing.load_files({ ["10-a.lua"] = LOOP })
    local d = testing.decide(gen, testing.dns{ name = "example.com" })
    assert.are.equal("deny", d.action)
    assert.are.equal("SERVFAIL", d.rcode)
    assert.are.equal("rule error", d.reason)
    assert.are.equal("10-a.lua:2", d.rule)
    assert.are.equal("10-a.lua:5: instruction budget of 1000000 exhausted", d.error)
  end)

  it("keeps the tags that rules added before the budget ran out", function()
    local gen = testing.load_files({
      ["05-tag.lua"] = 'local sluice = require "sluice"\nreturn { dns = function(q) return sluice.log{ "seen" } end }\n',
      ["10-a.lua"] = LOOP,
    })
    local d = testing.decide(gen, testing.dns{ name = "example.com" })
    assert.are.equal("rule error", d.reason)
    assert.are.same({ "seen" }, d.tags)
  end)

  it("leaves no hook behind and decides the next event", function()
    local gen = testing.load_files({
      ["10-a.lua"] = LOOP,
      ["20-b.lua"] = 'local sluice = require "sluice"\nreturn { connect = function(c) return sluice.allow() end }\n',
    })
    testing.decide(gen, testing.dns{ name = "example.com" })
    assert.is_nil(debug.gethook())
    assert.are.equal("allow", testing.decide(gen, testing.connect{}).action)
  end)

  it("takes a budget from the load options", function()
    local files = {
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { connect = function(c)\n'
        .. "  local n = 0\n  for i = 1, 10000 do n = n + i end\n  return sluice.allow()\nend }\n",
    }
    local small = testing.load_files(files, { budget = 1000 })
    assert.are.equal("10-a.lua:4: instruction budget of 1000 exhausted",
      testing.decide(small, testing.connect{}).error)
    assert.are.equal("allow", testing.decide(testing.load_files(files), testing.connect{}).action)
    assert.has_error(function() testing.load_files(files, { budget = 0 }) end,
      "testing: budget must be a positive integer, got 0")
  end)

  it("stops a file whose top level loops, at its line", function()
    local ok, err = pcall(testing.load_files, { ["10-a.lua"] = "local n = 0\nwhile true do n = n + 1 end\n" })
    assert.is_false(ok)
    assert.are.equal("10-a.lua:2: instruction budget of 1000000 exhausted", err)
    assert.is_nil(debug.gethook())
  end)

  it("counts a file's load from its first instruction", function()
    local files = { ["10-a.lua"] = "local n = 0\nfor i = 1, 10000 do n = n + i end\nreturn {}\n" }
    local ok, err = pcall(testing.load_files, files, { budget = 5000 })
    assert.is_false(ok)
    assert.are.equal("10-a.lua:2: instruction budget of 5000 exhausted", err)
    assert.truthy(testing.load_files(files, { budget = 100000 }))
  end)

  it("passes line events on to a hook that was already set", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nreturn { connect = function(c)\n  return sluice.allow()\nend }\n',
    })
    local lines = {}
    local function coverage(_, line)
      local source = debug.getinfo(2, "S").short_src
      lines[source .. ":" .. line] = true
    end
    debug.sethook(coverage, "l")
    local d = testing.decide(gen, testing.connect{})
    local hook = debug.gethook()
    debug.sethook()
    assert.are.equal("allow", d.action)
    assert.is_true(lines["10-a.lua:3"])
    assert.are.equal(coverage, hook)
  end)
end)
