-- SPDX-License-Identifier: MIT
-- Helpers for busted specs of rule files: load rules and build events as the gateway does.
--
-- The loaded generation is a sluice.engine generation, so testing.decide()
-- runs the same dispatch, validation and fail-closed code as the gateway.
-- testing.decide() enforces the gateway's instruction budget with a count
-- hook, so a rule that loops fails closed in a spec as it does in the
-- gateway, instead of hanging the test run. It counts from a decision's
-- first instruction, while the gateway starts counting once a decision has
-- run for a few milliseconds, so a spec is the stricter of the two. What
-- else differs from production: the memory cap is not enforced, and the
-- string metatable is not hardened (the gateway removes string.dump from it
-- and hides it from getmetatable("")).
--
-- This module uses io and os and is meant for specs only; the gateway never
-- loads it.

local engine = require "sluice.engine"

local testing = {}

-- The gateway's default instruction budget per decision (--rule-budget).
local DEFAULT_BUDGET = 1000000

-- Instruction budgets by generation, from the opts of testing.load().
local budgets = setmetatable({}, { __mode = "k" })

-- Source prefix of the sluice modules ("@lua/sluice/" or an installed path):
-- frames from other sources are the rules' own.
local MODULE_SOURCE = debug.getinfo(1, "S").source:match("^(@.*/)[^/]*$") or "@"

local last_id = 0

local function new_id()
  last_id = last_id + 1
  return last_id
end

local function read_file(path)
  local file, err = io.open(path, "rb")
  if not file then
    return nil, err
  end
  local text = file:read("a")
  file:close()
  return text
end

