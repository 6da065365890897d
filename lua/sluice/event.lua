-- SPDX-License-Identifier: MIT
-- The event table that rule handlers see: read-only, and strict about field names.
--
-- A generation hands all its handlers one view table and points it at each
-- event in turn (decide() is not reentrant), instead of building a view per
-- event. Reads go through to the event, writes raise an error, and reading
-- a field that the event type does not have raises an error too, so a
-- misspelt field fails the event closed with the rule's line. Between
-- events the view shows no fields.

local event = {}

local getmetatable, setmetatable, error, next, pairs, ipairs, type, tostring =
  getmetatable, setmetatable, error, next, pairs, ipairs, type, tostring

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

local function copy_table(source)
  local copy = {}
  for key, value in pairs(source) do
    copy[key] = value
  end
  return copy
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

-- Return what pairs() returns for a view: an iterator over the keys of
-- source that reads the values from front.
local function view_pairs(source, front)
  return function(_, key)
    local k = next(source, key)
    if k == nil then
      return nil
    end
    return k, front[k]
  end, nil, nil
end

-- Return a read-only view of table source: reads go to front (source, or a
-- copy of it whose nested tables are views), writes raise an error.
local function read_only_view(source, front, with_length)
  front = front or source
  return setmetatable({}, {
    __index = front,
    __newindex = reject_write,
    __len = with_length and function() return #source end or nil,
    __pairs = function() return view_pairs(source, front) end,
    __metatable = "sluice.Event",
  })
end

-- Return a read-only view and a function point(source, front) that turns
-- it to another table (front as in read_only_view()).
local function reusable_view()
  local meta = { __index = EMPTY, __newindex = reject_write, __metatable = "sluice.Event" }
  local source = EMPTY
  meta.__pairs = function() return view_pairs(source, meta.__index) end

  local function point(new_source, front)
    source = new_source
    meta.__index = front or new_source
  end
  return setmetatable({}, meta), point
end

---Return the view for a generation's handlers and a function point(ev,
---kind) that turns it to event ev of type kind, or to no fields when ev is
---nil. The C core passes the same table for every event of a type, so
---point() makes a table strict only when it differs from the last one.
---@return table view
---@return fun(ev: table|nil, kind?: string) point
function event.view()
  local view, point_at = reusable_view()
  local strict_event, strict_kind

  local function point(ev, kind)
    if ev == nil then
      point_at(EMPTY)
      return
    end
    local nested = NESTED_FIELDS[kind]
    if not nested then
      if ev ~= strict_event or kind ~= strict_kind then
        strict_event, strict_kind = make_strict(ev, kind), kind
      end
      point_at(ev)
      return
    end
    local front = make_strict(copy_table(ev), kind)
    for _, field in ipairs(nested) do
      if type(front[field]) == "table" then
        front[field] = read_only_view(front[field], nil, true)
      end
    end
    point_at(ev, front)
  end

  return view, point
end

return event
