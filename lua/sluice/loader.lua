-- SPDX-License-Identifier: MIT
-- Rule files and their helper modules: compiled in sandboxes, and the handler tables they return checked.
--
-- Each rule file and helper module runs in a fresh environment built from an
-- allow list of globals and libraries. Its require() reaches only the
-- sluice API and helper modules in subdirectories of the rules directory,
-- and its load() takes text only. Errors carry the file:line
-- of the rule that caused them. Everything taken from the debug library and
-- the global functions is captured when this module loads, because the
-- host removes debug, require and other globals afterwards.

local verdict = require "sluice.verdict"
local sluice = require "sluice"

local getinfo = debug.getinfo
local lua_load = load
local pcall, error, next, pairs, ipairs, select = pcall, error, next, pairs, ipairs, select
local type, tostring, getmetatable = type, tostring, getmetatable
local verdict_fields = verdict.fields

local loader = {}

local IS_EVENT_TYPE = { dns = true, connect = true, tls = true, http = true }
local RULE_KEYS = { "dns", "connect", "tls", "http", "mode" }
local MODES = { enforce = true, audit = true }

-- The globals a rule file may use (besides string, table, math, utf8, load,
-- print and require, which it gets in restricted forms). Captured now,
-- because the host deletes some globals after this module loads.
local SAFE_BASE = {}
for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select",
  "tonumber", "tostring", "type", "xpcall", "rawequal", "rawget", "rawlen", "rawset",
  "setmetatable", "getmetatable", "_VERSION" }) do
  SAFE_BASE[name] = _ENV[name]
end

local function copy_table(source, skip)
  local copy = {}
  for key, value in pairs(source) do
    if key ~= skip then
      copy[key] = value
    end
  end
  return copy
end

local LIBRARIES = {
  string = copy_table(require("sluice.pattern").string),
  table = copy_table(table),
  math = copy_table(math),
  utf8 = copy_table(utf8),
}
local API = copy_table(sluice)

local LOADING = {}

-- Compare strings byte by byte. The < operator uses strcoll(), which follows
-- the host's locale.
local function bytewise_less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

-- Return the number of the last line of source that is not blank.
local function last_line(source)
  local number, last = 0, 1
  for text in (source .. "\n"):gmatch("([^\n]*)\n") do
    number = number + 1
    if text:find("%S") then
      last = number
    end
  end
  return last
end

-- Return "file.lua:LINE" where function fn is defined.
local function function_location(fn)
  local info = getinfo(fn, "S")
  local source = info.source
  if source:sub(1, 1) == "@" or source:sub(1, 1) == "=" then
    source = source:sub(2)
  else
    source = info.short_src
  end
  return ("%s:%d"):format(source, info.linedefined), source, info.linedefined
end

-- Return err as a string that starts with a file:line position, using
-- location when err has none.
local function positioned(err, location)
  if type(err) ~= "string" then
    return ("%s: error object is a %s value"):format(location, type(err))
  end
  if err:match("^[^\n]-:%d+: ") then
    return err
  end
  return location .. ": " .. err
end

