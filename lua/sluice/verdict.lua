-- SPDX-License-Identifier: MIT
-- Verdict constructors (allow, deny, rewrite, log, intercept, passthrough), their argument checks and the verdict registry.
--
-- A verdict is an empty proxy table. Its fields live in a private registry
-- keyed by the proxy. A rule can read them, but no write (not even
-- rawset()) changes the fields that the engine reads. The engine recognizes
-- verdicts only through this registry: a plain table that looks like a
-- verdict is not one.
--
-- Each verdict records the file:line of the rule that built it. Finding that
-- line needs care, because the usual form `return sluice.deny{...}` is a
-- tail call: Lua reuses the handler's stack frame for a Lua function called
-- in tail position, so inside a constructor written as a Lua function the
-- handler's line is already gone. A C function called in tail position does
-- not replace the caller's frame. So each constructor is a table whose
-- __call metamethod is a C function. Under the C core that is the core's
-- own constructor front (core/policy_host.c). Elsewhere it is the
-- built-in pairs(), which calls the constructor's __pairs metamethod (Lua)
-- while the rule's frame is still on the stack two levels up. The call's
-- argument table is then still in slot 2 of the pairs() frame, where
-- debug.getlocal() reads it. pairs() returns three values, so a constructor
-- call yields the verdict followed by two nils; the core's front does the
-- same.
--
-- Verdicts are immutable, so a call site that builds the same simple verdict
-- again (no arguments, or only a reason) gets the verdict it built before:
-- a rule that returns sluice.allow{reason = "..."} on every event checks
-- its arguments and allocates a verdict once, not per event.

local getinfo = assert(debug and debug.getinfo, "sluice.verdict: the debug library must be open while sluice loads")
local getlocal = debug.getlocal
local next, type, getmetatable = next, type, getmetatable

-- The C core gives this module constructor(action, callers, no_reason,
-- build_at), a faster front for the verdict constructors (see
-- make_constructor). Elsewhere (busted) the constructors are plain Lua.
local has_host, host = pcall(require, "sluice.host")
local host_constructor = has_host and type(host) == "table" and host.constructor or nil

local verdict = {}

local MAX_REASON = 255
local MAX_TAG = 64
local MAX_TAGS = 16
local MAX_ANSWERS = 8
local MAX_TTL = 0x7fffffff
local MAX_PATH = 8192

local RCODES = { NXDOMAIN = true, REFUSED = true, SERVFAIL = true }

-- Headers that frame the HTTP message or route it. Setting them from a rule
-- could desynchronize the gateway and the upstream server about where a
-- message ends (request smuggling), so rewrite{} rejects them.
local FRAMING_HEADERS = {
  ["content-length"] = true,
  ["transfer-encoding"] = true,
  ["connection"] = true,
  ["keep-alive"] = true,
  ["upgrade"] = true,
  ["te"] = true,
  ["trailer"] = true,
  ["host"] = true,
}

local registry = setmetatable({}, { __mode = "k" })

local function deep_copy(value)
  if type(value) ~= "table" then
    return value
  end
  local copy = {}
  for k, v in pairs(value) do
    copy[k] = deep_copy(v)
  end
  return copy
end

local function describe(proxy)
  local data = registry[proxy]
  local text = "sluice." .. data.action
  if data.reason then
    text = text .. (" (%s)"):format(data.reason)
  end
  if data.rule then
    text = text .. " at " .. data.rule
  end
  return text
end

local proxy_meta = {
  __index = function(proxy, key)
    return deep_copy(registry[proxy][key])
  end,
  __newindex = function(_, key)
    error(("verdicts are read-only (cannot set field '%s'); build a new verdict instead"):format(tostring(key)), 2)
  end,
  __tostring = describe,
  __metatable = "sluice.Verdict",
}

-- Per function: the file name of its chunk as rules see it (key "file",
-- "@10-base.lua" -> "10-base.lua"), whether it is a C function (key "c"),
-- and per line a call site (integer keys): its "file.lua:LINE" string and
-- the verdicts built there for reuse, by action and reuse key (see
-- reuse_key). A rule that builds verdicts on every event does not format
-- the same strings again. Weak keys let a finished generation's functions
-- go. The core's constructor front reads this table too.
local callers = setmetatable({}, { __mode = "k" })

