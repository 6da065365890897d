-- SPDX-License-Identifier: MIT
-- The specs run under the Lua version the gateway embeds, with the modules from lua/.
describe("spec runner", function()
  it("runs under Lua 5.4", function()
    assert.are.equal("Lua 5.4", _VERSION)
  end)

  it("loads sluice from the repository's lua directory", function()
    local path = package.searchpath("sluice", package.path)
    assert.is_not_nil(path)
    assert.truthy(path:find("lua/sluice/init.lua", 1, true))
  end)
end)
