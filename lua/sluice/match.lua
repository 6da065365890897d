-- SPDX-License-Identifier: MIT
-- Name, address and port matchers of the rule API: domain(), domains(), cidr() and ports().
--
-- Patterns, CIDR blocks and port ranges are checked when they are given, and
-- an invalid one raises an error at the rule's line. The value tested against
-- them comes from an event and is never an error: nil, a wrong type or
-- invalid text simply does not match.
--
-- Names are compared as ASCII text. There is no IDNA mapping: a name with
-- non-ASCII letters must be written in its punycode form ("xn--..."), which
-- is what the guest's DNS query carries.

local ip = require "sluice.ip"

-- Matchers run for every event, inside the host's instruction budget, so
-- library functions are locals here, the common paths avoid building new
-- strings, and each set carries its methods as fields of its own (a method
-- found in the set itself costs less than one found through __index).
local type, select, error, pairs, ipairs, next, tostring = type, select, error, pairs, ipairs, next, tostring
local setmetatable = setmetatable
local find, sub, lower, byte = string.find, string.sub, string.lower, string.byte
local math_type, tointeger = math.type, math.tointeger

local match = {}

local MAX_NAME = 253
local MAX_LABEL = 63
local MAX_PORT = 65535
local DOT = 46

-- Parsed domain() patterns by pattern text. Patterns are usually string
-- literals, so the cache stays small; past MAX_CACHED it stops growing.
local MAX_CACHED = 1024
local parsed_patterns = {}
local parsed_count = 0

-- Each set remembers its results for the names or addresses it was asked
-- about last. A guest asks about the same few hosts again and again, and one
-- table read is much cheaper than a lookup. A memo that reaches MAX_MEMO
-- entries is dropped and starts again, so its size stays bounded, and with
-- it the memory of the strings it keeps alive.
local MAX_MEMO = 128

-- A set's remembered result for key is set.memo[key], read inline on the
-- hot paths: a function call would cost as much as the read.

local function memo_put(set, key, result)
  if set.memo_count >= MAX_MEMO then
    set.memo = {}
    set.memo_count = 0
  end
  set.memo[key] = result
  set.memo_count = set.memo_count + 1
  return result
end

-- domain() normalizes the names it is given with this memo.
local normalized_names = { memo = {}, memo_count = 0 }

-- Lower-case a name and drop one trailing dot ("Example.COM." -> "example.com").
local function normalize_name(name)
  name = lower(name)
  if byte(name, -1) == DOT then
    name = sub(name, 1, -2)
  end
  return name
end

-- Return the normalized pattern and whether it is a "*." wildcard, or raise an
-- error that names the pattern. level is passed on to error().
local function parse_pattern(pattern, what, level)
  if type(pattern) ~= "string" then
    error(("%s: pattern must be a string, got %s"):format(what, type(pattern)), level + 1)
  end

  local text = normalize_name(pattern)
  local wildcard = false
  if text:sub(1, 2) == "*." then
    wildcard = true
    text = text:sub(3)
  end

  local problem
  if text:find("[\128-\255]") then
    problem = "contains non-ASCII characters; write the punycode form (xn--...)"
  elseif text == "" then
    problem = "is empty"
  elseif text == "*" then
    problem = "needs a domain after '*.', as in *.example.com; there is no pattern for every name"
  elseif #text > MAX_NAME then
    problem = ("is longer than %d characters"):format(MAX_NAME)
  elseif text:find("*", 1, true) then
    problem = "may contain '*' only as its first label, as in *.example.com"
  else
    for label in (text .. "."):gmatch("([^.]*)%.") do
      if label == "" then
        problem = "has an empty label"
      elseif #label > MAX_LABEL then
        problem = ("has a label longer than %d characters"):format(MAX_LABEL)
      elseif label:find("[^%w_%-]") then
        problem = "may contain only letters, digits, '-', '_' and '.'"
      end
      if problem then
        break
      end
    end
  end
  if problem then
    error(("%s: invalid pattern %q: %s"):format(what, pattern, problem), level + 1)
  end
  return text, wildcard
end

