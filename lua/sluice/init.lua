-- SPDX-License-Identifier: MIT
-- The rule author's API, `local sluice = require "sluice"`: verdict constructors and matchers.
--
-- Rule files get a copy of this table from the engine's require, so a file
-- that replaces one of its functions changes only its own copy. See
-- docs/rules.md for the full reference.

local verdict = require "sluice.verdict"
local match = require "sluice.match"

---@class sluice
local sluice = {
  allow = verdict.allow,
  deny = verdict.deny,
  rewrite = verdict.rewrite,
  log = verdict.log,
  intercept = verdict.intercept,
  passthrough = verdict.passthrough,

  domain = match.domain,
  domains = match.domains,
  cidr = match.cidr,
  ports = match.ports,
}

return sluice
