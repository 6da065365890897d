-- SPDX-License-Identifier: MIT
-- The environment of a rule file: allowed globals, restricted load and require, helper modules.

local engine = require "sluice.engine"
local testing = require "sluice.testing"

-- Run a rule file whose top level is body, then return what its dns handler
-- computed: body must set the local `result` before the return statement.
local function evaluate(body, files)
  files = files or {}
  files["10-a.lua"] = "local result\n" .. body .. "\nreturn { dns = function()\n"
    .. '  return require("sluice").deny{ reason = tostring(result) }\nend }\n'
  local gen = testing.load_files(files)
  return testing.decide(gen, testing.dns{ name = "example.com" }).reason
end

local load_error = require("spec.support.rules").load_error

describe("rule sandbox", function()
  it("has no io, os, debug, package or coroutine", function()
    for _, name in ipairs({ "io", "os", "debug", "package", "coroutine" }) do
      assert.are.equal("nil", evaluate(("result = type(%s)"):format(name)), name)
    end
  end)

  it("has no dofile, loadfile, collectgarbage, warn or _G", function()
    for _, name in ipairs({ "dofile", "loadfile", "collectgarbage", "warn", "_G", "loadstring" }) do
      assert.are.equal("nil", evaluate(("result = type(%s)"):format(name)), name)
    end
  end)

  it("has the allowed base functions", function()
    for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
      "tostring", "type", "xpcall", "rawequal", "rawget", "rawlen", "rawset", "setmetatable",
      "getmetatable", "load", "print", "require" }) do
      assert.are.equal("function", evaluate(("result = type(%s)"):format(name)), name)
    end
    assert.are.equal("Lua 5.4", evaluate("result = _VERSION"))
  end)

  it("has string, table, math and utf8", function()
    assert.are.equal("HELLO", evaluate('result = string.upper("hello")'))
    assert.are.equal("a,b", evaluate('result = table.concat({ "a", "b" }, ",")'))
    assert.are.equal("3", evaluate("result = math.max(1, 3)"))
    assert.are.equal("2", evaluate('result = utf8.len("\\u{e9}a")'))
  end)

  it("has no string.dump", function()
    assert.are.equal("nil", evaluate("result = type(string.dump)"))
  end)

  it("loads text chunks into the file's environment", function()
    assert.are.equal("42", evaluate('answer = 42\nresult = load("return answer")()'))
  end)

  it("loads text chunks into a given environment", function()
    assert.are.equal("7", evaluate('result = load("return x", "chunk", "t", { x = 7 })()'))
  end)

  it("refuses binary chunks", function()
    local bytecode = string.dump(function() return 1 end)
    assert.are.equal("attempt to load a binary chunk (mode is 't')",
      evaluate(("result = select(2, load(%q))"):format(bytecode)))
    assert.are.equal("attempt to load a binary chunk (mode is 't')",
      evaluate(("result = select(2, load(%q, 'x', 'bt'))"):format(bytecode)))
  end)

  it("refuses binary mode in load", function()
    assert.are.equal('load: binary chunks are not allowed; only mode "t" (text) is',
      evaluate('result = select(2, load("return 1", "x", "b"))'))
  end)

  it("gives each file its own globals", function()
    local gen = testing.load_files({
      ["10-a.lua"] = "shared = 1\nreturn {}\n",
      ["20-b.lua"] = 'return { dns = function()\n  return require("sluice").deny{ reason = tostring(shared) }\nend }\n',
    })
    assert.are.equal("nil", testing.decide(gen, testing.dns{ name = "example.com" }).reason)
  end)

  it("gives each file its own copy of the libraries", function()
    local gen = testing.load_files({
      ["10-a.lua"] = "string.upper = nil\nmath.max = nil\nreturn {}\n",
      ["20-b.lua"] = 'return { dns = function()\n  return require("sluice").deny{ reason = string.upper("ok") .. math.max(1, 2) }\nend }\n',
    })
    assert.are.equal("OK2", testing.decide(gen, testing.dns{ name = "example.com" }).reason)
  end)

  it("gives each file its own copy of the sluice API", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local sluice = require "sluice"\nsluice.deny = sluice.allow\nreturn {}\n',
      ["20-b.lua"] = 'local sluice = require "sluice"\nreturn { connect = function()\n  return sluice.deny()\nend }\n',
    })
    assert.are.equal("deny", testing.decide(gen, testing.connect{}).action)
  end)

  it("sends print to the print option", function()
    local printed = {}
    local gen = testing.load_files({ ["10-a.lua"] = 'print("loaded", 1)\nreturn {}\n' }, {
      print = function(...) printed[#printed + 1] = table.concat({ ... }, " ") end,
    })
    assert.is_not_nil(gen)
    assert.are.same({ "loaded 1" }, printed)
  end)

  it("makes print do nothing without a print option", function()
    local gen = engine.new{}
    assert.is_true(gen:add_file("10-a.lua", 'print("x")\nreturn {}'))
  end)
end)

