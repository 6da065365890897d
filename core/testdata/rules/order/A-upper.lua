local sluice = require "sluice"

return {
  connect = function()
    return sluice.log{ "A-upper" }
  end,
}
