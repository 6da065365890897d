local sluice = require "sluice"

return {
  connect = function(ev)
    if ev.port == 25 then
      return sluice.deny{ reason = "no outgoing mail" }
    end
  end,

  dns = function(q)
    if sluice.domain(q.name, "blocked.example") then
      return sluice.deny{ rcode = "REFUSED", reason = "blocked name" }
    end
  end,
}
