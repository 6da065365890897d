local sluice = require "sluice"

return {
  connect = function(ev)
    if ev.name then
      return sluice.log{ "named", "proto-" .. ev.proto }
    end
  end,
}
