-- SPDX-License-Identifier: MIT
-- The examples in docs/rules.md load and give the verdicts stated next to them.
--
-- The format, as docs/rules.md uses it:
--
--  * A ```lua block whose first line is `-- example: NAME FILE` is the
--    complete rule file FILE of the example rule set NAME. FILE defaults to
--    NAME.lua, and a FILE with a slash is a helper module. Several blocks
--    with the same NAME form one rules directory.
--  * A ```text block with lines `EVENT --> ACTION [FIELDS]` states what the
--    most recent example set decides. EVENT is a call of the event
--    builders of sluice.testing (`connect{ port = 22 }`), ACTION the
--    decision's action and FIELDS an optional Lua table of further decision
--    fields that must be equal. `load --> error "TEXT"` states that the set
--    fails to load with an error containing TEXT.
--  * Every other ```lua block must compile.

local testing = require "sluice.testing"

local repo_root = debug.getinfo(1, "S").source:match("^@(.*)spec/lua/[^/]*$")
local DOC = repo_root .. "docs/rules.md"

-- Return the fenced blocks of markdown text: { info =, text =, line = }.
local function fenced_blocks(text)
  local blocks, current = {}, nil
  local number = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    number = number + 1
    local fence, info = line:match("^(```+)%s*(.-)%s*$")
    if current then
      if fence and info == "" then
        current.text = table.concat(current.lines, "\n") .. "\n"
        blocks[#blocks + 1] = current
        current = nil
      else
        current.lines[#current.lines + 1] = line
      end
    elseif fence then
      current = { info = info, lines = {}, line = number + 1 }
    end
  end
  assert(current == nil, "docs/rules.md has an unclosed code block")
  return blocks
end

-- Group the example blocks into sets and collect the other parts.
local function read_doc()
  local file = assert(io.open(DOC, "rb"))
  local blocks = fenced_blocks(file:read("a"))
  file:close()

  local sets, order, snippets = {}, {}, {}
  local last
  for _, block in ipairs(blocks) do
    local name, path = block.text:match("^%-%- example: (%S+)%s*(%S*)")
    if block.info == "lua" and name then
      if not sets[name] then
        sets[name] = { name = name, files = {}, expectations = {}, line = block.line }
        order[#order + 1] = name
      end
      path = path ~= "" and path or name .. ".lua"
      assert(sets[name].files[path] == nil, ("example %s has two blocks for %s"):format(name, path))
      sets[name].files[path] = block.text
      last = sets[name]
    elseif block.info == "lua" then
      snippets[#snippets + 1] = block
    elseif block.text:find("-->", 1, true) then
      assert(last, ("expectations at line %d come before any example"):format(block.line))
      for offset, line in ipairs(block.lines) do
        if line:find("%S") then
          last.expectations[#last.expectations + 1] = { text = line, line = block.line + offset - 1 }
        end
      end
    end
  end
  return sets, order, snippets
end

local builders = {
  connect = testing.connect,
  dns = testing.dns,
  tls = testing.tls,
  http = testing.http,
}

local function evaluate(expression, where)
  local chunk, err = load("return " .. expression, "=" .. where, "t", builders)
  assert(chunk, err)
  return chunk()
end

-- Check one expectation line against a loaded generation (or a load error).
local function check_expectation(gen, load_error, expectation)
  local where = ("docs/rules.md:%d"):format(expectation.line)
  local left, action, fields = expectation.text:match("^%s*(.-)%s*%-%->%s*(%a+)%s*(.-)%s*$")
  assert(left, where .. ": not of the form EVENT --> ACTION [FIELDS]")

  if left == "load" then
    assert.are.equal("error", action, where)
    local expected_text = evaluate(fields, where)
    assert.is_not_nil(load_error, where .. ": the example loaded without an error")
    assert.truthy(load_error:find(expected_text, 1, true),
      ("%s: %q does not contain %q"):format(where, load_error, expected_text))
    return
  end

  assert.is_nil(load_error, where)
  local d = testing.decide(gen, evaluate(left, where))
  assert.are.equal(action, d.action, where)
  if fields ~= "" then
    local expected = evaluate(fields, where)
    assert.are.equal("table", type(expected), where)
    for key, value in pairs(expected) do
      assert.are.same(value, d[key], ("%s: field %s"):format(where, key))
    end
    -- A field written as `key = nil` cannot be seen by pairs(); read it from the text.
    for key in fields:gmatch("([%a_]+)%s*=%s*nil") do
      assert.is_nil(d[key], ("%s: field %s"):format(where, key))
    end
  end
end

local sets, order, snippets = read_doc()

describe("docs/rules.md", function()
  it("has examples with stated verdicts", function()
    assert.is_true(#order >= 5, "fewer examples than expected; was the marker changed?")
  end)

  for _, name in ipairs(order) do
    local set = sets[name]
    it(("example '%s' (line %d) gives the stated verdicts"):format(name, set.line), function()
      assert.is_true(#set.expectations > 0, "the example has no expectations")
      local ok, gen = pcall(testing.load_files, set.files, { print = function() end })
      local load_error = not ok and gen or nil
      for _, expectation in ipairs(set.expectations) do
        check_expectation(ok and gen or nil, load_error, expectation)
      end
    end)
  end

  it("has other Lua blocks that compile", function()
    for _, block in ipairs(snippets) do
      local chunk, err = load(block.text, ("=docs/rules.md:%d"):format(block.line), "t")
      assert.is_not_nil(chunk, err)
    end
  end)
end)