-- Return the names of the entries of directory dir.
local function list_directory(dir)
  local names = {}
  local has_lfs, lfs = pcall(require, "lfs")
  if has_lfs then
    local mode, problem = lfs.attributes(dir, "mode")
    if mode ~= "directory" then
      -- lfs names the path again before the reason ("cannot obtain ...: No such file").
      problem = mode and ("it is a " .. mode) or tostring(problem):match(": ([^:]+)$") or tostring(problem)
      error(("testing.load: cannot read the rules directory %s: %s"):format(dir, problem), 0)
    end
    local ok, err = pcall(function()
      for name in lfs.dir(dir) do
        if lfs.attributes(dir .. "/" .. name, "mode") == "file" then
          names[#names + 1] = name
        end
      end
    end)
    if not ok then
      error(("testing.load: cannot read the rules directory %s: %s"):format(dir, tostring(err)), 0)
    end
    return names
  end

  -- Without LuaFileSystem: ask find(1) for the regular files.
  local quoted = "'" .. dir:gsub("'", "'\\''") .. "'"
  local pipe = io.popen("find " .. quoted .. " -mindepth 1 -maxdepth 1 -type f -printf '%f\\n' 2>/dev/null")
  for name in pipe:lines() do
    names[#names + 1] = name
  end
  if not pipe:close() then
    error(("testing.load: cannot read the rules directory %s"):format(dir), 0)
  end
  return names
end

local function new_generation(opts, read_module)
  opts = opts or {}
  local budget = opts.budget or DEFAULT_BUDGET
  if math.type(budget) ~= "integer" or budget < 1 then
    error(("testing: budget must be a positive integer, got %s"):format(tostring(budget)), 3)
  end
  local gen = engine.new({
    default = opts.default,
    generation = opts.generation or 1,
    print = opts.print or print,
    read_module = read_module,
  })
  budgets[gen] = budget
  return gen
end

-- Return "file:line" of the innermost rule frame and "file:line" of the
-- handler the engine called (the outermost rule frame), as the gateway
-- reports them, from stack level level up to the engine.
local function locate_rule(level)
  local inner, handler
  local info = debug.getinfo(level + 1, "Sl")
  while info do
    -- A rule frame is a handler ("Lua") or a rule file's top level ("main").
    if info.what ~= "C" and info.source:sub(1, #MODULE_SOURCE) ~= MODULE_SOURCE then
      inner = inner or ("%s:%d"):format(info.short_src, info.currentline)
      handler = ("%s:%d"):format(info.short_src, info.linedefined)
    elseif info.what == "Lua" and inner then
      break -- the engine, which called the handler
    end
    level = level + 1
    info = debug.getinfo(level + 1, "Sl")
  end
  return inner, handler
end

-- Run fn() under an instruction budget, as the gateway's count hook does:
-- once the budget is spent, every instruction raises the same error, so a
-- pcall in a rule cannot swallow it, until control is back here. A hook
-- already set (a coverage tool's line hook) keeps getting its events.
-- Returns pcall's status and error, then the budget message and the
-- handler location when the budget ran out.
local function run_budgeted(budget, fn)
  local message, handler
  local outer_hook, outer_mask = debug.gethook()
  outer_mask = outer_hook and outer_mask:gsub("[^crl]", "") or ""

  local function hook(kind, line)
    if kind ~= "count" then
      return outer_hook(kind, line)
    end
    if debug.getinfo(2, "f").func == run_budgeted then
      debug.sethook(outer_hook, outer_mask)
      return
    end
    if not message then
      local inner
      inner, handler = locate_rule(2)
      message = ("%s: instruction budget of %d exhausted"):format(inner or "rules engine", budget)
      debug.sethook(hook, outer_mask, 1)
    end
    error(message, 0)
  end

  debug.sethook(hook, outer_mask, budget)
  local ok, err = pcall(fn)
  if outer_hook then
    debug.sethook(outer_hook, outer_mask)
  else
    debug.sethook()
  end
  return ok, err, message, handler
end

-- Add the files to gen, each under the budget counted from its first
-- instruction as the gateway does while it loads, and finish gen.
local function add_and_finish(gen, files)
  for _, file in ipairs(files) do
    local added, add_err
    local ok, err, message = run_budgeted(budgets[gen], function()
      added, add_err = gen:add_file(file.name, file.source)
    end)
    if message then
      error(message, 0)
    end
    if not ok then
      error(err, 0)
    end
    if not added then
      error(add_err, 0)
    end
  end
  local ok, err = gen:finish()
  if not ok then
    error(err, 0)
  end
  return gen
end

---Load a rules directory as the gateway does: every regular *.lua file at its
---top level whose name does not start with a dot, in byte-wise name order,
---with require "lib.x" reading DIR/lib/x.lua. Raises the first load error,
---as "file.lua:LINE: message".
---@param dir string path of the rules directory
---@param opts? {default?: "allow"|"deny", generation?: integer, print?: function}
---@return sluice.Generation
function testing.load(dir, opts)
  local files = {}
  for _, name in ipairs(list_directory(dir)) do
    if name:match("^[^.].*%.lua$") then
      local source, err = read_file(dir .. "/" .. name)
      if not source then
        error(("testing.load: %s"):format(err), 0)
      end
      files[#files + 1] = { name = name, source = source }
    end
  end

  local function read_module(modname)
    local relative = modname:gsub("%.", "/") .. ".lua"
    local source = read_file(dir .. "/" .. relative)
    if not source then
      return nil
    end
    return source, "@" .. relative
  end

  return add_and_finish(new_generation(opts, read_module), files)
end

---Load rules from strings. Names without a slash are rule files
---("10-a.lua"); names with one are helper modules ("lib/net.lua" is
---require "lib.net").
---@param files table<string, string> file name -> source text
---@param opts? {default?: "allow"|"deny", generation?: integer, print?: function}
---@return sluice.Generation
function testing.load_files(files, opts)
  local rule_files = {}
  for name, source in pairs(files) do
    if not name:find("/", 1, true) then
      rule_files[#rule_files + 1] = { name = name, source = source }
    end
  end

  local function read_module(modname)
    local relative = modname:gsub("%.", "/") .. ".lua"
    local source = files[relative]
    if source == nil then
      return nil
    end
    return source, "@" .. relative
  end

  return add_and_finish(new_generation(opts, read_module), rule_files)
end

-- Copy spec over defaults into a new event, rejecting fields the event type does not have.
local function build_event(kind, spec, defaults, optional)
  spec = spec or {}
  if type(spec) ~= "table" then
    error(("testing.%s: expected a table of event fields, got %s"):format(kind, type(spec)), 3)
  end
  for key in pairs(spec) do
    if defaults[key] == nil and not optional[key] and key ~= "id" and key ~= "time" then
      error(("testing.%s: unknown event field '%s'"):format(kind, tostring(key)), 3)
    end
  end

  local event = { event = kind, id = new_id(), time = os.time() * 1.0 }
  for key, value in pairs(defaults) do
    event[key] = value
  end
  for key, value in pairs(spec) do
    event[key] = value
  end
  return event
end

local GUEST = "10.0.2.15"
local DESTINATION = "192.0.2.1"

---Build a connect event. Defaults: proto "tcp", src "10.0.2.15", src_port
---49152, dst "192.0.2.1", port 443, name nil.
---@param spec? {proto?: "tcp"|"udp", src?: string, src_port?: integer, dst?: string, port?: integer, name?: string, id?: integer, time?: number}
---@return table
function testing.connect(spec)
  return build_event("connect", spec, {
    proto = "tcp", src = GUEST, src_port = 49152, dst = DESTINATION, port = 443,
  }, { name = true })
end

---Build a dns event. name is required and is lower-cased without its trailing
---dot, as the gateway delivers it. Defaults: type "A", class "IN", client
---"10.0.2.15", proto "udp".
---@param spec {name: string, type?: string, class?: string, client?: string, proto?: "udp"|"tcp", id?: integer, time?: number}
---@return table
function testing.dns(spec)
  local event = build_event("dns", spec, {
    name = "", type = "A", class = "IN", client = GUEST, proto = "udp",
  }, {})
  if type(event.name) ~= "string" or event.name == "" then
    error("testing.dns: name is required", 2)
  end
  event.name = event.name:lower():gsub("%.$", "")
  return event
end

---Build a tls event. Defaults: a new conn id, sni nil, alpn {}, name = sni,
---dst "192.0.2.1", port 443, src "10.0.2.15".
---@param spec? {conn?: integer, sni?: string, alpn?: string[], name?: string, dst?: string, port?: integer, src?: string, id?: integer, time?: number}
---@return table
function testing.tls(spec)
  local event = build_event("tls", spec, {
    conn = new_id(), alpn = {}, dst = DESTINATION, port = 443, src = GUEST,
  }, { sni = true, name = true })
  if event.name == nil then
    event.name = event.sni
  elseif event.name == false then
    event.name = nil -- a connection to a literal address
  end
  return event
end

local headers_meta = {
  __index = function(headers, name)
    if type(name) == "string" then
      return rawget(headers, name:lower())
    end
    return nil
  end,
}

-- Build the headers table: lower-case keys, case-insensitive reads, repeated
-- headers (given as an array of values) joined with ", ".
local function make_headers(spec, host)
  local headers = setmetatable({}, headers_meta)
  for name, value in pairs(spec or {}) do
    if type(value) == "table" then
      value = table.concat(value, ", ")
    end
    if type(name) ~= "string" or type(value) ~= "string" then
      error("testing.http: headers must map names to strings", 3)
    end
    headers[name:lower()] = value
  end
  if rawget(headers, "host") == nil then
    headers.host = host
  end
  return headers
end

---Build an http event. host is required. Defaults: a new conn id, method
---"GET", scheme "https", port 443 (80 for "http"), path "/", query nil,
---version "HTTP/1.1", headers with a Host header, src "10.0.2.15", dst
---"192.0.2.1", name = host.
---@param spec {host: string, method?: string, scheme?: "http"|"https", port?: integer, path?: string, query?: string, version?: string, headers?: table<string, string|string[]>, conn?: integer, src?: string, dst?: string, name?: string, id?: integer, time?: number}
---@return table
function testing.http(spec)
  local event = build_event("http", spec, {
    conn = new_id(), method = "GET", scheme = "https", host = "", path = "/",
    version = "HTTP/1.1", src = GUEST, dst = DESTINATION,
  }, { port = true, query = true, headers = true, name = true })
  if type(event.host) ~= "string" or event.host == "" then
    error("testing.http: host is required", 2)
  end
  if event.port == nil then
    event.port = event.scheme == "http" and 80 or 443
  end
  if event.name == nil then
    event.name = event.host
  elseif event.name == false then
    event.name = nil -- a connection to a literal address
  end
  event.headers = make_headers(event.headers, event.host)
  return event
end

-- The decision the gateway makes when a decision spends its budget.
local function budget_decision(gen, kind, message, handler)
  local file, line = (handler or ""):match("^(.*):(%d+)$")
  local tags = {}
  for i, tag in ipairs(gen:interrupted_tags() or {}) do
    tags[i] = tag
  end
  return {
    action = "deny", reason = "rule error", error = message, default = false, tags = tags,
    rule = handler, file = file, line = tonumber(line), generation = gen.generation,
    rcode = kind == "dns" and "SERVFAIL" or nil, status = kind == "http" and 403 or nil,
  }
end

---Decide an event with a loaded generation, exactly as the gateway would,
---with the gateway's instruction budget: a decision that spends it gets the
---fail-closed decision with "file.lua:LINE: instruction budget of N exhausted".
---@param gen sluice.Generation from testing.load() or testing.load_files()
---@param event table from testing.connect(), dns(), tls() or http()
---@return table decision
local function decide(gen, event)
  local result
  local ok, err, message, handler = run_budgeted(budgets[gen] or DEFAULT_BUDGET, function()
    result = gen:decide(event)
  end)
  if ok then
    return result
  end
  if message then
    return budget_decision(gen, type(event) == "table" and event.event, message, handler)
  end
  error(err, 0)
end
testing.decide = decide

return testing
