local sluice = require "sluice"

return {
  mode = "audit",

  connect = function(ev)
    if ev.port == 8080 then
      return sluice.deny{ reason = "would block 8080" }
    end
  end,
}
