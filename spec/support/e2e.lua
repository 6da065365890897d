-- SPDX-License-Identifier: MIT
-- spec/support/e2e.lua - helpers for end-to-end specs: processes, network
-- namespaces, TAP links and servers on the host's loopback.
--
-- Every namespace, TAP device and process a spec creates is registered and
-- removed by e2e.cleanup(), which specs call from after_each/teardown.
-- Traffic goes only to the host's loopback and to namespaces made here.

local e2e = {}

local function script_dir()
  local src = debug.getinfo(1, "S").source:sub(2)
  return src:match("(.*/)") or "./"
end

e2e.support = script_dir()
e2e.root = e2e.support:gsub("spec/support/$", "")
if e2e.root == "" then e2e.root = "./" end
e2e.build = os.getenv("SLUICE_BUILD") or (e2e.root .. "build")
e2e.sluice = e2e.build .. "/core/sluice"
e2e.tapbridge = e2e.build .. "/sluice-tapbridge"

local resources = {}   -- cleanup actions, newest first
local counter = 0

---Quote a string for the shell.
---@param s string
---@return string
function e2e.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

---Run a shell command and return its output and exit status.
---@param cmd string
---@return string output, integer status
function e2e.sh(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"__status=$?\"", "r"))
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("__status=(%d+)%s*$"))
  out = out:gsub("__status=%d+%s*$", "")
  return out, status
end

---Run a command that must succeed; raise with its output otherwise.
---@param cmd string
---@return string output
function e2e.must(cmd)
  local out, status = e2e.sh(cmd)
  if status ~= 0 then
    error(("command failed (exit %d): %s\n%s"):format(status, cmd, out), 2)
  end
  return out
end

---Seconds since the epoch, with sub-second precision.
---@return number
function e2e.now()
  local out = e2e.sh("date +%s.%N")
  return tonumber(out) or os.time()
end

function e2e.sleep(seconds)
  os.execute("sleep " .. seconds)
end

---Poll until fn() returns a true value or the timeout passes.
---@param what string description for the error
---@param timeout number seconds
---@param fn fun(): any
---@return any
function e2e.wait_for(what, timeout, fn)
  local deadline = e2e.now() + timeout
  repeat
    local v = fn()
    if v then return v end
    e2e.sleep(0.1)
  until e2e.now() > deadline
  error("timed out after " .. timeout .. " s waiting for " .. what, 2)
end

---A unique short name (TAP device names are limited to 15 bytes).
---@param prefix string
---@return string
function e2e.name(prefix)
  counter = counter + 1
  local pid = e2e.sh("echo $PPID"):match("%d+") or "0"
  return ("%s%s%d"):format(prefix, pid:sub(-4), counter)
end

local function on_cleanup(fn)
  table.insert(resources, 1, fn)
end

local sanitizer_reports = {}