-- Verdicts reused per call site and action. A site that builds verdicts
-- with changing reasons stops being remembered past this many.
local MAX_REUSED = 16

-- Reuse key of verdicts built without a reason.
local NO_REASON = {}

local function describe_function(fn)
  local info = getinfo(fn, "S")
  local source = info.source
  local file = info.short_src
  if source:sub(1, 1) == "@" or source:sub(1, 1) == "=" then
    file = source:sub(2)
  end
  return { file = file, c = info.what == "C" }
end

-- Return the file, line, "file:line" and call site of line line of Lua function fn.
local function site_of(fn, line)
  local names = callers[fn]
  if not names then
    names = describe_function(fn)
    callers[fn] = names
  end
  local site = names[line]
  if not site then
    site = { rule = ("%s:%d"):format(names.file, line), reused = 0 }
    names[line] = site
  end
  return names.file, line, site.rule, site
end

-- Return the function and current line of the first Lua function at or
-- above stack level level, skipping C functions such as pcall(), or nothing.
-- level counts from the caller of this function.
local function lua_caller(level)
  level = level + 1
  local info = getinfo(level, "fl")
  while info do
    local names = callers[info.func] or describe_function(info.func)
    if not names.c then
      return info.func, info.currentline
    end
    callers[info.func] = names
    level = level + 1
    info = getinfo(level, "fl")
  end
  return nil, nil
end

-- Remember proxy as the verdict that action builds at site for key.
local function remember(site, action, key, proxy)
  if site.reused >= MAX_REUSED then
    return
  end
  local verdicts = site[action]
  if not verdicts then
    verdicts = {}
    site[action] = verdicts
  end
  verdicts[key] = proxy
  site.reused = site.reused + 1
end

-- Argument checks. Each returns an error message or nil.

local function check_reason(reason)
  if reason == nil then
    return nil
  end
  if type(reason) ~= "string" then
    return ("reason must be a string, got %s"):format(type(reason))
  end
  if #reason > MAX_REASON then
    return ("reason is longer than %d bytes"):format(MAX_REASON)
  end
  if reason:find("%c") then
    return "reason must not contain control characters (it is sent in an HTTP header)"
  end
  return nil
end

