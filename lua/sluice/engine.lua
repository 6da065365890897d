-- SPDX-License-Identifier: MIT
-- One generation of rules: loads rule files into sandboxes and decides events with them.
--
-- How it works: engine.new() starts an empty generation. add_file() compiles
-- one rule file (text only) in a fresh environment built from an allow list,
-- runs it and checks the table of handlers it returns. finish() sorts the
-- files by name (byte-wise) and builds one handler list per event type.
-- decide() calls the handlers for the event's type in that order inside one
-- pcall(): the first terminal verdict wins, log verdicts add tags, nil
-- passes, and audit-mode files only record what they would have decided. A
-- handler error, a return value that is not a verdict, or a verdict that
-- does not fit the event stops dispatch with the fail-closed verdict.
--
-- Limits: the instruction budget and the memory cap are enforced by the host
-- (the C bridge), not here. When the budget runs out, the host's hook raises
-- errors until decide() itself fails, and the host builds the fail-closed
-- verdict. Everything this module needs from the debug library and the
-- global functions is captured when it loads, because the host removes
-- debug, require and other globals afterwards.

local verdict = require "sluice.verdict"
local sluice = require "sluice"

-- This module and sluice must share one verdict registry. A host whose
-- require() does not cache modules would give them two, and then no rule's
-- verdict would be recognized.
assert(verdict.fields(sluice.allow()),
  "sluice.engine: require loaded sluice.verdict twice; the module loader must cache modules")

local getinfo = debug.getinfo
local lua_load = load
local pcall, xpcall, error, next, pairs, ipairs, select = pcall, xpcall, error, next, pairs, ipairs, select
local type, tostring, setmetatable, getmetatable = type, tostring, setmetatable, getmetatable
local verdict_fields, check_fit = verdict.fields, verdict.check_fit

local engine = {}

local EVENT_TYPES = { "dns", "connect", "tls", "http" }
local IS_EVENT_TYPE = { dns = true, connect = true, tls = true, http = true }
local RULE_KEYS = { "dns", "connect", "tls", "http", "mode" }
local MODES = { enforce = true, audit = true }

-- Event fields that hold tables; decide() gives handlers read-only views of them too.
local NESTED_FIELDS = { tls = { "alpn" }, http = { "headers" } }

-- The fields of each event type (docs/rules.md, "Events"). Reading another
-- field is an error, so that a misspelt field (c.prot) fails the event
-- closed with the rule's line instead of reading nil.
local EVENT_FIELDS = {
  dns = { "name", "type", "class", "client", "proto" },
  connect = { "proto", "src", "src_port", "dst", "port", "name" },
  tls = { "conn", "sni", "alpn", "name", "dst", "port", "src" },
  http = { "conn", "method", "scheme", "host", "port", "path", "query", "version", "headers", "src", "dst", "name" },
}

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

local function noop() end

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
local function suggestion(key)
  for _, valid in ipairs(RULE_KEYS) do
    if key:lower() == valid or edit_distance(key:lower(), valid) <= 2 then
      return (" (did you mean '%s'?)"):format(valid)
    end
  end
  return ""
end

