-- SPDX-License-Identifier: MIT
-- Proves that sluice is the guest's resolver: rules decide each query,
-- allowed names resolve (synthetic or real addresses) and connect by name,
-- denied names get NXDOMAIN, AAAA gets NODATA, other types pass through,
-- guarded addresses are never dialled, unnamed addresses are denied by
-- name-based rules, and a silent upstream gives SERVFAIL in time.

local e2e = require("spec.support.e2e")
local json = require("dkjson")

local RECORDS = {
  "address=/web.test/127.0.0.1",
  "address=/meta.test/169.254.169.254",
  "address=/denied.test/127.0.0.1",
  "txt-record=t.test,\"hello from txt\"",
  "address=/nx.test/",
}

-- Allow every *.test name but denied.test, and answer fixed.test and
-- gw.test from the rules. Allow connections only to names that passed DNS
-- (c.name set), on the given port.
local function rules_text(port)
  return ([[
local sluice = require "sluice"
return {
  dns = function(q)
    if q.name == "denied.test" then
      return sluice.deny{ reason = "not on the list" }
    end
    if q.name == "fixed.test" then
      return sluice.rewrite{ answer = { "127.0.0.1" }, ttl = 120 }
    end
    if q.name == "gw.test" then
      return sluice.rewrite{ answer = { "10.0.2.2" } }
    end
    if sluice.domain(q.name, "*.test") then
      return sluice.allow()
    end
  end,
  connect = function(c)
    if c.name and sluice.domain(c.name, "*.test") and c.port == %d then
      return sluice.allow()
    end
  end,
}
]]):format(port)
end

local function dig(guest, args)
  return e2e.in_ns(guest.ns, "dig +time=3 +tries=1 @10.0.2.2 " .. args)
end

