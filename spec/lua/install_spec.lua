-- SPDX-License-Identifier: MIT
-- The modules work from an installed share/lua/5.4 directory, for a rules repository with no busted setup.
--
-- The spec copies lua/sluice into a temporary PREFIX/share/lua/5.4/sluice
-- and writes a small rules repository without a .busted file. Then it runs
-- busted there with LUA_PATH_5_4 set to that directory followed by Lua's
-- default path (";;"). This stands in for /usr/local/share/lua/5.4, which
-- is on Lua 5.4's default path.

local lfs = require "lfs"

local repo_root = debug.getinfo(1, "S").source:match("^@(.*)spec/lua/[^/]*$")
if repo_root == "" then
  repo_root = "."
end

local function shell_quote(text)
  return "'" .. text:gsub("'", "'\\''") .. "'"
end

local function write_file(path, text)
  local file = assert(io.open(path, "wb"))
  file:write(text)
  file:close()
end

local function run(command)
  local pipe = assert(io.popen(command .. " 2>&1"))
  local output = pipe:read("a")
  local ok = pipe:close()
  return ok, output
end

describe("installed modules", function()
  local prefix

  before_each(function()
    prefix = os.tmpname()
    os.remove(prefix)
    assert(lfs.mkdir(prefix))
  end)

  after_each(function()
    assert(run("rm -rf -- " .. shell_quote(prefix)))
  end)

  it("let busted run a rules repository's specs with no setup", function()
    local share = prefix .. "/share/lua/5.4"
    assert(run(("mkdir -p %s/sluice %s/repo/rules %s/repo/spec"):format(
      shell_quote(share), shell_quote(prefix), shell_quote(prefix))))
    assert(run(("cp %s/lua/sluice/*.lua %s/sluice/"):format(shell_quote(repo_root), shell_quote(share))))

    write_file(prefix .. "/repo/rules/10-allow.lua", 'local sluice = require "sluice"\n'
      .. "return { dns = function(q)\n"
      .. '  if sluice.domain(q.name, "*.example.com") then return sluice.allow() end\nend }\n')
    write_file(prefix .. "/repo/spec/rules_spec.lua", 'local testing = require "sluice.testing"\n'
      .. 'describe("rules", function()\n'
      .. '  it("allows names below example.com", function()\n'
      .. '    local gen = testing.load("rules")\n'
      .. '    assert.are.equal("allow", testing.decide(gen, testing.dns{ name = "www.example.com" }).action)\n'
      .. '    assert.are.equal("deny", testing.decide(gen, testing.dns{ name = "example.com" }).action)\n'
      .. "  end)\n"
      .. '  it("uses the installed modules", function()\n'
      .. ('    assert.are.equal(%q, package.searchpath("sluice.engine", package.path))\n'):format(
        share .. "/sluice/engine.lua")
      .. "  end)\n"
      .. "end)\n")

    local ok, output = run(("cd %s && env -u LUA_PATH LUA_PATH_5_4=%s busted"):format(
      shell_quote(prefix .. "/repo"), shell_quote(share .. "/?.lua;" .. share .. "/?/init.lua;;")))
    assert.is_true(ok, output)
    assert.truthy(output:find("2 successes / 0 failures / 0 errors", 1, true), output)
  end)
end)