-- Return the parsed form of a pattern: the name, or "." .. name for a
-- wildcard, which a matching name must end with. Raises an error for an
-- invalid pattern at stack level level (counted from the caller).
local function cached_pattern(pattern, what, level)
  local parsed = parsed_patterns[pattern]
  if parsed then
    return parsed
  end

  local text, wildcard = parse_pattern(pattern, what, level + 1)
  parsed = { wildcard = wildcard, text = wildcard and "." .. text or text }
  if parsed_count < MAX_CACHED then
    parsed_patterns[pattern] = parsed
    parsed_count = parsed_count + 1
  end
  return parsed
end

local function name_matches(name, parsed)
  local text = parsed.text
  if not parsed.wildcard then
    return name == text
  end
  -- A plain find() anchored at the only position where text can end name.
  return #name > #text and find(name, text, #name - #text + 1, true) ~= nil
end

---Test a DNS name against patterns: "example.com" matches exactly that name,
---"*.example.com" matches every name below example.com but not example.com
---itself. Case and one trailing dot are ignored on both sides.
---@param name string|nil the name to test; nil or a non-string never matches
---@param ... string patterns
---@return boolean
function match.domain(name, ...)
  local count = select("#", ...)
  if count == 0 then
    error("domain: expected at least one pattern after the name", 2)
  end

  local normalized = normalized_names.memo[name]
  if normalized == nil and type(name) == "string" then
    normalized = memo_put(normalized_names, name, normalize_name(name))
  end
  if normalized == "" then
    normalized = nil
  end
  for i = 1, count do
    local parsed = cached_pattern((select(i, ...)), "domain", 2)
    if normalized and name_matches(normalized, parsed) then
      return true
    end
  end
  return false
end

---@class sluice.DomainSet
---@field private exact table<string, true>
---@field private below table<string, true>
---@field private memo table<string, boolean>
---@field private memo_count integer
local DomainSet = {}
local domain_set_meta = { __index = DomainSet, __metatable = "sluice.DomainSet" }

-- The names that sets looked up last, split once for all sets: for
-- "WWW.Example.com." the array { "www.example.com", "example.com", "com" },
-- the normalized name and then each domain above it.
local split_names = { memo = {}, memo_count = 0 }

