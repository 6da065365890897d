local sluice = require "sluice"

-- Denies with the name of the first field that differs from what the C
-- test puts into the event, so a failure names the field.
local function check(ev, want)
  for key, value in pairs(want) do
    if ev[key] ~= value then
      return sluice.deny{ reason = key .. "=" .. tostring(ev[key]) }
    end
  end
  if math.type(ev.id) ~= "integer" then
    return sluice.deny{ reason = "id is not an integer" }
  end
  return sluice.allow{ reason = "fields match" }
end

return {
  connect = function(ev)
    return check(ev, {
      event = "connect", id = 42, time = 1700000000.25, proto = "tcp",
      src = "10.0.2.15", src_port = 40000, dst = "192.0.2.7", port = 443,
      name = "www.example.com",
    })
  end,

  dns = function(q)
    return check(q, {
      event = "dns", id = 43, time = 1700000001.5, name = "example.com",
      type = "AAAA", class = "IN", client = "10.0.2.15", proto = "udp",
    })
  end,
}
