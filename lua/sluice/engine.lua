-- SPDX-License-Identifier: MIT
-- One generation of rules: the rule files of one load, and the dispatch that decides events with them.
--
-- How it works: engine.new() starts an empty generation. add_file() has
-- sluice.loader compile one rule file (text only) in a fresh sandbox, run
-- it and check the table of handlers it returns. finish() sorts the
-- files by name (byte-wise) and builds one handler list per event type.
-- decide() calls the handlers for the event's type in that order inside one
-- protected call: the first terminal verdict wins, log verdicts add tags, nil
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
local loader = require "sluice.loader"
local event_view = require("sluice.event").view

-- This module and sluice must share one verdict registry. A host whose
-- require() does not cache modules would give them two, and then no rule's
-- verdict would be recognized.
assert(verdict.fields(sluice.allow()),
  "sluice.engine: require loaded sluice.verdict twice; the module loader must cache modules")

local getinfo = debug.getinfo
local pcall, xpcall, error, pairs, ipairs = pcall, xpcall, error, pairs, ipairs
local type, tostring, setmetatable, rawget = type, tostring, setmetatable, rawget
local verdict_fields, check_fit = verdict.fields, verdict.check_fit
local name_parts = require("sluice.match").name_parts

local copy_table, bytewise_less = loader.copy_table, loader.bytewise_less
local positioned, describe_value = loader.positioned, loader.describe_value

local engine = {}

local EVENT_TYPES = { "dns", "connect", "tls", "http" }

local function noop() end

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
---@field private point_view fun(ev: table|nil, kind?: string) turns view to an event
local Generation = {}
Generation.__index = Generation

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

  local view, point = event_view()
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

---Compile and run one rule file and check the table of handlers it returns.
---@param name string file name such as "10-base.lua" (its chunk name is "@" .. name)
---@param source string the file's text
---@return boolean ok
---@return string|nil err "10-base.lua:LINE: message" when the file is rejected
function Generation:add_file(name, source)
  if self.finished then
    return false, "add_file: the generation is already finished"
  end
  local entry, err
  if type(name) == "string" and self.names[name] then
    err = ("%s:1: a rule file with this name was already added"):format(name)
  else
    entry, err = loader.compile(self, name, source)
  end
  if not entry then
    self.first_error = self.first_error or err
    return false, err
  end
  self.names[name] = true
  self.files[#self.files + 1] = entry
  return true
end

-- Candidate lists of a scoped handler list, remembered for this many names.
local MAX_CANDIDATES = 256

local NONE = {}

-- Build the index of the names scopes of a handler list: for each name and
-- each "*." domain in them, the indices of the handlers that list it.
local function index_names(list)
  local index = { exact = {}, below = {} }
  for i = 1, #list do
    local names = list.names[i]
    if names then
      for side, patterns in pairs({ exact = names.exact, below = names.below }) do
        for text in pairs(patterns) do
          local indices = index[side][text] or {}
          index[side][text] = indices
          indices[#indices + 1] = i
        end
      end
    end
  end
  return index
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
          audit = file.mode == "audit", scope = file.scopes[kind] }
      end
    end
    -- Flat arrays for the dispatch loop; false marks a handler without a
    -- names or ports scope.
    list.fns, list.names, list.ports, list.scoped = {}, {}, {}, false
    list.candidates, list.candidate_count = {}, 0
    for i, entry in ipairs(list) do
      list.fns[i] = entry.fn
      list.names[i] = entry.scope and entry.scope.names or false
      list.ports[i] = entry.scope and entry.scope.ports or false
      list.scoped = list.scoped or entry.scope ~= nil
    end
    list.name_index = index_names(list)
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

-- Take the verdict result that handler i returned. Returns "decided" and
-- the verdict's fields, "failed" and an error message, or nothing when
-- dispatch goes on (a log verdict, or a verdict of an audit-mode file).
local function take_result(gen, handlers, i, kind, state, result)
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
    return nil
  end
  if not entry.audit then
    return "decided", fields
  end
  state.audit = state.audit or {}
  state.audit[#state.audit + 1] = { rule = rule, action = fields.action, reason = fields.reason }
  return nil
end

-- Return the indices, in order, of the handlers whose names scope covers
-- name (or that have none), from the list's memo or computed and remembered.
local function name_candidates(handlers, name)
  local key = name or false
  local memo = handlers.candidates
  local list = memo[key]
  if list then
    return list
  end

  -- Mark the handlers whose names scope has the name or a domain above it,
  -- from the index that finish() built of all the list's scopes.
  local index, covered = handlers.name_index, {}
  if type(name) == "string" then
    local parts = name_parts(name)
    for _, i in ipairs(index.exact[parts[1]] or NONE) do
      covered[i] = true
    end
    for j = 2, #parts do
      for _, i in ipairs(index.below[parts[j]] or NONE) do
        covered[i] = true
      end
    end
  end
  list = {}
  for i = 1, #handlers do
    if covered[i] or not handlers.names[i] then
      list[#list + 1] = i
    end
  end
  if handlers.candidate_count >= MAX_CANDIDATES then
    memo = {}
    handlers.candidates, handlers.candidate_count = memo, 0
  end
  memo[key] = list
  handlers.candidate_count = handlers.candidate_count + 1
  return list
end

-- Call the handlers in order until one decides. Returns "decided" and the
-- verdict's fields, "failed" and an error message, or nothing when no handler
-- decided. Raised errors leave the running handler's index in state.index.
function run_handlers(gen, handlers, kind, view, state, event)
  local fns = handlers.fns
  if not handlers.scoped then
    for i = 1, #fns do
      state.index = i
      local result = fns[i](view)
      if result ~= nil then
        local outcome, detail = take_result(gen, handlers, i, kind, state, result)
        if outcome then
          return outcome, detail
        end
      end
    end
    return nil
  end

  -- Scoped handlers run when their names scope covers the event's name and
  -- their ports scope covers its port. rawget() is needed because the event
  -- is strict and dns events have no port field. The ports test reads the
  -- set's single ports inline, because a call per handler would cost as
  -- much as calling the handler.
  local port_scopes, port = handlers.ports, rawget(event, "port")
  local order = name_candidates(handlers, rawget(event, "name"))
  for k = 1, #order do
    local i = order[k]
    local ports = port_scopes[i]
    if not ports or ports.single[port] or ports:contains(port) then
      state.index = i
      local result = fns[i](view)
      if result ~= nil then
        local outcome, detail = take_result(gen, handlers, i, kind, state, result)
        if outcome then
          return outcome, detail
        end
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
  self.point_view(event, kind)
  local ok, outcome, detail = xpcall(run_handlers, locate_error, self, handlers, kind, self.view, state, event)
  self.point_view(nil)
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

---Return the tags that log verdicts added before the host's instruction
---budget stopped the last decide(), or nil.
---@return string[]|nil
function Generation:interrupted_tags()
  return self.scratch.tags
end

---List the rule files in dispatch order. A scoped handler is listed with
---its scope, as in "connect (names, ports)".
---@return {file: string, handlers: string[], mode: "enforce"|"audit"}[]
function Generation:order()
  local list = {}
  for _, file in ipairs(self.files) do
    local handlers = {}
    for _, kind in ipairs(EVENT_TYPES) do
      local scope = file.scopes[kind]
      if scope then
        local keys = {}
        keys[#keys + 1] = scope.names and "names" or nil
        keys[#keys + 1] = scope.ports and "ports" or nil
        handlers[#handlers + 1] = ("%s (%s)"):format(kind, table.concat(keys, ", "))
      elseif file.handlers[kind] then
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
