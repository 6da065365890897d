-- SPDX-License-Identifier: MIT
-- Rules on trial: mode = "audit" records what these rules would decide without enforcing it.
--
-- Files run in name order and the first terminal verdict wins, so this file
-- gets only the events that 00-base.lua and 10-allow.lua left undecided,
-- which the default then denies. That makes a late audit file the place to try out
-- a wider policy: each event that a rule here would allow gets an "audit"
-- entry in its audit log line, and nothing changes until the mode line is
-- removed. (A stricter rule on trial, such as a cap on upload size, must
-- sort before the files that allow, for example as 05-audit-uploads.lua.)

local sluice = require "sluice"

local mirrors = sluice.domains{ "*.example.org" }

return {
  mode = "audit",

  dns = function(q)
    if mirrors:match(q.name) then
      return sluice.allow{ reason = "trial: example.org mirrors" }
    end
  end,

  connect = function(c)
    if c.proto == "tcp" and c.port == 443 and mirrors:match(c.name) then
      return sluice.allow{ reason = "trial: example.org mirrors" }
    end
    if c.proto == "tcp" and c.port == 22 and sluice.domain(c.name, "git.example.com") then
      return sluice.allow{ reason = "trial: git over SSH" }
    end
  end,
}
