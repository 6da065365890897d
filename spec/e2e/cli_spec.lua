-- SPDX-License-Identifier: MIT
-- Proves that the command line fails with exit status 2 and a message
-- naming the option, that a link that cannot open exits 1, that SIGTERM
-- and SIGINT shut down cleanly with status 0, and that sluice check
-- reports a rules directory's errors with file:line.

local e2e = require("spec.support.e2e")

local function run(args)
  return e2e.sh(e2e.sluice .. " " .. args .. " 2>&1")
end

describe("sluice command line", function()
  teardown(function()
    e2e.cleanup()
  end)

  it("prints help with every option and exits 0", function()
    local out, status = run("--help")
    assert.equals(0, status)
    for _, opt in ipairs({ "--stream-listen", "--stream-connect", "--dgram",
        "--tap", "--mtu", "--allow-net", "--rules", "--audit", "--dns",
        "--resolver", "--pcap", "--max-tcp-flows", "--log-level" }) do
      assert.matches(opt, out, 1, true)
    end
    assert.matches("Exit status", out, 1, true)
  end)

  it("rejects an unknown option with status 2", function()
    local out, status = run("--tap x --no-such-option")
    assert.equals(2, status)
    assert.matches("no-such-option", out, 1, true)
  end)

  it("names the option and the expected range for a bad value", function()
    local out, status = run("--tap x --mtu 100")
    assert.equals(2, status)
    assert.matches("invalid value '100' for --mtu: expected an integer from 576 to 65520", out, 1, true)
  end)

  it("rejects an --allow-net range with host bits set", function()
    local out, status = run("--tap x --allow-net 10.1.2.3/8")
    assert.equals(2, status)
    assert.matches("write 10.0.0.0/8 for the whole network", out, 1, true)
  end)

  it("rejects a resolver that is not a numeric address", function()
    local out, status = run("--tap x --resolver dns.example")
    assert.equals(2, status)
    assert.matches("invalid value 'dns.example' for --resolver", out, 1, true)
  end)

  it("rejects --net and --dns-pool with host bits set", function()
    local out, status = run("--tap x --net 10.0.2.1/24")
    assert.equals(2, status)
    assert.matches("write 10.0.2.0/24 for the whole network", out, 1, true)
    out, status = run("--tap x --dns-pool 198.18.0.1/15")
    assert.equals(2, status)
    assert.matches("write 198.18.0.0/15 for the whole network", out, 1, true)
  end)

  it("rejects a synthetic pool the guest cannot use", function()
    for _, pool in ipairs({ "127.0.0.0/8", "224.0.0.0/24", "0.0.0.0/8" }) do
      local out, status = run("--tap x --dns-pool " .. pool)
      assert.equals(2, status, pool)
      assert.matches("--dns-pool must not be in", out, 1, true)
    end
    local out, status = run("--tap x --dns-pool 198.18.0.0/31")
    assert.equals(2, status)
    assert.matches("--dns-pool needs a prefix from /8 to /30", out, 1, true)
  end)

  it("rejects invalid --resolver lists", function()
    local out, status = run("--tap x --resolver 127.0.0.1:5353 --resolver 127.0.0.2")
    assert.equals(2, status)
    assert.matches("--resolver given twice", out, 1, true)
    assert.matches("--resolver 127.0.0.1:5353,127.0.0.2", out, 1, true)
    out, status = run("--tap x --resolver 127.0.0.1,")
    assert.equals(2, status)
    assert.matches("invalid value '127.0.0.1,' for --resolver", out, 1, true)
    out, status = run("--tap x --resolver 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5")
    assert.equals(2, status)
    assert.matches("--resolver takes at most 4 servers", out, 1, true)
    out, status = run("--tap x --resolver 127.0.0.1:99999")
    assert.equals(2, status)
    assert.matches("a port from 1 to 65535", out, 1, true)
  end)

  it("rejects a synthetic pool that overlaps the guest network", function()
    local out, status = run("--tap x --dns-pool 10.0.0.0/8")
    assert.equals(2, status)
    assert.matches("--dns-pool must not overlap --net", out, 1, true)
  end)

  it("requires exactly one link", function()
    local out, status = run("")
    assert.equals(2, status)
    assert.matches("a guest link option is required", out, 1, true)
    out, status = run("--tap a --dgram /tmp/b")
    assert.equals(2, status)
    assert.matches("only one guest link", out, 1, true)
  end)

  it("exits 1 when the link cannot be opened", function()
    e2e.require_root()
    local out, status = run("--stream-listen /nonexistent-dir/sluice.sock")
    assert.equals(1, status)
    assert.matches("cannot open link /nonexistent%-dir/sluice.sock", out)
  end)

  for _, sig in ipairs({ "TERM", "INT" }) do
    it("shuts down cleanly on SIG" .. sig, function()
      e2e.require_root()
      local dir = e2e.tmpdir()
      local proc = e2e.start_sluice("--stream-listen " .. dir .. "/s.sock", "", dir)
      local pid = proc.pid
      -- wait for the exit through a shell that reports the status
      local out = e2e.must(("kill -%s %d; for i in $(seq 50); do kill -0 %d 2>/dev/null "
        .. "|| break; sleep 0.1; done; kill -0 %d 2>/dev/null && echo still-running; true")
        :format(sig, pid, pid, pid))
      assert.equals("", out)
      proc.pid = nil
      local log = e2e.read(proc.log)
      assert.matches("shutting down", log, 1, true)
      assert.matches("stopped", log, 1, true)
    end)
  end

  it("checks a good rules directory with status 0", function()
    local out, status = run("check " .. e2e.q(e2e.root .. "rules"))
    assert.equals(0, status, out)
    assert.matches("00-base.lua", out, 1, true)
    assert.matches("ok (default deny)", out, 1, true)
  end)

  it("reports a broken rules directory with file:line and status 1", function()
    local dir = e2e.tmpdir()
    e2e.write(dir .. "/10-bad.lua", "return {\n  connect = function(c)\n    return 42\n")
    local out, status = run("check " .. e2e.q(dir))
    assert.equals(1, status)
    assert.matches(dir .. "/10-bad.lua:", out, 1, true)
    assert.matches("10%-bad%.lua:%d+:", out)
  end)

  it("warns about a rules directory without rule files", function()
    local dir = e2e.tmpdir()
    local out, status = run("check " .. e2e.q(dir))
    assert.equals(0, status, out)
    assert.matches("warning: no rule files (*.lua) in " .. dir, out, 1, true)
    assert.matches("ok (default deny)", out, 1, true)
  end)
end)
