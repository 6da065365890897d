local sluice = require "sluice"

return {
  connect = function()
    return sluice.log{ "9-second" }
  end,
}