describe("rule require", function()
  it("refuses standard library modules", function()
    for _, name in ipairs({ "os", "io", "debug" }) do
      local err = load_error({ ["10-a.lua"] = ('local m = require "%s"\nreturn {}\n'):format(name) })
      assert.are.equal(("10-a.lua:1: module '%s' not found: a helper module must be in a subdirectory "
        .. "of the rules directory, such as 'lib.net' for lib/net.lua"):format(name), err)
    end
  end)

  it("refuses sluice modules other than sluice", function()
    for _, name in ipairs({ "sluice.engine", "sluice.testing", "sluice.verdict" }) do
      local err = load_error({ ["10-a.lua"] = ('local m = require "%s"\nreturn {}\n'):format(name) })
      assert.are.equal(("10-a.lua:1: module '%s' is not available to rules; only 'sluice' is"):format(name), err)
    end
  end)

  it("refuses module names that leave the rules directory", function()
    for _, name in ipairs({ "../x", "/etc/passwd", "lib..x", ".x", "lib/x", "" }) do
      local err = load_error({ ["10-a.lua"] = ('local m = require "%s"\nreturn {}\n'):format(name) })
      assert.are.equal(1, err:find(("10-a.lua:1: invalid module name %q"):format(name), 1, true), err)
    end
  end)

  it("loads a helper module from a subdirectory", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local net = require "lib.net"\nreturn { connect = function(c)\n  return net.decide(c)\nend }\n',
      ["lib/net.lua"] = 'local sluice = require "sluice"\nlocal web = sluice.ports(80, 443)\n'
        .. "return { decide = function(c)\n  if web:contains(c.port) then return sluice.allow() end\nend }\n",
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{ port = 80 }).action)
    assert.are.equal("deny", testing.decide(gen, testing.connect{ port = 22 }).action)
  end)

  it("loads a module once per generation", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local m = require "lib.state"\nm.count = m.count + 1\nreturn {}\n',
      ["20-b.lua"] = 'local m = require "lib.state"\nm.count = m.count + 1\n'
        .. 'return { dns = function()\n  return require("sluice").deny{ reason = tostring(m.count) }\nend }\n',
      ["lib/state.lua"] = "return { count = 0 }\n",
    })
    assert.are.equal("2", testing.decide(gen, testing.dns{ name = "example.com" }).reason)
  end)

  it("refuses a helper module at the top of the rules directory", function()
    local err = load_error({
      ["10-a.lua"] = 'local m = require "helpers"\nreturn {}\n',
      ["helpers.lua"] = "return {}\n",
    })
    assert.truthy(err:find("^10%-a%.lua:1: module 'helpers' not found: a helper module must be in a subdirectory"), err)
  end)

  it("passes the module name to the module", function()
    assert.are.equal("lib.name", evaluate('result = require "lib.name"', { ["lib/name.lua"] = "return ...\n" }))
  end)

  it("returns true for a module that returns nothing", function()
    assert.are.equal("true", evaluate('result = require "lib.empty"', { ["lib/empty.lua"] = "local x = 1\n" }))
  end)

  it("lets modules require other modules", function()
    assert.are.equal("deep", evaluate('result = require("lib.a").value', {
      ["lib/a.lua"] = 'return { value = require("lib.b") }\n',
      ["lib/b.lua"] = 'return "deep"\n',
    }))
  end)

  it("reports a missing module at the require line", function()
    local err = load_error({ ["10-a.lua"] = 'local x = 1\nlocal m = require "lib.missing"\nreturn {}\n' })
    assert.are.equal("10-a.lua:2: module 'lib.missing' not found: no file lib/missing.lua in the rules directory", err)
  end)

  it("reports a syntax error in a module with the module's line", function()
    local err = load_error({
      ["10-a.lua"] = 'local m = require "lib.bad"\nreturn {}\n',
      ["lib/bad.lua"] = "local x = 1\nreturn {\n",
    })
    assert.truthy(err:find("^10%-a%.lua:1: error loading module 'lib%.bad': lib/bad%.lua:3: "), err)
  end)

  it("reports a runtime error in a module with the module's line", function()
    local err = load_error({
      ["10-a.lua"] = 'local m = require "lib.bad"\nreturn {}\n',
      ["lib/bad.lua"] = 'local x = 1\nerror("broken")\n',
    })
    assert.are.equal("10-a.lua:1: error loading module 'lib.bad': lib/bad.lua:2: broken", err)
  end)

  it("detects a require loop", function()
    local err = load_error({
      ["10-a.lua"] = 'local m = require "lib.a"\nreturn {}\n',
      ["lib/a.lua"] = 'return require "lib.b"\n',
      ["lib/b.lua"] = 'return require "lib.a"\n',
    })
    assert.truthy(err:find("module 'lib.a' requires itself through a loop of modules", 1, true), err)
  end)

  it("sandboxes helper modules like rule files", function()
    assert.are.equal("nil nil", evaluate('result = require "lib.probe"', {
      ["lib/probe.lua"] = 'return type(io) .. " " .. type(string.dump)\n',
    }))
  end)

  it("refuses to load a new module after the rules are finished", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'return { connect = function()\n  local m = require "lib.late"\nend }\n',
      ["lib/late.lua"] = "return {}\n",
    })
    assert.are.equal("10-a.lua:2: module 'lib.late' was not loaded when the rules were loaded; "
      .. "require modules at the top of a file", testing.decide(gen, testing.connect{}).error)
  end)

  it("returns an already loaded module inside a handler", function()
    local gen = testing.load_files({
      ["10-a.lua"] = 'local first = require "lib.x"\nreturn { connect = function()\n'
        .. '  local sluice = require "sluice"\n  if require "lib.x" == first then return sluice.allow() end\nend }\n',
      ["lib/x.lua"] = "return {}\n",
    })
    assert.are.equal("allow", testing.decide(gen, testing.connect{}).action)
  end)

  it("reports a module reader that fails", function()
    local gen = engine.new{ read_module = function() error("disk on fire", 0) end }
    local ok, err = gen:add_file("10-a.lua", 'local m = require "lib.x"\nreturn {}')
    assert.is_false(ok)
    assert.are.equal("10-a.lua:1: cannot read module 'lib.x': disk on fire", err)
  end)

  it("adds @ to a chunk name from the module reader", function()
    local gen = engine.new{ read_module = function() return "local x = nil\nreturn x.y", "lib/x.lua" end }
    local ok, err = gen:add_file("10-a.lua", 'local m = require "lib.x"\nreturn {}')
    assert.is_false(ok)
    assert.are.equal("10-a.lua:1: error loading module 'lib.x': lib/x.lua:2: attempt to index a nil value (local 'x')", err)
  end)
end)
