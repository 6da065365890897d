local sluice = require "sluice"
local ports = require "lib.ports"

return {
  connect = function(ev)
    if ports.is_web(ev.port) then
      return sluice.allow()
    end
  end,
}
