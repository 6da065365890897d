-- SPDX-License-Identifier: MIT
-- rules/50-audit.lua: trial allows are recorded in the audit list and change no verdict.

local testing = require "sluice.testing"

local rules_dir = debug.getinfo(1, "S").source:match("^@(.*)spec/rules/[^/]*$") .. "rules"
local gen = testing.load(rules_dir)

local function decide(event)
  return testing.decide(gen, event)
end

local function audit_of(d)
  assert.are.equal(1, #d.audit)
  local entry = d.audit[1]
  assert.truthy(entry.rule:match("^50%-audit%.lua:%d+$"), entry.rule)
  return entry
end

describe("50-audit.lua", function()
  it("is an audit-mode file", function()
    local last = gen:order()[#gen:order()]
    assert.are.equal("50-audit.lua", last.file)
    assert.are.equal("audit", last.mode)
  end)

  it("records a would-be allow for mirror names but still denies them", function()
    local d = decide(testing.dns{ name = "mirror.example.org" })
    assert.are.equal("deny", d.action)
    assert.is_true(d.default)
    local entry = audit_of(d)
    assert.are.equal("allow", entry.action)
    assert.are.equal("trial: example.org mirrors", entry.reason)
  end)

  it("records HTTPS connections to mirrors", function()
    local d = decide(testing.connect{ name = "mirror.example.org", port = 443 })
    assert.are.equal("deny", d.action)
    assert.are.equal("trial: example.org mirrors", audit_of(d).reason)
  end)

  it("records SSH to the git server", function()
    local d = decide(testing.connect{ name = "git.example.com", port = 22 })
    assert.are.equal("deny", d.action)
    assert.are.equal("trial: git over SSH", audit_of(d).reason)
  end)

  it("records nothing for SSH to other hosts", function()
    assert.is_nil(decide(testing.connect{ name = "build.example.com", port = 22 }).audit)
  end)

  it("records nothing for the mirror apex", function()
    assert.is_nil(decide(testing.dns{ name = "example.org" }).audit)
  end)

  it("never sees events that earlier files decided", function()
    local d = decide(testing.connect{ name = "git.example.com", port = 443 })
    assert.are.equal("allow", d.action)
    assert.is_nil(d.audit)
  end)
end)
