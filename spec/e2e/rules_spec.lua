-- SPDX-License-Identifier: MIT
-- Proves that Lua rules decide the connections of a namespace guest: an
-- allowed port connects and a denied one is refused, a reload during a
-- download does not break it, a broken edit keeps the old rules, a fixed
-- edit applies, a runaway rule fails closed while other flows go on, the
-- audit log is reopened on SIGHUP and holds one entry per decision after
-- SIGTERM.

local e2e = require("spec.support.e2e")
local json = require("dkjson")

-- Port LOOP_PORT runs into an endless loop, to check that the instruction
-- budget fails it closed while other flows go on.
local LOOP_PORT = 9

local function rules_text(allow_port, deny_port)
  return ([[
local sluice = require "sluice"
return {
  connect = function(c)
    if c.port == %d then return sluice.allow() end
    if c.port == %d then return sluice.deny{ reason = "port %d is closed" } end
    if c.port == %d then
      while true do end
    end
  end,
}
]]):format(allow_port, deny_port, deny_port, LOOP_PORT)
end

local function audit_lines(path)
  local lines = {}
  for line in e2e.read(path):gmatch("[^\n]+") do
    local obj, _, err = json.decode(line)
    assert(obj, "invalid JSON in the audit log: " .. tostring(err) .. ": " .. line)
    lines[#lines + 1] = obj
  end
  return lines
end

local function connects(lines, port)
  local found = {}
  for _, l in ipairs(lines) do
    if l.event == "connect" and l.port == port then found[#found + 1] = l end
  end
  return found
end

describe("rules deciding a namespace guest's connections", function()
  local guest, rules, audit, www, port_a, port_b

  local function curl(port, path, extra)
    return e2e.in_ns(guest.ns, ("curl -sS -o /dev/null -w '%%{http_code}' "
      .. "--max-time 30 %s http://10.0.2.2:%d/%s"):format(extra or "", port, path or ""))
  end

  local function wait_generation(n)
    e2e.wait_for("rules generation " .. n, 10, function()
      return e2e.read(guest.sluice.log):find("generation " .. n .. " loaded", 1, true)
    end)
  end

  setup(function()
    e2e.require_root()
    rules = e2e.tmpdir()
    www = e2e.tmpdir()
    e2e.must("head -c 60000000 /dev/urandom > " .. e2e.q(www .. "/big.bin"))
    e2e.write(www .. "/index.html", "ok\n")
    port_a = e2e.http_server(www)
    port_b = e2e.http_server(www)
    e2e.write(rules .. "/10-ports.lua", rules_text(port_a, port_b))
    audit = rules .. "/../audit-" .. port_a .. ".jsonl"
    guest = e2e.tap_guest(("--allow-net 127.0.0.1/32 --rules %s --audit %s")
      :format(e2e.q(rules), e2e.q(audit)))
  end)

  teardown(function()
    os.remove(audit)
    e2e.cleanup()
  end)

  it("allows the allowed port and refuses the denied one", function()
    local out, status = curl(port_a, "index.html")
    assert.equals(0, status, out)
    assert.equals("200", out)
    out, status = curl(port_b, "index.html")
    assert.equals(7, status, out)
  end)

  it("keeps a running download alive across a reload that denies it", function()
    local sum = e2e.must("sha256sum " .. e2e.q(www .. "/big.bin")):match("^(%x+)")
    local got = guest.dir .. "/big.got"
    local dl = e2e.spawn(("ip netns exec %s curl -sS --limit-rate 15M -o %s "
      .. "http://10.0.2.2:%d/big.bin"):format(guest.ns, e2e.q(got), port_a),
      guest.dir .. "/curl.log")
    e2e.sleep(1)
    -- generation 2 denies port A for new connections
    e2e.write(rules .. "/10-ports.lua", rules_text(port_b, port_a))
    wait_generation(2)
    local out, status = curl(port_a, "index.html")
    assert.equals(7, status, "a new connection to port A must be denied: " .. out)
    e2e.wait_for("the download", 60, function() return not e2e.alive(dl) end)
    assert.equals("", e2e.read(dl.log))
    assert.equals(sum, e2e.must("sha256sum " .. e2e.q(got)):match("^(%x+)"))
  end)

  it("keeps the old rules after a broken edit and logs file:line", function()
    e2e.write(rules .. "/10-ports.lua", "return {\n  connect = function(c)\n    if then\n")
    e2e.wait_for("the reload error", 10, function()
      return e2e.read(guest.sluice.log):find("reload after .* failed")
    end)
    local log = e2e.read(guest.sluice.log)
    assert.matches("10%-ports%.lua:3:", log)
    -- generation 2 is still in force: port B allowed, port A denied
    local out, status = curl(port_b, "index.html")
    assert.equals(0, status, out)
    out, status = curl(port_a, "index.html")
    assert.equals(7, status, out)
  end)

  it("applies a fixed edit", function()
    e2e.write(rules .. "/10-ports.lua", rules_text(port_a, port_b))
    wait_generation(3)
    local out, status = curl(port_a, "index.html")
    assert.equals(0, status, out)
  end)

  it("fails a runaway rule closed while a download goes on", function()
    local sum = e2e.must("sha256sum " .. e2e.q(www .. "/big.bin")):match("^(%x+)")
    local got = guest.dir .. "/big2.got"
    local dl = e2e.spawn(("ip netns exec %s curl -sS --limit-rate 30M -o %s "
      .. "http://10.0.2.2:%d/big.bin"):format(guest.ns, e2e.q(got), port_a),
      guest.dir .. "/curl2.log")
    e2e.sleep(0.5)
    local start = e2e.now()
    local out, status = curl(LOOP_PORT, "")
    assert.equals(7, status, out)
    assert.is_true(e2e.now() - start < 2, "the runaway rule took too long")
    e2e.wait_for("the download", 60, function() return not e2e.alive(dl) end)
    assert.equals(sum, e2e.must("sha256sum " .. e2e.q(got)):match("^(%x+)"))
  end)

  it("counts hits and errors per rule on SIGUSR1", function()
    local before = #e2e.read(guest.sluice.log)
    os.execute("kill -USR1 " .. guest.sluice.pid)
    local text
    e2e.wait_for("the rule counters", 5, function()
      text = e2e.read(guest.sluice.log):sub(before + 1)
      return text:find("rule 10%-ports%.lua:%d+ +hits +%d+")
    end)
    assert.matches("1 failed closed %(0 rule errors, 1 out of budget, 0 over the memory limit%)", text)
    assert.matches("policy_budget_exhausted +1 +#", text)
    assert.matches("%d+ by the default verdict", text)
    assert.matches("rule 10%-ports%.lua:3 +hits +%d+ +errors +1", text)
  end)

  it("reopens the audit log on SIGHUP and keeps unchanged rules", function()
    assert(os.rename(audit, audit .. ".1"))
    os.execute("kill -HUP " .. guest.sluice.pid)
    e2e.wait_for("the reload after SIGHUP", 10, function()
      return e2e.read(guest.sluice.log):find("unchanged after SIGHUP, generation 3 stays", 1, true)
    end)
    e2e.wait_for("the reopened audit log", 5, function()
      return e2e.read(audit):find('"event":"reload","generation":3,"ok":true', 1, true)
    end)
  end)

  it("writes one audit entry per decision, all there after SIGTERM", function()
    local pid = guest.sluice.pid
    e2e.stop(guest.sluice)
    local lines = audit_lines(audit .. ".1")
    for _, l in ipairs(audit_lines(audit)) do lines[#lines + 1] = l end
    -- connections to port A: allowed, download, denied after reload,
    -- denied during the broken edit, allowed after the fix, second
    -- download
    local a = connects(lines, port_a)
    local b = connects(lines, port_b)
    local loop = connects(lines, LOOP_PORT)
    assert.equals(6, #a)
    assert.equals(2, #b)
    assert.equals(1, #loop)
    local verdicts = {}
    for _, l in ipairs(a) do verdicts[#verdicts + 1] = l.verdict end
    assert.same({ "allow", "allow", "deny", "deny", "allow", "allow" }, verdicts)
    assert.equals("deny", loop[1].verdict)
    assert.matches("^10%-ports%.lua:%d+: instruction budget", loop[1].error)
    assert.equals("10-ports.lua", a[3].rule:match("^[^:]+"))
    assert.equals("port " .. port_a .. " is closed", a[3].reason)
    local ids = {}
    for _, l in ipairs(lines) do
      if l.event == "connect" then
        assert.is_nil(ids[l.id], "duplicate decision for id " .. l.id)
        ids[l.id] = true
      end
    end
    -- every allowed flow has its finished-flow entry with byte counts
    local flows = 0
    for _, l in ipairs(lines) do
      if l.event == "flow" then
        flows = flows + 1
        assert.is_true(ids[l.id], "flow entry without a decision")
        assert.is_number(l.bytes_to_guest)
      end
    end
    assert.equals(5, flows)
    local reloads = 0
    for _, l in ipairs(lines) do
      if l.event == "reload" then reloads = reloads + 1 end
    end
    assert.equals(5, reloads) -- start, edit, broken edit, fix, SIGHUP
    -- the run is framed by a start and a stop line
    assert.equals("start", lines[1].event)
    assert.equals(pid, lines[1].pid)
    assert.equals("stop", lines[#lines].event)
    assert.equals(pid, lines[#lines].pid)
  end)
end)
