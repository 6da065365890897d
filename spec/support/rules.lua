-- SPDX-License-Identifier: MIT
-- Helpers shared by the busted specs of the rule engine.

local testing = require "sluice.testing"

local rules = {}

-- The first line of a rule file that uses the sluice API.
rules.HEADER = 'local sluice = require "sluice"\n'

---Load rule files that must fail and return the load error.
---@param files table<string, string> as for testing.load_files()
---@return string err
function rules.load_error(files)
  local ok, err = pcall(testing.load_files, files)
  -- busted's assert exists only in the spec files' environment.
  if ok then
    error("the rules loaded without an error", 2)
  end
  return err
end

return rules