local function describe_value(value)
  if type(value) == "string" then
    return ("the string %q"):format(#value > 40 and value:sub(1, 40) .. "..." or value)
  end
  if type(value) == "table" and getmetatable(value) == "sluice.constructor" then
    return ("the constructor %s itself (call it: %s())"):format(tostring(value), tostring(value))
  end
  if type(value) == "table" then
    return "a plain table"
  end
  return ("a %s value"):format(type(value))
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

local function reject_write(_, key)
  error(("event field '%s' is read-only"):format(tostring(key)), 2)
end

-- Per event type, the metatable that decide() gives an event table (or the
-- copy that handlers read): its __index runs only for a field the table
-- does not have, returns nil for a known field and raises for any other.
local STRICT_META = {}
local IS_STRICT_META = {}
for kind, fields in pairs(EVENT_FIELDS) do
  local known = { event = true, id = true, time = true }
  for _, field in ipairs(fields) do
    known[field] = true
  end
  table.sort(fields)
  local list = "event, id, time, " .. table.concat(fields, ", ")
  local meta = {
    __index = function(_, key)
      if known[key] then
        return nil
      end
      error(("%s events have no field '%s' (they have %s)"):format(kind, tostring(key), list), 2)
    end,
  }
  STRICT_META[kind] = meta
  IS_STRICT_META[meta] = true
end

-- Give event the strict metatable of kind, unless it has a metatable of
-- its own. Returns event.
local function make_strict(event, kind)
  local meta = getmetatable(event)
  if meta == nil or IS_STRICT_META[meta] then
    setmetatable(event, STRICT_META[kind])
  end
  return event
end

-- What the reusable view shows between events.
local EMPTY = {}

-- Return a read-only view of table source: reads go to front (source, or a
-- copy of it whose nested tables are views), writes raise an error.
local function read_only_view(source, front, with_length)
  front = front or source
  return setmetatable({}, {
    __index = front,
    __newindex = reject_write,
    __len = with_length and function() return #source end or nil,
    __pairs = function()
      return function(_, key)
        local k = next(source, key)
        if k == nil then
          return nil
        end
        return k, front[k]
      end, nil, nil
    end,
    __metatable = "sluice.Event",
  })
end

-- Return the read-only view that a generation hands to its handlers, and a
-- function point(source, front) that turns it to another event (front as
-- in read_only_view()). decide() points the one view at each event in turn
-- instead of building a view per event, and back at an empty table when it
-- returns, so a handler that keeps the view reads no fields between events.
local function reusable_view()
  local meta = { __index = EMPTY, __newindex = reject_write, __metatable = "sluice.Event" }
  local source = EMPTY
  meta.__pairs = function()
    local keys, front = source, meta.__index
    return function(_, key)
      local k = next(keys, key)
      if k == nil then
        return nil
      end
      return k, front[k]
    end, nil, nil
  end

  local function point(new_source, front)
    source = new_source
    meta.__index = front or new_source
  end
  return setmetatable({}, meta), point
end

-- Point the generation's view at event, with views of its nested tables.
-- The C core passes the same table for every event of a type, so it is made
-- strict once.
local function point_view(gen, event, kind)
  local nested = NESTED_FIELDS[kind]
  if not nested then
    if event ~= gen.strict_event or kind ~= gen.strict_kind then
      gen.strict_event, gen.strict_kind = make_strict(event, kind), kind
    end
    gen.point_view(event)
    return
  end
  local front = make_strict(copy_table(event), kind)
  for _, field in ipairs(nested) do
    if type(front[field]) == "table" then
      front[field] = read_only_view(front[field], nil, true)
    end
  end
  gen.point_view(event, front)
end

---@class sluice.Generation
---@field private default "allow"|"deny"
---@field private generation integer
---@field private read_module fun(modname: string): string|nil, string|nil
---@field private print function
---@field private files table[] loaded rule files
---@field private names table<string, true>
---@field private first_error string|nil
---@field private finished boolean
---@field private modules table<string, any> helper modules by name
---@field private dispatch table<string, table[]> handler lists by event type
---@field private counts table<string, table> counters by "file.lua:LINE"
---@field private scratch table dispatch state of the running decide()
---@field private view table the read-only event view handlers get
---@field private point_view fun(source: table, front?: table) turns view to an event
local Generation = {}
Generation.__index = Generation

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

---Start an empty rules generation.
---@param opts {default?: "allow"|"deny", generation?: integer, read_module?: fun(modname: string): string|nil, string|nil, print?: function}
---@return sluice.Generation
function engine.new(opts)
  opts = opts or {}
  local default = opts.default or "deny"
  if default ~= "allow" and default ~= "deny" then
    error(("engine.new: default must be \"allow\" or \"deny\", got %s"):format(tostring(default)), 2)
  end
  local generation = opts.generation or 0
  if math.type(generation) ~= "integer" then
    error(("engine.new: generation must be an integer, got %s"):format(tostring(generation)), 2)
  end
  if opts.read_module ~= nil and type(opts.read_module) ~= "function" then
    error("engine.new: read_module must be a function", 2)
  end
  if opts.print ~= nil and type(opts.print) ~= "function" then
    error("engine.new: print must be a function", 2)
  end

  local view, point = reusable_view()
  return setmetatable({
    view = view,
    point_view = point,
    default = default,
    generation = generation,
    read_module = opts.read_module,
    print = opts.print or noop,
    files = {},
    names = {},
    first_error = nil,
    finished = false,
    modules = {},
    dispatch = nil,
    counts = {},
    scratch = { index = 0, tags = nil, audit = nil },
  }, Generation)
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

  local entry = { file = name, handlers = {}, locations = {}, mode = "enforce" }
  for key, value in next, rules do
    local at = where
    if type(value) == "function" then
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
      if type(value) ~= "function" or getinfo(value, "S").what ~= "Lua" then
        return nil, ("%s: handler '%s' must be a Lua function, got %s"):format(at, key, describe_value(value))
      end
      entry.handlers[key] = value
      entry.locations[key] = { function_location(value) }
    else
      return nil, ("%s: unknown key '%s' in the returned table%s; expected dns, connect, tls, http or mode"):format(
        at, key, suggestion(key))
    end
  end
  return entry
end

-- Load one rule file into gen. Returns true, or false and an error message.
local function add_rule_file(gen, name, source)
  if type(name) ~= "string" or not name:match("^[^/]+%.lua$") then
    return false, ("add_file: invalid rule file name %s; expected a top-level *.lua name"):format(
      tostring(name))
  end
  if gen.names[name] then
    return false, ("%s:1: a rule file with this name was already added"):format(name)
  end
  if type(source) ~= "string" then
    return false, ("%s:1: source must be a string, got %s"):format(name, type(source))
  end
  if source:sub(1, 1) == "\27" then
    return false, ("%s:1: precompiled (binary) chunks are not allowed; rule files must be Lua source text"):format(
      name)
  end

  local chunk, err = lua_load(source, "@" .. name, "t", new_env(gen))
  if not chunk then
    return false, positioned(err, name .. ":1")
  end
  local ok, rules = pcall(chunk)
  if not ok then
    return false, positioned(rules, name .. ":1")
  end

  local entry
  entry, err = check_rules_table(name, rules, source)
  if not entry then
    return false, err
  end
  gen.names[name] = true
  gen.files[#gen.files + 1] = entry
  return true
end

---Compile and run one rule file and check the table of handlers it returns.
---@param name string file name such as "10-base.lua" (its chunk name is "@" .. name)
---@param source string the file's text
---@return boolean ok
---@return string|nil err "10-base.lua:LINE: message" when the file is rejected
function Generation:add_file(name, source)
  if self.finished then
    return false, "add_file: the generation is already finished"
  end
  local ok, err = add_rule_file(self, name, source)
  if not ok then
    self.first_error = self.first_error or err
  end
  return ok, err
end

---Close the generation: order the files by name and prepare dispatch. Fails
---when any add_file() call failed, with that first error.
---@return boolean ok
---@return string|nil err
function Generation:finish()
  if self.finished then
    return false, "finish: the generation is already finished"
  end
  if self.first_error then
    return false, self.first_error
  end

  table.sort(self.files, function(a, b) return bytewise_less(a.file, b.file) end)
  self.dispatch = {}
  for _, kind in ipairs(EVENT_TYPES) do
    local list = {}
    for _, file in ipairs(self.files) do
      local handler = file.handlers[kind]
      if handler then
        local rule, source, line = table.unpack(file.locations[kind])
        list[#list + 1] = { fn = handler, rule = rule, file = source, line = line,
          audit = file.mode == "audit" }
      end
    end
    list.fns = {}
    for i, entry in ipairs(list) do
      list.fns[i] = entry.fn
    end
    self.dispatch[kind] = list
  end
  self.finished = true
  return true
end

-- Return the counter of rule location rule, creating it.
local function counter(gen, rule, file, line)
  local entry = gen.counts[rule]
  if not entry then
    entry = { rule = rule, file = file, line = line, hits = 0, errors = 0 }
    gen.counts[rule] = entry
  end
  return entry
end

local function add_tags(tags, new_tags)
  for _, tag in ipairs(new_tags) do
    local seen = false
    for _, old in ipairs(tags) do
      if old == tag then
        seen = true
        break
      end
    end
    if not seen then
      tags[#tags + 1] = tag
    end
  end
end

local run_handlers

-- Chunk name prefix of the sluice modules, such as "@/usr/local/share/lua/5.4/sluice/".
local MODULE_SOURCE = getinfo(1, "S").source:match("^(@.*/)[^/]*$")

-- Message handler of dispatch: an error raised inside a sluice module (a
-- matcher called the wrong way, say) gets the position of the rule line
-- that called into the module, and the module's own position in
-- parentheses. Other errors pass unchanged.
local function locate_error(err)
  if type(err) ~= "string" or not MODULE_SOURCE then
    return err
  end
  local file, line, message = err:match("^([^\n]-):(%d+): (.*)$")
  -- Lua shortens a long chunk name to ".../sluice/match.lua" in messages.
  if not file or (("@" .. file):sub(1, #MODULE_SOURCE) ~= MODULE_SOURCE
      and not file:find("^%.%.%..*/sluice/[^/]+%.lua$")) then
    return err
  end

  local level = 2
  local info = getinfo(level, "Slf")
  while info and info.func ~= run_handlers do
    if info.what == "Lua" and info.source:sub(1, #MODULE_SOURCE) ~= MODULE_SOURCE then
      local hint = ""
      if message:find("(local 'self')", 1, true) or message:find("(field 'memo')", 1, true) then
        hint = "; call methods with a colon, as in names:match(c.name)"
      end
      return ("%s:%d: %s (in sluice/%s:%s)%s"):format(info.short_src, info.currentline, message,
        file:match("[^/]*$"), line, hint)
    end
    level = level + 1
    info = getinfo(level, "Slf")
  end
  return err
end

-- Call the handlers in order until one decides. Returns "decided" and the
-- verdict's fields, "failed" and an error message, or nothing when no handler
-- decided. Raised errors leave the running handler's index in state.index.
function run_handlers(gen, handlers, kind, view, state)
  local fns = handlers.fns
  for i = 1, #fns do
    state.index = i
    local result = fns[i](view)

    if result ~= nil then
      local entry = handlers[i]
      local fields = verdict_fields(result)
      if not fields then
        return "failed", ("%s: %s handler returned %s, expected a verdict or nil"):format(
          entry.rule, kind, describe_value(result))
      end
      local misfit = check_fit(fields, kind)
      if misfit then
        return "failed", ("%s: %s"):format(fields.rule or entry.rule, misfit)
      end

      local rule = fields.rule or entry.rule
      local hits = counter(gen, rule, fields.file or entry.file, fields.line or entry.line)
      hits.hits = hits.hits + 1
      if fields.action == "log" then
        state.tags = state.tags or {}
        add_tags(state.tags, fields.tags)
      else
        if not entry.audit then
          return "decided", fields
        end
        state.audit = state.audit or {}
        state.audit[#state.audit + 1] = { rule = rule, action = fields.action, reason = fields.reason }
      end
    end
  end
  return nil
end

-- Fill the deny defaults of an event type into decision d.
local function deny_defaults(d, kind, status, rcode)
  if kind == "http" then
    d.status = status or 403
  elseif kind == "dns" then
    d.rcode = rcode or "NXDOMAIN"
  end
end

local function copy_rewrite(rewrite)
  local copy = {}
  for key, value in pairs(rewrite) do
    if type(value) == "table" then
      value = copy_table(value)
    end
    copy[key] = value
  end
  return copy
end

-- Tags of a decision without log verdicts, when decide() fills a reused table.
local NO_TAGS = {}

-- Return the decision table to fill: into with its fields cleared, or a new table.
local function decision_table(into)
  if into == nil then
    return {}
  end
  -- Every field of "The decision" in docs/rules.md, cleared one by one
  -- because a loop over their names costs three times as many instructions.
  into.action, into.reason, into.status, into.rcode, into.rewrite = nil, nil, nil, nil, nil
  into.tags, into.rule, into.file, into.line, into.default = nil, nil, nil, nil, nil
  into.error, into.audit, into.generation = nil, nil, nil
  return into
end

---Decide one event with this generation's rules.
---@param event table an event table; event.event is "dns", "connect", "tls" or "http"
---@param into? table a table to fill with the decision instead of a new one,
---which the C core reuses for every event. The tags array of such a decision
---may be one empty table that every decision without tags shares.
---@return table decision a plain table (see docs/rules.md, "The decision")
function Generation:decide(event, into)
  if not self.finished then
    error("decide: call finish() before decide()", 2)
  end
  local kind = type(event) == "table" and event.event
  local handlers = self.dispatch[kind]
  if not handlers then
    error(("decide: unknown event type %s"):format(tostring(kind)), 2)
  end

  -- decide() is not reentrant (rules cannot reach the generation), so one
  -- scratch table and one event view per generation serve every event.
  local state = self.scratch
  state.index, state.tags, state.audit = 0, nil, nil
  point_view(self, event, kind)
  local ok, outcome, detail = xpcall(run_handlers, locate_error, self, handlers, kind, self.view, state)
  self.point_view(EMPTY)
  local d = decision_table(into)
  d.tags = state.tags or (into and NO_TAGS or {})
  d.default, d.audit, d.generation = false, state.audit, self.generation
  state.tags, state.audit = nil, nil

  if ok and outcome == "decided" then
    d.action = detail.action
    d.reason = detail.reason
    d.rule, d.file, d.line = detail.rule, detail.file, detail.line
    if detail.action == "deny" then
      deny_defaults(d, kind, detail.status, detail.rcode)
    elseif detail.action == "rewrite" then
      d.rewrite = copy_rewrite(detail.rewrite)
    end
    return d
  end

  if ok and outcome == nil then
    d.action = self.default
    d.default = true
    if self.default == "deny" then
      d.reason = "no rule matched"
      deny_defaults(d, kind)
    end
    return d
  end

  -- A handler failed: fail closed and count the error on the handler.
  local entry = handlers[state.index]
  if not entry then
    error(outcome, 0)
  end
  d.action = "deny"
  d.reason = "rule error"
  d.error = ok and detail or positioned(outcome, entry.rule)
  d.rule, d.file, d.line = entry.rule, entry.file, entry.line
  deny_defaults(d, kind, nil, "SERVFAIL")
  local errors = counter(self, entry.rule, entry.file, entry.line)
  errors.errors = errors.errors + 1
  return d
end

---Return the tags that log verdicts had added when the last decide() was
---stopped from outside, by the host's instruction budget, or nil.
---@return string[]|nil
function Generation:interrupted_tags()
  return self.scratch.tags
end

---List the rule files in dispatch order.
---@return {file: string, handlers: string[], mode: "enforce"|"audit"}[]
function Generation:order()
  local list = {}
  for _, file in ipairs(self.files) do
    local handlers = {}
    for _, kind in ipairs(EVENT_TYPES) do
      if file.handlers[kind] then
        handlers[#handlers + 1] = kind
      end
    end
    list[#list + 1] = { file = file.file, handlers = handlers, mode = file.mode }
  end
  return list
end

---Return the hit and error counters of every rule location seen so far, ordered
---by file name and line.
---@return {rule: string, hits: integer, errors: integer}[]
function Generation:counters()
  local list = {}
  for _, entry in pairs(self.counts) do
    list[#list + 1] = entry
  end
  table.sort(list, function(a, b)
    if a.file ~= b.file then
      return bytewise_less(a.file, b.file)
    end
    return a.line < b.line
  end)

  local result = {}
  for i, entry in ipairs(list) do
    result[i] = { rule = entry.rule, hits = entry.hits, errors = entry.errors }
  end
  return result
end

return engine