local function split_name(name)
  local parts = split_names.memo[name]
  if parts then
    return parts
  end
  local normalized = normalize_name(name)
  parts = { normalized }
  local dot = find(normalized, ".", 1, true)
  while dot do
    parts[#parts + 1] = sub(normalized, dot + 1)
    dot = find(normalized, ".", dot + 1, true)
  end
  return memo_put(split_names, name, parts)
end

---Split a name for lookups in domain sets: the array of the normalized name
---and then each domain above it ("www.example.com", "example.com", "com").
---The array is shared and must not be changed. For the engine, not rules.
---@param name string
---@return string[]
match.name_parts = split_name

local function domain_set_lookup(set, name)
  local parts = split_name(name)
  if set.exact[parts[1]] then
    return true
  end
  local below = set.below
  for i = 2, #parts do
    if below[parts[i]] then
      return true
    end
  end
  return false
end

---Test a name against the set with the rules of domain().
---@param name string|nil
---@return boolean
function DomainSet:match(name)
  local known = self.memo[name]
  if known ~= nil then
    return known
  end
  if type(name) ~= "string" then
    return false
  end
  return memo_put(self, name, domain_set_lookup(self, name))
end

---Build a set of domain patterns that matches faster than domain() with many
---patterns: a lookup costs one table access per label of the name.
---@param patterns string[] patterns as for domain()
---@return sluice.DomainSet
function match.domains(patterns)
  if type(patterns) ~= "table" then
    error(("domains: expected a table of patterns, got %s"):format(type(patterns)), 2)
  end

  local set = { exact = {}, below = {}, memo = {}, memo_count = 0 }
  for key, pattern in pairs(patterns) do
    if math.type(key) ~= "integer" then
      error(("domains: unexpected key %s; list the patterns as an array"):format(tostring(key)), 2)
    end
    local text, wildcard = parse_pattern(pattern, "domains", 2)
    if wildcard then
      set.below[text] = true
    else
      set.exact[text] = true
    end
  end
  set.match = DomainSet.match
  return setmetatable(set, domain_set_meta)
end

-- Collect the arguments of cidr() and ports(): either values or one array.
local function collect(what, ...)
  local list = { ... }
  if select("#", ...) == 1 and type(list[1]) == "table" then
    list = list[1]
  end
  if #list == 0 then
    error(("%s: expected at least one value"):format(what), 3)
  end
  return list
end

---@class sluice.CidrSet
---@field private v4 table<integer, table<integer, true>> prefix length -> set of masked networks
---@field private v6 table<integer, table<string, true>> prefix length -> set of packed masked networks
---@field private v4_prefixes integer[]
---@field private v6_prefixes integer[]
---@field private memo table<string, boolean>
---@field private memo_count integer
local CidrSet = {}
local cidr_set_meta = { __index = CidrSet, __metatable = "sluice.CidrSet" }

local function pack_v6(high, low)
  return string.pack(">i8i8", high, low)
end

local function v6_masks(prefix)
  if prefix <= 64 then
    return ip.mask(prefix, 64), 0
  end
  return -1, ip.mask(prefix - 64, 64)
end

local function contains_v4(set, address)
  for _, prefix in ipairs(set.v4_prefixes) do
    if set.v4[prefix][address & ip.mask(prefix, 32)] then
      return true
    end
  end
  return false
end

local function cidr_set_lookup(set, address)
  local v4 = ip.parse_ipv4(address)
  if v4 then
    return contains_v4(set, v4)
  end

  local high, low = ip.parse_ipv6(address)
  if not high then
    return false
  end
  local mapped = ip.mapped_ipv4(high, low)
  if mapped and contains_v4(set, mapped) then
    return true
  end
  for _, prefix in ipairs(set.v6_prefixes) do
    local mask_high, mask_low = v6_masks(prefix)
    if set.v6[prefix][pack_v6(high & mask_high, low & mask_low)] then
      return true
    end
  end
  return false
end

---Test whether an address lies in one of the set's blocks. An IPv4-mapped IPv6
---address (::ffff:192.0.2.1) also matches the IPv4 blocks.
---@param address string|nil IPv4 or IPv6 text; nil or invalid text never matches
---@return boolean
function CidrSet:contains(address)
  local known = self.memo[address]
  if known ~= nil then
    return known
  end
  if type(address) ~= "string" then
    return false
  end
  return memo_put(self, address, cidr_set_lookup(self, address))
end

-- Parse "address/prefix" (or a bare address) and add it to set, or return an error message.
local function add_block(set, block)
  if type(block) ~= "string" then
    return ("expected a string like \"192.0.2.0/24\", got %s"):format(type(block))
  end

  local address, prefix_text = block:match("^([^/]+)/(%d+)$")
  if not address then
    if block:find("/", 1, true) then
      return ("invalid CIDR block %q"):format(block)
    end
    address = block
  elseif #prefix_text > 1 and prefix_text:sub(1, 1) == "0" then
    return ("invalid prefix length in %q"):format(block)
  end

  local v4 = ip.parse_ipv4(address)
  if v4 then
    local prefix = prefix_text and tonumber(prefix_text) or 32
    if prefix > 32 then
      return ("invalid CIDR block %q: an IPv4 prefix is at most 32 bits"):format(block)
    end
    if v4 & ~ip.mask(prefix, 32) ~= 0 then
      return ("invalid CIDR block %q: address bits are set past the /%d prefix"):format(block, prefix)
    end
    if not set.v4[prefix] then
      set.v4[prefix] = {}
      set.v4_prefixes[#set.v4_prefixes + 1] = prefix
    end
    set.v4[prefix][v4] = true
    return nil
  end

  local high, low = ip.parse_ipv6(address)
  if not high then
    return ("invalid CIDR block %q: %q is not an IPv4 or IPv6 address"):format(block, address)
  end
  local prefix = prefix_text and tonumber(prefix_text) or 128
  if prefix > 128 then
    return ("invalid CIDR block %q: an IPv6 prefix is at most 128 bits"):format(block)
  end
  local mask_high, mask_low = v6_masks(prefix)
  if high & ~mask_high ~= 0 or low & ~mask_low ~= 0 then
    return ("invalid CIDR block %q: address bits are set past the /%d prefix"):format(block, prefix)
  end
  if not set.v6[prefix] then
    set.v6[prefix] = {}
    set.v6_prefixes[#set.v6_prefixes + 1] = prefix
  end
  set.v6[prefix][pack_v6(high, low)] = true
  return nil
end

---Build a set of IPv4 and IPv6 CIDR blocks ("10.0.0.0/8", "2001:db8::/32"). A
---bare address is a block of one address. Address bits past the prefix are an
---error, because "10.0.0.1/8" is usually a typo for "10.0.0.0/8" or "10.0.0.1/32".
---@param ... string|string[] blocks, or one array of blocks
---@return sluice.CidrSet
function match.cidr(...)
  local set = { v4 = {}, v6 = {}, v4_prefixes = {}, v6_prefixes = {}, memo = {}, memo_count = 0 }
  for _, block in ipairs(collect("cidr", ...)) do
    local problem = add_block(set, block)
    if problem then
      error("cidr: " .. problem, 2)
    end
  end

  -- Longest prefixes first, so the common single-host entries are tried early.
  table.sort(set.v4_prefixes, function(a, b) return a > b end)
  table.sort(set.v6_prefixes, function(a, b) return a > b end)
  set.contains = CidrSet.contains
  return setmetatable(set, cidr_set_meta)
end

---@class sluice.PortSet
---@field private single table<integer, true>
---@field private firsts integer[] first port of each range
---@field private lasts integer[] last port of each range
local PortSet = {}
local port_set_meta = { __index = PortSet, __metatable = "sluice.PortSet" }

---Test whether a port is in the set.
---@param port integer|nil a number with an integer value; anything else never matches
---@return boolean
function PortSet:contains(port)
  -- Lua normalizes an integral float key (443.0) to the integer 443, and a
  -- read with a key of any other type simply finds nothing.
  if self.single[port] then
    return true
  end
  if math_type(port) == "float" then
    port = tointeger(port)
  end
  if math_type(port) ~= "integer" then
    return false
  end
  local firsts, lasts = self.firsts, self.lasts
  for i = 1, #firsts do
    if port >= firsts[i] and port <= lasts[i] then
      return true
    end
  end
  return false
end

local function parse_port(text)
  if not text:match("^%d%d?%d?%d?%d?$") or (#text > 1 and text:sub(1, 1) == "0") then
    return nil
  end
  local port = tonumber(text)
  return port <= MAX_PORT and port or nil
end

---Build a set of TCP or UDP ports from numbers (443), numeric strings ("443")
---and inclusive ranges ("8000-8999").
---@param ... integer|string|(integer|string)[] ports and ranges, or one array of them
---@return sluice.PortSet
function match.ports(...)
  local set = { single = {}, firsts = {}, lasts = {} }
  for _, entry in ipairs(collect("ports", ...)) do
    local first, last
    if type(entry) == "number" then
      local port = math.tointeger(entry)
      if port and port >= 0 and port <= MAX_PORT then
        first, last = port, port
      end
    elseif type(entry) == "string" then
      local a, b = entry:match("^(%d+)%-(%d+)$")
      if a then
        first, last = parse_port(a), parse_port(b)
      else
        first = parse_port(entry)
        last = first
      end
    end
    if not first or not last or first > last then
      local described = type(entry) == "string" and ("%q"):format(entry)
        or type(entry) == "number" and tostring(entry)
        or ("a %s value"):format(type(entry))
      error(("ports: invalid port or range %s; expected 0..65535 or \"first-last\""):format(described), 2)
    end

    if first == last then
      set.single[first] = true
    else
      set.firsts[#set.firsts + 1] = first
      set.lasts[#set.lasts + 1] = last
    end
  end
  set.contains = PortSet.contains
  return setmetatable(set, port_set_meta)
end

return match