-- Remember a sanitizer report in a stopped sluice's log, for cleanup().
local function scan_sanitizer_report(proc)
  local text = e2e.read(proc.log)
  local report = text:match("[^\n]*ERROR: AddressSanitizer[^\n]*")
    or text:match("[^\n]*ERROR: LeakSanitizer[^\n]*")
    or text:match("[^\n]*runtime error:[^\n]*")
  if report then
    sanitizer_reports[#sanitizer_reports + 1] = proc.log .. ": " .. report
  end
end

---Remove everything the spec created, newest first. Raises an error if a
---sanitizer build of sluice reported a problem in its log meanwhile.
function e2e.cleanup()
  local list = resources
  resources = {}
  for _, fn in ipairs(list) do pcall(fn) end

  local reports = sanitizer_reports
  sanitizer_reports = {}
  if #reports > 0 then
    error("sanitizer report from sluice:\n" .. table.concat(reports, "\n"), 2)
  end
end

---Make a temporary directory that cleanup removes.
---@return string path
function e2e.tmpdir()
  local dir = e2e.must("mktemp -d /tmp/sluice-e2e.XXXXXX"):gsub("%s+$", "")
  on_cleanup(function() os.execute("rm -rf " .. e2e.q(dir)) end)
  return dir
end

---Start a background process; cleanup stops it.
---@param cmd string shell command
---@param log string file for its stdout and stderr
---@return table proc {pid=, log=}
function e2e.spawn(cmd, log)
  local out = e2e.must(("setsid sh -c %s >%s 2>&1 </dev/null & echo $!")
    :format(e2e.q("exec " .. cmd), e2e.q(log)))
  local proc = { pid = tonumber(out:match("%d+")), log = log }
  on_cleanup(function() e2e.stop(proc) end)
  return proc
end

---Whether a spawned process is still running.
function e2e.alive(proc)
  local _, status = e2e.sh("kill -0 " .. proc.pid)
  return status == 0
end

---Send SIGTERM, wait up to 5 s, then SIGKILL. Returns the log text.
---@return string log
function e2e.stop(proc)
  if proc.pid and e2e.alive(proc) then
    os.execute("kill -TERM " .. proc.pid)
    local deadline = e2e.now() + 5
    while e2e.alive(proc) and e2e.now() < deadline do e2e.sleep(0.05) end
    if e2e.alive(proc) then os.execute("kill -KILL " .. proc.pid) end
  end
  proc.pid = nil
  if proc.sluice then scan_sanitizer_report(proc) end
  return e2e.read(proc.log)
end

---The whole content of a file, or "" if it does not exist.
function e2e.read(path)
  local f = io.open(path, "r")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function e2e.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

---Fail loudly unless the suite runs as root: namespaces and TAP devices
---need it, and the end-to-end specs must never be skipped silently.
function e2e.require_root()
  local uid = e2e.sh("id -u"):match("%d+")
  if uid ~= "0" then
    error("end-to-end specs need root (network namespaces, TAP devices); "
      .. "run tools/test as root", 2)
  end
  for _, bin in ipairs({ e2e.sluice, e2e.tapbridge }) do
    local _, status = e2e.sh("test -x " .. e2e.q(bin))
    if status ~= 0 then
      error(bin .. " is missing: build first (tools/test does)", 2)
    end
  end
end

---Create a network namespace with loopback up, whose resolv.conf names
---the gateway as DNS server; cleanup deletes both.
---@return string name
function e2e.netns()
  local ns = e2e.name("sle")
  e2e.must("ip netns add " .. ns)
  on_cleanup(function()
    os.execute("ip netns del " .. ns .. " 2>/dev/null")
    os.execute("rm -rf /etc/netns/" .. ns)
  end)
  e2e.must("mkdir -p /etc/netns/" .. ns)
  e2e.write("/etc/netns/" .. ns .. "/resolv.conf", "nameserver 10.0.2.2\n")
  e2e.must("ip netns exec " .. ns .. " ip link set lo up")
  return ns
end

---A server host in its own namespace, reached from the root namespace
---(where sluice runs) through a veth pair on a /30 of 10.231.0.0/16.
---@return table server {ns=, addr=} with the server's address
function e2e.server_ns()
  local ns = e2e.netns()
  counter = counter + 1
  local pid = tonumber((e2e.sh("echo $PPID"):match("%d+"))) or 0
  local net = ("10.231.%d."):format((pid + counter) % 250)
  local outer, inner = e2e.name("svh"), e2e.name("svn")
  e2e.must(("ip link add %s type veth peer name %s"):format(outer, inner))
  on_cleanup(function() os.execute("ip link del " .. outer .. " 2>/dev/null") end)
  e2e.must(("ip link set %s netns %s"):format(inner, ns))
  e2e.must(("ip addr add %s1/30 dev %s && ip link set %s up"):format(net, outer, outer))
  e2e.must(("ip netns exec %s sh -c 'ip addr add %s2/30 dev %s && ip link set %s up'")
    :format(ns, net, inner, inner))
  return { ns = ns, addr = net .. "2" }
end

---Start dnsmasq on 127.0.0.1 as sluice's upstream resolver, answering only
---from the given lines of its configuration (address=, txt-record=, ...).
---@param dir string directory for its configuration and log
---@param records string[] dnsmasq configuration lines
---@return string resolver "127.0.0.1:PORT" for --resolver
function e2e.dnsmasq(dir, records)
  local port = e2e.free_port()
  local conf = dir .. "/dnsmasq.conf"
  e2e.write(conf, table.concat({
    "no-resolv", "no-hosts", "bind-interfaces", "listen-address=127.0.0.1",
    "port=" .. port, "log-queries", table.concat(records, "\n"),
  }, "\n") .. "\n")
  e2e.spawn(("dnsmasq --keep-in-foreground --log-facility=- --conf-file=%s "
    .. "--pid-file=%s/dnsmasq.pid"):format(e2e.q(conf), e2e.q(dir)),
    dir .. "/dnsmasq.log")
  e2e.wait_for("dnsmasq on port " .. port, 10, function()
    local out = e2e.sh(("dig +short +time=1 +tries=1 @127.0.0.1 -p %d "
      .. "ready.invalid"):format(port))
    return e2e.read(dir .. "/dnsmasq.log"):find("query", 1, true) and out
  end)
  return "127.0.0.1:" .. port
end

---Run a command inside a namespace.
function e2e.in_ns(ns, cmd)
  return e2e.sh("ip netns exec " .. ns .. " sh -c " .. e2e.q(cmd))
end

---Start sluice; returns its process with .log. Extra arguments are a
---string appended to the command line.
---@param link string link options, e.g. "--tap sl0"
---@param args string|nil further options
---@param dir string directory for the log
function e2e.start_sluice(link, args, dir)
  local log = dir .. "/sluice.log"
  local proc = e2e.spawn(("%s %s %s"):format(e2e.sluice, link, args or ""), log)
  proc.sluice = true
  e2e.wait_for("sluice to start", 10, function()
    return e2e.read(log):find("running", 1, true) or not e2e.alive(proc)
  end)
  assert(e2e.alive(proc), "sluice exited at start:\n" .. e2e.read(log))
  return proc
end

---Wait until a network interface exists in the root namespace.
function e2e.wait_link(dev)
  e2e.wait_for("interface " .. dev, 10, function()
    local _, status = e2e.sh("ip link show " .. dev .. " >/dev/null")
    return status == 0
  end)
end

---Move a TAP device into a namespace, bring it up and run udhcpc there.
---Returns the lease line printed by the udhcpc script.
---@return string lease "ip=... router=... dns=... mtu=..."
function e2e.guest_dhcp(ns, dev)
  e2e.wait_link(dev)
  e2e.must(("ip link set %s netns %s"):format(dev, ns))
  e2e.must(("ip netns exec %s ip link set %s up"):format(ns, dev))
  local out = e2e.must(("ip netns exec %s busybox udhcpc -i %s -q -f -n -t 5 "
    .. "-T 1 -O mtu -s %s"):format(ns, dev, e2e.q(e2e.root .. "tools/udhcpc-script")))
  return out:match("SLUICE%-LEASE ([^\n]*)") or error("no lease:\n" .. out)
end

---A guest namespace behind sluice on a TAP link, with a lease.
---@return table guest {ns=, dev=, sluice=, lease=, dir=}
function e2e.tap_guest(args)
  local dir = e2e.tmpdir()
  local dev = e2e.name("slt")
  local ns = e2e.netns()
  local sluice = e2e.start_sluice("--tap " .. dev, args, dir)
  local lease = e2e.guest_dhcp(ns, dev)
  return { ns = ns, dev = dev, sluice = sluice, lease = lease, dir = dir }
end

---A guest namespace behind sluice on a TAP link, with rules and DNS names:
---sluice queries dnsmasq (answering records) upstream, decides with the rule
---files given as { ["10-a.lua"] = text }, writes an audit log and exempts
---127.0.0.1 from the address guard.
---@param records string[] dnsmasq configuration lines, as for e2e.dnsmasq()
---@param files table<string, string> rule file name -> text
---@return table guest as from e2e.tap_guest(), with .audit, the audit log's path
function e2e.rules_guest(records, files)
  local dir = e2e.tmpdir()
  local resolver = e2e.dnsmasq(dir, records)
  local rules = e2e.tmpdir()
  for name, text in pairs(files) do
    e2e.write(rules .. "/" .. name, text)
  end
  local audit = dir .. "/audit.jsonl"
  local guest = e2e.tap_guest(("--resolver %s --rules %s --audit %s "
    .. "--allow-net 127.0.0.1/32"):format(resolver, e2e.q(rules), e2e.q(audit)))
  guest.audit = audit
  return guest
end

---A guest namespace behind sluice on a stream link, through tapbridge.
function e2e.stream_guest(args)
  local dir = e2e.tmpdir()
  local dev = e2e.name("slb")
  local ns = e2e.netns()
  local sock = dir .. "/sluice.sock"
  local sluice = e2e.start_sluice("--stream-listen " .. sock, args, dir)
  local bridge = e2e.spawn(("%s %s %s"):format(e2e.tapbridge, dev, sock),
    dir .. "/bridge.log")
  local lease = e2e.guest_dhcp(ns, dev)
  return { ns = ns, dev = dev, sluice = sluice, bridge = bridge,
           lease = lease, dir = dir, sock = sock }
end

---A free TCP port on the host's loopback (free when checked).
function e2e.free_port()
  local out = e2e.must("python3 -c 'import socket; s=socket.socket(); "
    .. "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'")
  return tonumber(out:match("%d+"))
end

---Serve a directory over HTTP on 127.0.0.1 with busybox httpd.
---@return integer port
function e2e.http_server(root)
  local port = e2e.free_port()
  e2e.spawn(("busybox httpd -f -p 127.0.0.1:%d -h %s"):format(port, e2e.q(root)),
    root .. "/../httpd-" .. port .. ".log")
  e2e.wait_for("httpd on port " .. port, 10, function()
    return e2e.port_open(port)
  end)
  return port
end

---Whether something accepts TCP connections on 127.0.0.1:port.
function e2e.port_open(port)
  local _, status = e2e.sh(("bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d'"):format(port))
  return status == 0
end

---Start a Python helper server on 127.0.0.1: a script in spec/support, or
---a path relative to the repository root when it contains a slash.
---@return integer port
function e2e.helper_server(script, dir, extra)
  local port = e2e.free_port()
  local path = script:find("/", 1, true) and e2e.root .. script or e2e.support .. script
  local log = dir .. "/" .. script:gsub(".*/", "") .. ".log"
  e2e.spawn(("python3 %s %d %s"):format(e2e.q(path), port, extra or ""), log)
  e2e.wait_for(script .. " on port " .. port, 10, function()
    return e2e.read(log):find("ready", 1, true)
  end)
  return port
end

---Counters that sluice prints on SIGUSR1, as a table name -> number.
function e2e.counters(proc)
  local before = #e2e.read(proc.log)
  os.execute("kill -USR1 " .. proc.pid)
  local text
  e2e.wait_for("counters", 5, function()
    text = e2e.read(proc.log):sub(before + 1)
    return text:find("lwip_tcp_pcbs", 1, true) -- printed after the counters
  end)
  local t = {}
  for name, value in text:gmatch("([%w_]+)%s+(%d+)%s+#") do
    t[name] = tonumber(value)
  end
  return t
end

return e2e
