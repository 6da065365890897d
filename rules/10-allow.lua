-- SPDX-License-Identifier: MIT
-- The allow list: names the guest may resolve and reach over HTTP(S), plus two services by address.
--
-- A name has to pass the dns handler before the guest gets an address for
-- it, so c.name is set in the connect handler for every allowed name. The
-- tls handler decrypts (intercepts) allowed names so that their requests
-- reach the http handler.

local sluice = require "sluice"

local allowed_names = sluice.domains{
  "example.com", "*.example.com", -- the project's own services
  "deb.example.net",              -- package mirror
}
local web_ports = sluice.ports(80, 443)

-- The gateway address: a connection to it reaches the host's loopback on the
-- same port, but only when the operator also allows loopback on sluice's
-- command line. This rule only admits port 8080 (a local API server).
local gateway = sluice.cidr("10.0.2.2")

-- A build cache addressed by IP on a documentation network, ports 8000-8099.
local build_cache = sluice.cidr("198.51.100.0/24")
local build_cache_ports = sluice.ports("8000-8099")

return {
  dns = function(q)
    -- Every query type: a denied query gets NXDOMAIN, which a resolver may
    -- remember as "this name does not exist" for its other types too.
    if allowed_names:match(q.name) then
      return sluice.allow()
    end
  end,

  connect = function(c)
    if c.proto ~= "tcp" then
      return nil
    end
    if allowed_names:match(c.name) and web_ports:contains(c.port) then
      return sluice.allow()
    end
    if gateway:contains(c.dst) and c.port == 8080 then
      return sluice.allow{ reason = "host API server" }
    end
    if build_cache:contains(c.dst) and build_cache_ports:contains(c.port) then
      return sluice.allow{ reason = "build cache" }
    end
  end,

  -- A scoped handler: sluice calls it only for connections whose name is
  -- in allowed_names, so it needs no test of its own.
  tls = {
    names = allowed_names,
    handler = function(t)
      return sluice.intercept()
    end,
  },

  http = function(req)
    if allowed_names:match(req.host) then
      return sluice.allow()
    end
  end,
}
