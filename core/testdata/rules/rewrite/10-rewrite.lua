local sluice = require "sluice"

return {
  dns = function(q)
    if q.name == "intranet.example" then
      return sluice.rewrite{ answer = { "192.0.2.10", "192.0.2.11" }, ttl = 60 }
    end
  end,
}
