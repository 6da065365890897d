-- SPDX-License-Identifier: MIT
-- The string library of rule files refuses backtracking patterns too costly for their subject.

local pattern = require "sluice.pattern"
local str = pattern.string

describe("sluice.pattern string library", function()
  it("matches ordinary patterns like string does", function()
    assert.equals("api", str.match("api.example.com", "^(%w+)%."))
    assert.same({ string.find("a.b.c", "%.") }, { str.find("a.b.c", "%.") })
    assert.equals("x-y", (str.gsub("x.y", "%.", "-")))
    local parts = {}
    for label in str.gmatch("a.b.c", "[^.]+") do parts[#parts + 1] = label end
    assert.same({ "a", "b", "c" }, parts)
  end)

  it("refuses a pattern with three lazy quantifiers on 3000 bytes", function()
    local ok, err = pcall(str.find, string.rep("a", 3000), ".-.-.-b")
    assert.is_false(ok)
    assert.matches("too costly for a 3000%-byte subject", err)
  end)

  it("allows the same pattern on a short subject", function()
    assert.is_nil(str.find(string.rep("a", 20), ".-.-.-b"))
  end)

  it("counts an anchor as one exponent less", function()
    local subject = string.rep("a", 9000)
    assert.has_error(function() str.match(subject, ".-.-b") end)
    assert.is_nil(str.match(subject, "^.-.-b"))
  end)

  it("ignores quantifier characters inside sets and escapes", function()
    local subject = string.rep("a", 100000)
    assert.is_nil(str.find(subject, "[*+?-]%*%+%-%?"))
  end)

  it("passes plain finds unchecked", function()
    local subject = string.rep("a", 100000)
    assert.is_nil(str.find(subject, ".-.-.-b", 1, true))
  end)

  it("does not offer string.dump", function()
    assert.is_nil(str.dump)
  end)

  it("reports the caller's line", function()
    local ok, err = pcall(function()
      local found = str.match(string.rep("a", 5000), ".-.-.-b")
      return found
    end)
    assert.is_false(ok)
    assert.matches("pattern_spec.lua:%d+: string.match", err)
  end)
end)
