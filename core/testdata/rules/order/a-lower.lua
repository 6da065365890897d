local sluice = require "sluice"

return {
  connect = function()
    return sluice.log{ "a-lower" }
  end,
}
