local M = {}

function M.is_web(port)
  return port == 80 or port == 443
end

return M