-- Check that args is nil or a table whose keys are all in allowed.
local function check_keys(args, allowed, hint)
  if args == nil then
    return nil
  end
  if type(args) ~= "table" then
    return ("expected a table like %s, got %s"):format(hint, type(args))
  end
  if registry[args] then
    return "expected a table of options, got a verdict"
  end
  for key, value in pairs(args) do
    if not allowed[key] then
      if math.type(key) == "integer" then
        return ("unexpected array entry %s; write %s"):format(
          type(value) == "string" and ("%q"):format(value) or tostring(value), hint)
      end
      local names = {}
      for name in pairs(allowed) do
        if type(name) == "string" then
          names[#names + 1] = name
        end
      end
      table.sort(names)
      return ("unknown field '%s' (expected %s)"):format(tostring(key), table.concat(names, ", "))
    end
  end
  return nil
end

local function check_integer(value, name, min, max)
  local number = type(value) == "number" and math.tointeger(value)
  if not number or number < min or number > max then
    return ("%s must be an integer from %d to %d, got %s"):format(name, min, max, tostring(value))
  end
  return nil
end

local function check_header_name(name)
  if type(name) ~= "string" then
    return ("header names must be strings, got %s"):format(type(name))
  end
  if not name:match("^[%w!#$%%&'*+%-.^_`|~]+$") then
    return ("invalid header name %q"):format(name)
  end
  if FRAMING_HEADERS[name:lower()] then
    return ("header '%s' frames or routes the message and cannot be rewritten"):format(name)
  end
  return nil
end

local function check_headers(headers)
  if type(headers) ~= "table" then
    return ("headers must be a table, got %s"):format(type(headers))
  end
  local seen = {}
  for name, value in pairs(headers) do
    local problem = check_header_name(name)
    if problem then
      return problem
    end
    if seen[name:lower()] then
      return ("header '%s' is given twice with different case"):format(name)
    end
    seen[name:lower()] = true
    if value ~= false and type(value) ~= "string" then
      return ("header '%s' must be a string or false (to remove it), got %s"):format(name, type(value))
    end
    if value and value:find("[%z\1-\8\10-\31\127]") then
      return ("header '%s' contains control characters"):format(name)
    end
  end
  if next(headers) == nil then
    return "headers is empty"
  end
  return nil
end

local function check_path(path)
  if type(path) ~= "string" then
    return ("path must be a string, got %s"):format(type(path))
  end
  if path:sub(1, 1) ~= "/" then
    return ("path must start with '/', got %q"):format(path)
  end
  if #path > MAX_PATH then
    return ("path is longer than %d bytes"):format(MAX_PATH)
  end
  if path:find("[%c%s#]") then
    return ("path %q contains a space, a control character or '#'"):format(path)
  end
  return nil
end

local function check_host(host)
  if type(host) ~= "string" then
    return ("host must be a string, got %s"):format(type(host))
  end
  if #host == 0 or #host > 253 or not host:match("^[%w_%-]+[%w_%-.]*$") or host:find("..", 1, true) then
    return ("host must be a DNS name or an IPv4 address without a port, got %q"):format(host)
  end
  return nil
end

local function check_answer(answer)
  if type(answer) ~= "table" then
    return ("answer must be an array of IPv4 addresses, got %s"):format(type(answer))
  end
  local count = 0
  for _ in pairs(answer) do
    count = count + 1
  end
  if count == 0 or count ~= #answer then
    return "answer must be a non-empty array of IPv4 addresses"
  end
  if count > MAX_ANSWERS then
    return ("answer has %d addresses; at most %d are allowed"):format(count, MAX_ANSWERS)
  end
  for _, address in ipairs(answer) do
    local ok = type(address) == "string" and address:match("^%d+%.%d+%.%d+%.%d+$")
    if ok then
      for part in address:gmatch("%d+") do
        if #part > 3 or tonumber(part) > 255 or (#part > 1 and part:sub(1, 1) == "0") then
          ok = false
        end
      end
    end
    if not ok then
      return ("answer entry %s is not an IPv4 address"):format(
        type(address) == "string" and ("%q"):format(address) or tostring(address))
    end
  end
  return nil
end

local function check_rewrite(args)
  local problem = check_keys(args, { headers = true, path = true, host = true, answer = true,
    ttl = true, reason = true }, "rewrite{path = \"/new\"}")
  if problem or args == nil then
    return problem or "expected a table of fields to rewrite"
  end

  local http = args.headers ~= nil or args.path ~= nil or args.host ~= nil
  local dns = args.answer ~= nil or args.ttl ~= nil
  if http and dns then
    return "headers, path and host rewrite HTTP requests and answer and ttl rewrite DNS answers; use one kind"
  end
  if not http and not dns then
    return "expected headers, path or host (http) or answer and ttl (dns)"
  end
  if args.ttl ~= nil and args.answer == nil then
    return "ttl needs an answer"
  end

  return (args.headers ~= nil and check_headers(args.headers))
    or (args.path ~= nil and check_path(args.path))
    or (args.host ~= nil and check_host(args.host))
    or (args.answer ~= nil and check_answer(args.answer))
    or (args.ttl ~= nil and check_integer(args.ttl, "ttl", 0, MAX_TTL))
    or check_reason(args.reason)
end

local function check_log(args)
  if type(args) ~= "table" then
    return ("expected a table like log{\"tag\", reason = \"...\"}, got %s"):format(type(args))
  end
  for key in pairs(args) do
    if key ~= "reason" and math.type(key) ~= "integer" then
      return ("unknown field '%s' (expected tags as array entries and reason)"):format(tostring(key))
    end
  end
  if #args == 0 then
    return "expected at least one tag, as in log{\"tag\"}"
  end
  if #args > MAX_TAGS then
    return ("%d tags given; at most %d are allowed"):format(#args, MAX_TAGS)
  end
  for i = 1, #args do
    local tag = args[i]
    if type(tag) ~= "string" or #tag > MAX_TAG or not tag:match("^[%w_%-%.:/]+$") then
      return ("tag %s must be a string of up to %d letters, digits and '_-.:/'"):format(
        type(tag) == "string" and ("%q"):format(tag) or tostring(tag), MAX_TAG)
    end
  end
  return check_reason(args.reason)
end

-- Per action: check(args) returns an error message or nil, and the optional
-- build(args, data) adds the action's own fields to the verdict's data.

local REASON_ONLY = { reason = true }

local builders = {
  allow = {
    check = function(args)
      if args == nil then
        return nil
      end
      return check_keys(args, REASON_ONLY, "allow{reason = \"...\"}") or check_reason(args.reason)
    end,
  },
  deny = {
    check = function(args)
      local problem = check_keys(args, { reason = true, status = true, rcode = true },
        "deny{reason = \"...\"}")
      if problem or args == nil then
        return problem
      end
      if args.status ~= nil and args.rcode ~= nil then
        return "status (http) and rcode (dns) exclude each other"
      end
      if args.status ~= nil then
        problem = check_integer(args.status, "status", 100, 599)
      end
      if args.rcode ~= nil and not RCODES[args.rcode] then
        problem = ("unknown rcode %s (expected NXDOMAIN, REFUSED or SERVFAIL)"):format(tostring(args.rcode))
      end
      return problem or check_reason(args.reason)
    end,
    build = function(args, data)
      if args then
        data.status = math.tointeger(args.status)
        data.rcode = args.rcode
      end
    end,
  },
  rewrite = {
    check = check_rewrite,
    build = function(args, data)
      local fields = {}
      for _, key in ipairs({ "headers", "path", "host", "answer", "ttl" }) do
        fields[key] = deep_copy(args[key])
      end
      if fields.host then
        fields.host = fields.host:lower()
      end
      fields.ttl = math.tointeger(fields.ttl)
      data.rewrite = fields
    end,
  },
  log = {
    check = check_log,
    build = function(args, data)
      local tags = {}
      for i = 1, #args do
        tags[i] = args[i]
      end
      data.tags = tags
    end,
  },
  intercept = {
    check = function(args)
      return check_keys(args, REASON_ONLY, "intercept{reason = \"...\"}") or check_reason(args and args.reason)
    end,
  },
  passthrough = {
    check = function(args)
      return check_keys(args, REASON_ONLY, "passthrough{reason = \"...\"}") or check_reason(args and args.reason)
    end,
  },
}

-- Return the key under which a call site may reuse the verdict built from
-- args, or nil when args has other fields than a string reason. The core's
-- constructor front (see make_constructor) applies the same rule.
local function reuse_key(args)
  if args == nil then
    return NO_REASON
  end
  if type(args) ~= "table" or getmetatable(args) ~= nil then
    return nil
  end
  local key, value = next(args)
  if key == nil then
    return NO_REASON
  end
  if key == "reason" and type(value) == "string" and next(args, key) == nil then
    return value
  end
  return nil
end

-- Return the verdict of action for args, called at line line of the Lua
-- function fn (both nil when no Lua function is on the stack). extra is true
-- when the constructor got more than one argument. Raises the error of
-- invalid arguments with the call's position.
local function build_at(action, args, extra, fn, line)
  local file, rule, site
  if fn then
    file, line, rule, site = site_of(fn, line)
  end

  local key = not extra and reuse_key(args)
  local reused = key and site and site[action]
  if reused then
    local proxy = reused[key]
    if proxy then
      return proxy
    end
  end

  local builder = builders[action]
  local problem = extra and "takes one table argument" or builder.check(args)
  if problem then
    error(("%s%s: %s"):format(rule and rule .. ": " or "", action, problem), 0)
  end

  local data = { action = action, reason = args and args.reason, file = file, line = line, rule = rule,
    status = nil, rcode = nil, rewrite = nil, tags = nil }
  if builder.build then
    builder.build(args, data)
  end

  local proxy = setmetatable({}, proxy_meta)
  registry[proxy] = data
  if key and site then
    remember(site, action, key, proxy)
  end
  return proxy
end

-- Make the callable constructor for one action. Under the C core, __call is
-- the core's constructor front: it finds the calling rule line, returns a
-- verdict that line built before from the same reason, and calls build_at()
-- for everything else. Elsewhere __call is pairs() (see the file comment).
local function make_constructor(action)
  local meta = {
    __tostring = function() return "sluice." .. action end,
    __metatable = "sluice.constructor",
  }

  if host_constructor then
    meta.__call = host_constructor(action, callers, NO_REASON, build_at)
    return setmetatable({}, meta)
  end

  meta.__call = pairs
  meta.__pairs = function()
    -- Level 1 is this function, level 2 the pairs() call holding the
    -- arguments, level 3 the caller (or a C function such as pcall()).
    local _, args = getlocal(2, 2)
    local extra = getlocal(2, 3) ~= nil
    return build_at(action, args, extra, lua_caller(2))
  end
  return setmetatable({}, meta)
end

---@class sluice.Verdict
---@field action "allow"|"deny"|"rewrite"|"log"|"intercept"|"passthrough"
---@field reason string|nil
---@field status integer|nil HTTP status of a deny
---@field rcode "NXDOMAIN"|"REFUSED"|"SERVFAIL"|nil DNS response code of a deny
---@field rewrite table|nil fields of a rewrite
---@field tags string[]|nil tags of a log verdict
---@field rule string|nil "file.lua:LINE" of the constructor call
---@field file string|nil
---@field line integer|nil

---Allow the event. Valid in every handler.
---@type fun(args?: {reason?: string}): sluice.Verdict
verdict.allow = make_constructor("allow")

---Deny the event. status (100..599, default 403) is for http handlers only,
---rcode ("NXDOMAIN" by default, "REFUSED", "SERVFAIL") for dns handlers only.
---@type fun(args?: {reason?: string, status?: integer, rcode?: "NXDOMAIN"|"REFUSED"|"SERVFAIL"}): sluice.Verdict
verdict.deny = make_constructor("deny")

---Allow an http request with changed headers, path or host, or answer a dns
---query with the given IPv4 addresses.
---@type fun(args: {headers?: table<string, string|false>, path?: string, host?: string, answer?: string[], ttl?: integer, reason?: string}): sluice.Verdict
verdict.rewrite = make_constructor("rewrite")

---Add tags to the decision and let later rules decide (not terminal).
---@type fun(args: {[integer]: string, reason?: string}): sluice.Verdict
verdict.log = make_constructor("log")

---Decrypt the TLS connection with a certificate from the sluice CA, so that
---its HTTP requests reach the http handlers. Valid in tls handlers only.
---@type fun(args?: {reason?: string}): sluice.Verdict
verdict.intercept = make_constructor("intercept")

---Relay the TLS connection without decrypting it. Valid in tls handlers only.
---@type fun(args?: {reason?: string}): sluice.Verdict
verdict.passthrough = make_constructor("passthrough")

---Return the private fields of a verdict, or nil when value is not a verdict.
---The engine reads these; callers must not change the returned table.
---@param value any
---@return table|nil
function verdict.fields(value)
  return registry[value]
end

local HTTP_REWRITE = { headers = true, path = true, host = true }

---Check that a verdict may answer an event type. Returns an error message
---without position, or nil when it fits.
---@param fields table fields from verdict.fields()
---@param event_type string "dns", "connect", "tls" or "http"
---@return string|nil
function verdict.check_fit(fields, event_type)
  local action = fields.action
  if (action == "intercept" or action == "passthrough") and event_type ~= "tls" then
    return ("%s() is valid only in a tls handler, not in a %s handler"):format(action, event_type)
  end
  if action == "rewrite" then
    if event_type ~= "http" and event_type ~= "dns" then
      return ("rewrite{} is valid only in http and dns handlers, not in a %s handler"):format(event_type)
    end
    local is_http = false
    for key in pairs(HTTP_REWRITE) do
      if fields.rewrite[key] ~= nil then
        is_http = true
      end
    end
    if is_http and event_type ~= "http" then
      return "rewrite{} of headers, path or host is valid only in an http handler"
    end
    if not is_http and event_type ~= "dns" then
      return "rewrite{} of a DNS answer is valid only in a dns handler"
    end
  end
  if action == "deny" then
    if fields.status and event_type ~= "http" then
      return ("deny{status = ...} is valid only in an http handler, not in a %s handler"):format(event_type)
    end
    if fields.rcode and event_type ~= "dns" then
      return ("deny{rcode = ...} is valid only in a dns handler, not in a %s handler"):format(event_type)
    end
  end
  return nil
end

return verdict
