local sluice = require "sluice"

return {
  connect = function()
    return sluice.log{ "10-first" }
  end,
}
