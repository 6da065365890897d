local sluice = require "sluice"

return {
  connect = function()
    return sluice.allow()
  end,
}
