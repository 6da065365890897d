-- SPDX-License-Identifier: MIT
-- The base stance of this rule set: deny what no rule allows, and mark flows worth a look.
--
-- sluice denies every event that no rule decides (unless it runs with the
-- default set to allow), so the files after this one only list what is
-- allowed. This file runs first, with the rules that must apply whatever
-- they allow:
--   * QUIC (UDP port 443) is denied, so clients fall back to HTTPS over TCP,
--     where the tls and http rules see the traffic.
--   * DNS queries of type ANY are refused; resolvers no longer need them and
--     they make large answers for reflection attacks.
--   * Connections the guest made to a literal address (no DNS name behind
--     them) and TXT queries are tagged, so the audit log shows them whatever
--     the verdict. Tags do not decide anything.

local sluice = require "sluice"

return {
  dns = function(q)
    if q.type == "ANY" then
      return sluice.deny{ rcode = "REFUSED", reason = "ANY queries are not answered" }
    end
    if q.type == "TXT" then
      return sluice.log{ "dns-txt" }
    end
  end,

  connect = function(c)
    if c.proto == "udp" and c.port == 443 then
      return sluice.deny{ reason = "QUIC is blocked; use HTTPS over TCP" }
    end
    if c.name == nil then
      return sluice.log{ "literal-address" }
    end
  end,
}
