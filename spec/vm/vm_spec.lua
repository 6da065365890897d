-- SPDX-License-Identifier: MIT
-- Proves that a real QEMU guest wired to sluice through -netdev stream and
-- -netdev dgram gets its lease and downloads a file from a host server
-- byte-exact, by address and by a name that sluice resolves.

local e2e = require("spec.support.e2e")

local VM_RUN = e2e.root .. "tools/vm/run"

---Boot the test VM on a link to sluice and run a guest script; returns the
---console log and the exit status of tools/vm/run.
local function run_vm(dir, netdev, sock, script)
  local script_path = dir .. "/guest.sh"
  local log = dir .. "/console-" .. netdev .. ".log"
  e2e.write(script_path, script)
  local peer = netdev == "dgram" and (" --peer-socket " .. e2e.q(dir .. "/qemu.sock")) or ""
  local out, status = e2e.sh(("%s --netdev %s --socket %s%s --timeout 180 --log %s %s")
    :format(e2e.q(VM_RUN), netdev, e2e.q(sock), peer, e2e.q(log), e2e.q(script_path)))
  return e2e.read(log), status, out
end

describe("a QEMU guest behind sluice", function()
  local www, port, sum

  setup(function()
    e2e.require_root()
    local _, status = e2e.sh("test -f " .. e2e.q(e2e.root .. "tools/vm/out/initramfs.cpio.gz"))
    assert(status == 0, "the VM image is missing: run tools/vm/build (tools/test does)")
    www = e2e.tmpdir()
    e2e.must("head -c 20000000 /dev/urandom > " .. e2e.q(www .. "/file.bin"))
    sum = e2e.must("sha256sum " .. e2e.q(www .. "/file.bin")):match("^(%x+)")
    port = e2e.http_server(www)
  end)

  teardown(function()
    e2e.cleanup()
  end)

  local script = [[
wget -q -O /tmp/file.bin http://10.0.2.2:%d/file.bin || exit 3
echo "GUEST-SHA $(sha256sum /tmp/file.bin | cut -d' ' -f1)"
]]

  it("resolves a name through sluice and downloads by name", function()
    local dir = e2e.tmpdir()
    local sock = dir .. "/sluice.sock"
    local resolver = e2e.dnsmasq(dir, { "address=/files.test/127.0.0.1" })
    local sluice = e2e.start_sluice("--stream-listen " .. e2e.q(sock),
      "--allow-net 127.0.0.1/32 --resolver " .. resolver, dir)
    local console, status, out = run_vm(dir, "stream", sock, ([[
nslookup files.test || exit 4
wget -q -O /tmp/file.bin http://files.test:%d/file.bin || exit 3
echo "GUEST-SHA $(sha256sum /tmp/file.bin | cut -d' ' -f1)"
]]):format(port))
    assert.equals(0, status, out .. "\n" .. console)
    assert.matches("Address: 198%.1[89]%.", console)
    assert.equals(sum, console:match("GUEST%-SHA (%x+)"))
    assert.is_true(e2e.alive(sluice))
  end)

  for _, netdev in ipairs({ "stream", "dgram" }) do
    it("leases an address and downloads 20 MB over -netdev " .. netdev, function()
      local dir = e2e.tmpdir()
      local sock = dir .. "/sluice.sock"
      local link = netdev == "stream" and "--stream-listen " or "--dgram "
      local sluice = e2e.start_sluice(link .. e2e.q(sock), "--allow-net 127.0.0.1/32", dir)
      local console, status, out = run_vm(dir, netdev, sock, script:format(port))
      assert.equals(0, status, out .. "\n" .. console)
      assert.matches("SLUICE-LEASE ip=10.0.2.15 router=10.0.2.2 dns=10.0.2.2 mtu=65520",
        console, 1, true)
      assert.equals(sum, console:match("GUEST%-SHA (%x+)"))
      assert.is_true(e2e.alive(sluice))
    end)
  end
end)
