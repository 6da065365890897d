-- SPDX-License-Identifier: MIT
-- Strict parsing of IPv4 and IPv6 address text into integers, for the CIDR matcher.
--
-- IPv4 is the dotted-decimal form only: four decimal parts of 0..255 without
-- leading zeros, because inet_aton() would read "010" as octal and a rule
-- would then match a different address than it names. IPv6 is the RFC 4291
-- text form with at most one "::" and an optional dotted IPv4 tail. Zone ids
-- ("fe80::1%eth0") and brackets are not addresses and are rejected.
--
-- An IPv4 address is one integer (0..2^32-1). An IPv6 address is two 64-bit
-- integers, the high and the low half, compared with bit masks, so Lua's
-- signed integers are never compared by size.

local ip = {}

---Parse dotted-decimal IPv4 text.
---@param text string
---@return integer|nil address the address as an integer, or nil when the text is not IPv4
function ip.parse_ipv4(text)
  local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then
    return nil
  end

  local value = 0
  for _, part in ipairs({ a, b, c, d }) do
    if #part > 3 or (#part > 1 and part:sub(1, 1) == "0") then
      return nil
    end
    local byte = tonumber(part)
    if byte > 255 then
      return nil
    end
    value = (value << 8) | byte
  end
  return value
end

-- Append the 16-bit groups of one side of "::" to groups, or return false.
-- Only the last part of the address may be a dotted IPv4 tail.
local function parse_groups(text, groups, allow_ipv4_tail)
  if text == "" then
    return true
  end

  local parts = {}
  for part in (text .. ":"):gmatch("([^:]*):") do
    parts[#parts + 1] = part
  end

  for i, part in ipairs(parts) do
    if allow_ipv4_tail and i == #parts and part:find(".", 1, true) then
      local v4 = ip.parse_ipv4(part)
      if not v4 then
        return false
      end
      groups[#groups + 1] = v4 >> 16
      groups[#groups + 1] = v4 & 0xffff
    elseif part:match("^%x%x?%x?%x?$") then
      groups[#groups + 1] = tonumber(part, 16)
    else
      return false
    end
  end
  return true
end

---Parse IPv6 text.
---@param text string
---@return integer|nil high the high 64 bits, or nil when the text is not IPv6
---@return integer|nil low the low 64 bits
function ip.parse_ipv6(text)
  if not text:find(":", 1, true) then
    return nil
  end

  local head, tail = text:match("^(.-)::(.*)$")
  local groups
  if head then
    if tail:find("::", 1, true) then
      return nil
    end
    local front, back = {}, {}
    if not parse_groups(head, front, false) or not parse_groups(tail, back, true) then
      return nil
    end
    if #front + #back > 7 then
      return nil
    end
    groups = front
    for _ = 1, 8 - #front - #back do
      groups[#groups + 1] = 0
    end
    table.move(back, 1, #back, #groups + 1, groups)
  else
    groups = {}
    if not parse_groups(text, groups, true) or #groups ~= 8 then
      return nil
    end
  end

  local high = (groups[1] << 48) | (groups[2] << 32) | (groups[3] << 16) | groups[4]
  local low = (groups[5] << 48) | (groups[6] << 32) | (groups[7] << 16) | groups[8]
  return high, low
end

---Return the IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
---@param high integer
---@param low integer
---@return integer|nil address the IPv4 address, or nil when the address is not IPv4-mapped
function ip.mapped_ipv4(high, low)
  if high == 0 and (low >> 32) == 0xffff then
    return low & 0xffffffff
  end
  return nil
end

---Return the mask that keeps the first prefix bits of a width-bit value.
---@param prefix integer number of leading one bits, 0..width
---@param width integer 32 or 64
---@return integer
function ip.mask(prefix, width)
  if prefix <= 0 then
    return 0
  end
  local all = width == 64 and -1 or 0xffffffff
  return (all << (width - prefix)) & all
end

return ip