local function audit_lines(path)
  local lines = {}
  for line in e2e.read(path):gmatch("[^\n]+") do
    lines[#lines + 1] = assert(json.decode(line), line)
  end
  return lines
end

describe("DNS in synthetic mode with rules", function()
  local guest, port, audit

  setup(function()
    e2e.require_root()
    local www = e2e.tmpdir()
    e2e.write(www .. "/index.html", "hello by name\n")
    port = e2e.http_server(www)
    guest = e2e.rules_guest(RECORDS, { ["10-names.lua"] = rules_text(port) })
    audit = guest.audit
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("answers an allowed A query with a pool address (UDP)", function()
    local out = dig(guest, "+short web.test A")
    assert.matches("^198%.1[89]%.%d+%.%d+%s*$", out)
  end)

  it("answers the same pool address over TCP", function()
    local udp = dig(guest, "+short web.test A")
    local tcp = dig(guest, "+short +tcp web.test A")
    assert.equals(udp, tcp)
  end)

  it("answers a denied name with NXDOMAIN", function()
    local out = dig(guest, "denied.test A")
    assert.matches("status: NXDOMAIN", out, 1, true)
  end)

  it("passes an upstream NXDOMAIN for an allowed name on", function()
    local out = dig(guest, "nx.test A")
    assert.matches("status: NXDOMAIN", out, 1, true)
  end)

  it("answers AAAA with NODATA", function()
    local out = dig(guest, "web.test AAAA")
    assert.matches("status: NOERROR", out, 1, true)
    assert.matches("ANSWER: 0,", out, 1, true)
  end)

  it("passes an allowed TXT record through", function()
    local out = dig(guest, "+short t.test TXT")
    assert.matches("\"hello from txt\"", out, 1, true)
  end)

  it("resolves with busybox nslookup", function()
    local out = e2e.in_ns(guest.ns, "busybox nslookup web.test 10.0.2.2")
    assert.matches("198%.1[89]%.", out)
  end)

  it("connects by name, attributing the connection to the name", function()
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://web.test:%d/index.html"):format(port))
    assert.equals(0, status, out)
    assert.equals("hello by name\n", out)
  end)

  it("never dials a name whose address is guarded", function()
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://meta.test:%d/"):format(port))
    assert.equals(7, status, out)
    assert.matches("meta.test at 198%.1[89]%.%d+%.%d+:%d+ refused by the address guard: 169%.254%.169%.254 is link%-local", e2e.read(guest.sluice.log))
  end)

  it("denies a connection to a raw address with no DNS history", function()
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://10.0.2.2:%d/"):format(port))
    assert.equals(7, status, out)
  end)

  it("answers a rewritten name with a pool address that leads to the rule's address", function()
    assert.matches("^198%.1[89]%.%d+%.%d+%s*$", dig(guest, "+short fixed.test A"))
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://fixed.test:%d/index.html"):format(port))
    assert.equals(0, status, out)
    assert.equals("hello by name\n", out)
    out = dig(guest, "fixed.test AAAA")
    assert.matches("status: NOERROR", out, 1, true)
    assert.matches("ANSWER: 0,", out, 1, true)
  end)

  it("does not give a raw address the name a rule rewrote to it", function()
    assert.matches("^198%.1[89]%.", dig(guest, "+short gw.test A"))
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://10.0.2.2:%d/"):format(port))
    assert.equals(7, status, out)
    -- by name, the rewrite to the gateway address reaches the host's loopback
    out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://gw.test:%d/index.html"):format(port))
    assert.equals(0, status, out)
    assert.equals("hello by name\n", out)
  end)

  it("audits each query with name, type, verdict, rule and answer", function()
    e2e.stop(guest.sluice)
    local lines = audit_lines(audit)
    local by_name = {}
    for _, l in ipairs(lines) do
      if l.event == "dns" then
        by_name[l.name .. " " .. l.qtype] = l
      end
    end
    local a = by_name["web.test A"]
    assert.equals("allow", a.verdict)
    assert.matches("^198%.1[89]%.", a.answers[1])
    local fixed = by_name["fixed.test A"]
    assert.equals("rewrite", fixed.verdict)
    assert.matches("^198%.1[89]%.", fixed.answers[1])
    assert.equals(60, fixed.ttl, "the TTL of the pool answer, not the rule's 120")
    local fixed_aaaa = by_name["fixed.test AAAA"]
    assert.equals("rewrite", fixed_aaaa.verdict)
    assert.is_nil(fixed_aaaa.answers)
    assert.is_nil(fixed_aaaa.ttl)
    local denied = by_name["denied.test A"]
    assert.equals("deny", denied.verdict)
    assert.equals("10-names.lua", denied.rule:match("^[^:]+"))
    assert.equals("NXDOMAIN", denied.rcode)
    local named
    for _, l in ipairs(lines) do
      if l.event == "connect" and l.name == "web.test" then named = l end
    end
    assert.is_table(named, "no connect entry attributed to web.test")
    assert.equals("allow", named.verdict)
  end)
end)

describe("DNS over TCP under a SYN flood", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("keeps memory bounded and serves TCP queries again", function()
    e2e.require_root()
    local dir = e2e.tmpdir()
    local resolver = e2e.dnsmasq(dir, RECORDS)
    local guest = e2e.tap_guest("--resolver " .. resolver)
    local function rss_kib()
      return tonumber(e2e.read("/proc/" .. guest.sluice.pid .. "/status")
        :match("VmRSS:%s+(%d+)"))
    end
    local before = rss_kib()
    -- The guest's own kernel answers the SYN-ACKs with RSTs; drop those,
    -- so every half-open connection stays open on sluice's side.
    e2e.must(("ip netns exec %s sh -c \"nft add table ip f && nft add chain "
      .. "ip f o '{ type filter hook output priority 0; }' && nft add rule "
      .. "ip f o tcp flags rst drop\""):format(guest.ns))
    local out, status = e2e.in_ns(guest.ns, ("python3 %s 10.0.2.15 10.0.2.2 53 60000")
      :format(e2e.q(e2e.support .. "syn_flood.py")))
    assert.equals(0, status, out)
    e2e.sleep(1)
    assert.is_true(e2e.alive(guest.sluice))
    -- the listener's backlog keeps half-open connections to a few
    local pcbs = e2e.counters(guest.sluice).lwip_tcp_pcbs
    assert.is_true(pcbs <= 32, pcbs .. " connections held after the flood")
    -- without the backlog, 60,000 SYNs grew RSS by 5.8 MiB; a sanitizer
    -- build keeps freed memory in quarantine, so its RSS says nothing
    if not os.getenv("ASAN_OPTIONS") then
      local grown = rss_kib() - before
      assert.is_true(grown < 2048, "RSS grew by " .. grown .. " KiB")
    end
    -- UDP keeps working meanwhile
    assert.matches("198%.1[89]%.", e2e.in_ns(guest.ns,
      "dig +short +time=3 +tries=1 @10.0.2.2 web.test"))
  end)
end)

describe("DNS with a guarded loopback name", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("never dials 127.0.0.1 without --allow-net", function()
    e2e.require_root()
    local dir = e2e.tmpdir()
    local www = e2e.tmpdir()
    e2e.write(www .. "/index.html", "x\n")
    local port = e2e.http_server(www)
    local resolver = e2e.dnsmasq(dir, RECORDS)
    local guest = e2e.tap_guest("--resolver " .. resolver)
    local out, status = e2e.in_ns(guest.ns, ("curl -sS --max-time 10 "
      .. "http://web.test:%d/"):format(port))
    assert.equals(7, status, out)
    local c = e2e.counters(guest.sluice)
    assert.equals(1, c.tcp_refused_guard)
    assert.equals(0, c.tcp_flows_opened)
  end)
end)

describe("DNS in real mode", function()
  local guest, server, audit

  setup(function()
    e2e.require_root()
    local dir = e2e.tmpdir()
    local www = e2e.tmpdir()
    e2e.write(www .. "/index.html", "real\n")
    server = e2e.server_ns()
    e2e.spawn(("ip netns exec %s busybox httpd -f -p %s:80 -h %s")
      :format(server.ns, server.addr, e2e.q(www)), dir .. "/httpd.log")
    local records = { "address=/far.test/" .. server.addr }
    for _, r in ipairs(RECORDS) do records[#records + 1] = r end
    local resolver = e2e.dnsmasq(dir, records)
    audit = dir .. "/audit.jsonl"
    guest = e2e.tap_guest(("--dns real --resolver %s --allow-net %s/32 "
      .. "--allow-net 127.0.0.1/32 --audit %s"):format(resolver, server.addr,
      e2e.q(audit)))
  end)

  teardown(function()
    e2e.cleanup()
  end)

  it("answers with the real address the guard admits", function()
    assert.equals(server.addr, dig(guest, "+short far.test A"):match("%S+"))
  end)

  it("leaves out a loopback address even where --allow-net admits it", function()
    local out = dig(guest, "web.test A")
    assert.matches("status: NOERROR", out, 1, true)
    assert.matches("ANSWER: 0,", out, 1, true)
    assert.is_true(e2e.counters(guest.sluice).dns_answers_dropped >= 1)
  end)

  it("leaves out an address in a guarded range", function()
    local out = dig(guest, "meta.test A")
    assert.matches("status: NOERROR", out, 1, true)
    assert.matches("ANSWER: 0,", out, 1, true)
  end)

  it("connects by name and attributes the connection", function()
    local out, status = e2e.in_ns(guest.ns, "curl -sS --max-time 10 http://far.test/index.html")
    assert.equals(0, status, out)
    assert.equals("real\n", out)
    e2e.stop(guest.sluice)
    -- without rules there is no decision entry, but the finished flow
    -- carries the name and the address dialled
    local named
    for _, l in ipairs(audit_lines(audit)) do
      if l.event == "flow" and l.dst == server.addr then named = l end
    end
    assert.is_table(named)
    assert.equals("far.test", named.name)
    assert.equals(server.addr, named.upstream)
  end)
end)

describe("DNS with an upstream that never answers", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("gives SERVFAIL within the timeout", function()
    e2e.require_root()
    local dir = e2e.tmpdir()
    -- a UDP socket that receives and never replies
    local silent = e2e.free_port()
    e2e.spawn(("python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,"
      .. "socket.SOCK_DGRAM); s.bind((\"127.0.0.1\",%d)); print(\"ready\", "
      .. "flush=True); time.sleep(60)'"):format(silent), dir .. "/silent.log")
    e2e.wait_for("the silent server", 5, function()
      return e2e.read(dir .. "/silent.log"):find("ready", 1, true)
    end)
    local guest = e2e.tap_guest(("--resolver 127.0.0.1:%d --dns-timeout 2"):format(silent))
    local start = e2e.now()
    local out = e2e.in_ns(guest.ns, "dig +time=8 +tries=1 @10.0.2.2 web.test A")
    local elapsed = e2e.now() - start
    assert.matches("status: SERVFAIL", out, 1, true)
    assert.is_true(elapsed < 4, "SERVFAIL took " .. elapsed .. " s")
    assert.is_true(e2e.counters(guest.sluice).dns_upstream_failures >= 1)
  end)
end)