local function edit_distance(a, b)
  local previous = {}
  for j = 0, #b do
    previous[j] = j
  end
  for i = 1, #a do
    local current = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      current[j] = math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
    end
    previous = current
  end
  return previous[#b]
end

-- Return " (did you mean 'connect'?)" for a key close to a valid one, or "".
local function suggestion(key, valid_keys)
  for _, valid in ipairs(valid_keys or RULE_KEYS) do
    if key:lower() == valid or edit_distance(key:lower(), valid) <= 2 then
      return (" (did you mean '%s'?)"):format(valid)
    end
  end
  return ""
end

-- Names of the sets of sluice.match in messages, by their metatable.
local SET_NAMES = {
  ["sluice.DomainSet"] = "a sluice.domains{} set",
  ["sluice.PortSet"] = "a sluice.ports() set",
  ["sluice.CidrSet"] = "a sluice.cidr() set",
}

-- Describe value for an error message. A constructor gets the hint to call
-- it, unless as_handler tells that the value was given as a handler.
local function describe_value(value, as_handler)
  if type(value) == "string" then
    return ("the string %q"):format(#value > 40 and value:sub(1, 40) .. "..." or value)
  end
  if type(value) == "table" and getmetatable(value) == "sluice.constructor" then
    if as_handler then
      return ("the constructor %s"):format(tostring(value))
    end
    return ("the constructor %s itself (call it: %s())"):format(tostring(value), tostring(value))
  end
  if verdict_fields(value) then
    return "a verdict"
  end
  if type(value) == "table" then
    return SET_NAMES[getmetatable(value)] or "a plain table"
  end
  if type(value) == "function" and getinfo(value, "S").what == "C" then
    return "a built-in (C) function"
  end
  return ("a %s value"):format(type(value))
end

-- Return the hint for a value that was given as a handler but is not one.
local function handler_hint(value)
  if verdict_fields(value) or getmetatable(value) == "sluice.constructor" then
    return "; a handler is a function that returns the verdict, as in function(e) return sluice.allow() end"
  end
  if type(value) == "function" then
    return "; a handler must be written in Lua, as in function(e) ... end"
  end
  return ""
end

-- Return the number of the first line of source that assigns key in a table
-- constructor or as a variable ("mode = ..."), or nil. Values other than
-- functions carry no line of their own, so errors about them use this.
local function assignment_line(source, key)
  local number = 0
  for text in (source .. "\n"):gmatch("([^\n]*)\n") do
    number = number + 1
    local code = text:gsub("%-%-.*", "")
    if code:find("%f[%w_]" .. key .. "%s*=[^=]") or code:find("%f[%w_]" .. key .. "%s*=$") then
      return number
    end
  end
  return nil
end

local function valid_module_name(name)
  for part in (name .. "."):gmatch("([^.]*)%.") do
    if not part:match("^[%w_][%w_%-]*$") then
      return false
    end
  end
  return true
end

local new_env

-- Load helper module name for a rule file. Returns true and the module's
-- value, or false and an error message without position.
local function load_module(gen, name)
  local cached = gen.modules[name]
  if cached == LOADING then
    return false, ("module '%s' requires itself through a loop of modules"):format(name)
  end
  if cached ~= nil then
    return true, cached
  end

  local path = name:gsub("%.", "/") .. ".lua"
  if gen.finished then
    return false, ("module '%s' was not loaded when the rules were loaded; "
      .. "require modules at the top of a file"):format(name)
  end
  if not gen.read_module then
    return false, ("module '%s' not found: this generation has no module reader"):format(name)
  end

  local ok, source, chunkname = pcall(gen.read_module, name)
  if not ok then
    return false, ("cannot read module '%s': %s"):format(name, tostring(source))
  end
  if source == nil then
    return false, ("module '%s' not found: no file %s in the rules directory"):format(name, path)
  end
  if type(source) ~= "string" then
    return false, ("module reader returned a %s for '%s', expected the source text"):format(
      type(source), name)
  end
  chunkname = chunkname or path
  if chunkname:sub(1, 1) ~= "@" and chunkname:sub(1, 1) ~= "=" then
    chunkname = "@" .. chunkname
  end

  local chunk, err = lua_load(source, chunkname, "t", new_env(gen))
  if not chunk then
    return false, ("error loading module '%s': %s"):format(name, err)
  end

  gen.modules[name] = LOADING
  local result
  ok, result = pcall(chunk, name)
  if not ok then
    gen.modules[name] = nil
    return false, ("error loading module '%s': %s"):format(name, positioned(result, chunkname:sub(2)))
  end
  if result == nil then
    result = true
  end
  gen.modules[name] = result
  return true, result
end

local function make_require(gen)
  local api

  return function(name)
    if type(name) ~= "string" then
      error(("require: module name must be a string, got %s"):format(type(name)), 2)
    end
    if name == "sluice" then
      api = api or copy_table(API)
      return api
    end
    if name:sub(1, 7) == "sluice." then
      error(("module '%s' is not available to rules; only 'sluice' is"):format(name), 2)
    end
    if not valid_module_name(name) then
      error(("invalid module name %q: use names like 'lib.net' for lib/net.lua in the rules directory"):format(
        name), 2)
    end
    if not name:find(".", 1, true) then
      error(("module '%s' not found: a helper module must be in a subdirectory of the rules directory, "
        .. "such as 'lib.net' for lib/net.lua"):format(name), 2)
    end

    local ok, result = load_module(gen, name)
    if not ok then
      error(result, 2)
    end
    return result
  end
end

local function make_load(env)
  return function(chunk, chunkname, mode, ...)
    if mode ~= nil and (type(mode) ~= "string" or not mode:find("t", 1, true)) then
      return nil, "load: binary chunks are not allowed; only mode \"t\" (text) is"
    end
    local chunk_env = env
    if select("#", ...) > 0 then
      chunk_env = ...
    end
    return lua_load(chunk, chunkname, "t", chunk_env)
  end
end

-- Build the environment of one rule file or helper module.
function new_env(gen)
  local env = copy_table(SAFE_BASE)
  for name, library in pairs(LIBRARIES) do
    env[name] = copy_table(library)
  end
  env.load = make_load(env)
  env.print = gen.print
  env.require = make_require(gen)
  return env
end

-- The keys of a scoped handler, { names = ..., ports = ..., handler = fn }.
local SCOPE_KEYS = { "handler", "names", "ports" }
local IS_SCOPE_KEY = { handler = true, names = true, ports = true }

-- Build the set of a scope's names or ports from what the rule gave: a set
-- from sluice.domains() or sluice.ports(), one pattern or port, or an array.
-- Returns the set or nil and an error message.
local function scope_set(what, value)
  local kind = what == "names" and "sluice.DomainSet" or "sluice.PortSet"
  if getmetatable(value) == kind then
    return value
  end
  if type(value) == "string" or type(value) == "number" then
    value = { value }
  end
  if type(value) ~= "table" or getmetatable(value) ~= nil then
    return nil, ("%s must be %s or an array, got %s"):format(what,
      what == "names" and "a domain pattern, a sluice.domains{} set" or "a port, a range, a sluice.ports() set",
      describe_value(value))
  end
  local key = next(value)
  if key == nil then
    return nil, ("%s is empty, so the handler would never run; leave %s out to run it for every event"):format(
      what, what)
  end
  if value[1] == nil then
    return nil, ("%s must list its entries as an array, as in %s; got a table with the key %s"):format(
      what, what == "names" and '{ "example.com" }' or "{ 80, 443 }",
      type(key) == "string" and ("%q"):format(key) or tostring(key))
  end
  local ok, set = pcall(what == "names" and sluice.domains or sluice.ports, value)
  if not ok then
    -- The message of sluice.domains or sluice.ports, without its position and function name.
    local message = tostring(set):gsub("^[^\n]-:%d+: ", ""):gsub("^%a+: ", "")
    return nil, ("%s: %s"):format(what, message)
  end
  return set
end

-- Check a scoped handler, { names = ..., ports = ..., handler = fn }, of
-- event type kind. Returns the handler and its scope { names =, ports = },
-- or nil and an error message.
local function check_scope(kind, value)
  if getmetatable(value) ~= nil then
    return nil, ("handler '%s' must be a Lua function or a table with names, ports and handler, got %s%s"):format(
      kind, describe_value(value, true), handler_hint(value))
  end
  for key in next, value do
    if not IS_SCOPE_KEY[key] then
      return nil, ("unknown key '%s' in the '%s' table%s; expected %s"):format(
        tostring(key), kind, type(key) == "string" and suggestion(key, SCOPE_KEYS) or "",
        table.concat(SCOPE_KEYS, ", "))
    end
  end
  local handler = value.handler
  if type(handler) ~= "function" or getinfo(handler, "S").what ~= "Lua" then
    return nil, ("the '%s' table needs handler = function(...) ... end, got %s%s"):format(
      kind, describe_value(handler, true), handler_hint(handler))
  end
  if value.ports ~= nil and kind == "dns" then
    return nil, "dns events have no port, so a dns handler cannot be scoped by ports"
  end

  local scope
  for _, what in ipairs({ "names", "ports" }) do
    if value[what] ~= nil then
      local set, err = scope_set(what, value[what])
      if not set then
        return nil, err
      end
      scope = scope or {}
      scope[what] = set
    end
  end
  -- Without names or ports, the handler runs for every event, so it has no scope.
  return handler, scope
end

-- Check the table a rule file returned. Returns the file entry or nil and an error message.
local function check_rules_table(name, rules, source)
  local where = ("%s:%d"):format(name, last_line(source))
  if type(rules) ~= "table" or verdict_fields(rules) then
    local got = verdict_fields(rules) and "a verdict" or describe_value(rules)
    return nil, ("%s: the file returned %s; a rule file must return a table of handlers, "
      .. "such as return { connect = function(c) ... end }"):format(where, got)
  end
  if getmetatable(rules) ~= nil then
    return nil, ("%s: the returned table has a metatable; return a plain table of handlers"):format(where)
  end

  local entry = { file = name, handlers = {}, scopes = {}, locations = {}, mode = "enforce" }
  for key, value in next, rules do
    local at = where
    if type(value) == "function" and getinfo(value, "S").what == "Lua" then
      at = function_location(value)
    elseif type(key) == "string" and key:match("^[%a_][%w_]*$") then
      local line = assignment_line(source, key)
      at = line and ("%s:%d"):format(name, line) or where
    end
    if type(key) ~= "string" then
      return nil, ("%s: unexpected entry [%s] in the returned table; expected dns, connect, tls, http or mode"):format(
        at, tostring(key))
    end

    if key == "mode" then
      if not MODES[value] then
        return nil, ("%s: mode must be \"audit\" or \"enforce\", got %s"):format(at, describe_value(value))
      end
      entry.mode = value
    elseif IS_EVENT_TYPE[key] then
      local handler, scope = value, nil
      if type(value) == "table" and not verdict_fields(value) then
        handler, scope = check_scope(key, value)
        if not handler then
          return nil, ("%s: %s"):format(at, scope)
        end
      elseif type(value) ~= "function" or getinfo(value, "S").what ~= "Lua" then
        return nil, ("%s: handler '%s' must be a Lua function or a table with names, ports and handler, got %s%s"):format(
          at, key, describe_value(value, true), handler_hint(value))
      end
      entry.handlers[key] = handler
      entry.scopes[key] = scope
      entry.locations[key] = { function_location(handler) }
    else
      return nil, ("%s: unknown key '%s' in the returned table%s; expected dns, connect, tls, http or mode"):format(
        at, key, suggestion(key))
    end
  end
  return entry
end

---Compile rule file name in a fresh sandbox for generation gen, run it and
---check the table of handlers it returns. gen provides modules (a cache),
---read_module, print and finished, for the file's require().
---@return table|nil entry {file, handlers, scopes, locations, mode} of the file
---@return string|nil err "file.lua:LINE: message" when the file is rejected
function loader.compile(gen, name, source)
  if type(name) ~= "string" or not name:match("^[^/]+%.lua$") then
    return nil, ("add_file: invalid rule file name %s; expected a top-level *.lua name"):format(
      tostring(name))
  end
  if type(source) ~= "string" then
    return nil, ("%s:1: source must be a string, got %s"):format(name, type(source))
  end
  if source:sub(1, 1) == "\27" then
    return nil, ("%s:1: precompiled (binary) chunks are not allowed; rule files must be Lua source text"):format(
      name)
  end

  local chunk, err = lua_load(source, "@" .. name, "t", new_env(gen))
  if not chunk then
    return nil, positioned(err, name .. ":1")
  end
  local ok, rules = pcall(chunk)
  if not ok then
    return nil, positioned(rules, name .. ":1")
  end

  return check_rules_table(name, rules, source)
end

loader.copy_table = copy_table
loader.bytewise_less = bytewise_less
loader.positioned = positioned
loader.describe_value = describe_value

return loader
