local sluice = require "sluice"

return {
  connect = function(ev)
    if ev.port == 443 and sluice.domain(ev.name, "*.example.com") then
      return sluice.allow{ reason = "web" }
    end
  end,

  dns = function(q)
    if sluice.domain(q.name, "example.com", "*.example.com") then
      return sluice.allow()
    end
  end,
}
