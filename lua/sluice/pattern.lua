-- SPDX-License-Identifier: MIT
-- The string library that rule files get: Lua's, with a cost check on pattern matching.
--
-- Lua's pattern matcher backtracks without bound and runs as one C call, so
-- the instruction budget cannot stop it: string.rep("a", 3000):find(".-.-.-b")
-- runs for minutes. Event fields come from the guest, so a rule's pattern
-- could stall the gateway. Before each find, match, gmatch or gsub with a
-- pattern, this module estimates the matcher's worst case as
-- (subject length + 1) ^ (quantifiers + 1), or ^ quantifiers for a pattern
-- anchored with "^", and raises an error (which fails the event closed)
-- above MAX_COST. Plain finds and patterns without quantifiers pass
-- unchecked.
--
-- The gateway also makes these functions the string metatable's __index,
-- so method calls (name:find(...)) are checked too. Under busted only calls
-- through the string table are checked.

local string = string
local find, match, gmatch, gsub = string.find, string.match, string.gmatch, string.gsub
local byte, type, tostring, error, setmetatable = string.byte, type, tostring, error, setmetatable

---Worst-case matcher steps above which a pattern call is refused.
local MAX_COST = 1e8

local PERCENT, OPEN_SET, CLOSE_SET, CARET = 37, 91, 93, 94
local QUANTIFIERS = { [42] = true, [43] = true, [45] = true, [63] = true } -- * + - ?

-- Exponent of the cost of each pattern seen, by pattern text.
local exponents = setmetatable({}, { __mode = "k" })

-- Count the quantifiers outside sets and escapes; an unanchored pattern is
-- tried at every position of the subject, which adds one to the exponent.
local function exponent(pattern)
  local cached = exponents[pattern]
  if cached then
    return cached
  end
  local count, i, n = 0, 1, #pattern
  local anchored = byte(pattern, 1) == CARET
  while i <= n do
    local c = byte(pattern, i)
    if c == PERCENT then
      i = i + 2
    elseif c == OPEN_SET then
      i = i + 1
      if byte(pattern, i) == CARET then i = i + 1 end
      if byte(pattern, i) == CLOSE_SET then i = i + 1 end
      while i <= n and byte(pattern, i) ~= CLOSE_SET do
        if byte(pattern, i) == PERCENT then i = i + 1 end
        i = i + 1
      end
      i = i + 1
    else
      if QUANTIFIERS[c] then count = count + 1 end
      i = i + 1
    end
  end
  local result = count + (anchored and 0 or 1)
  if count == 0 then
    result = 0 -- no backtracking: linear in the subject
  end
  exponents[pattern] = result
  return result
end

local function check(fname, subject, pattern)
  if type(pattern) ~= "string" then
    return -- the original function raises its own error
  end
  local e = exponent(pattern)
  if e == 0 then
    return
  end
  local len = type(subject) == "string" and #subject or #tostring(subject)
  if (len + 1) ^ e > MAX_COST then
    error(("string.%s: pattern %q is too costly for a %d-byte subject "
      .. "(more than %d matcher steps possible); use fewer '*', '+', '-' "
      .. "or '?', anchor it with '^', or use sluice.domain"):format(
        fname, #pattern > 40 and pattern:sub(1, 40) .. "..." or pattern,
        len, MAX_COST), 3)
  end
end

local guarded = {}
for key, value in pairs(string) do
  if key ~= "dump" then
    guarded[key] = value
  end
end

function guarded.find(s, pattern, init, plain)
  if not plain then check("find", s, pattern) end
  return find(s, pattern, init, plain)
end

function guarded.match(s, pattern, init)
  check("match", s, pattern)
  return match(s, pattern, init)
end

function guarded.gmatch(s, pattern, init)
  check("gmatch", s, pattern)
  return gmatch(s, pattern, init)
end

function guarded.gsub(s, pattern, repl, n)
  check("gsub", s, pattern)
  return gsub(s, pattern, repl, n)
end

return {
  ---The string library for rule files.
  string = guarded,
  MAX_COST = MAX_COST,
}
