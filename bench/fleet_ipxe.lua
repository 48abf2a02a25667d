-- bench/fleet_ipxe.lua: wrk's requests for bench/fleet_ipxe. Each request is
-- GET PATH?mac=PREFIX-xx-xx-xx&uuid=...&buildarch=x86_64&platform=efi, as
-- iPXE's chain line sends it, the MAC cycling over FLEET_MACS machines so no
-- one inventory entry is hot. The requests are formatted once in init():
-- request() only hands out the next string, the same cost for /ipxe and for
-- the static file (whose path ignores the query).
--   FLEET_PATH   /ipxe (default) or a static file's path
--   FLEET_PREFIX the MAC's first three bytes, "52-54-00" (default, the install group)
--   FLEET_MACS   how many machines (default 10000, at most 2^24)
local path = os.getenv("FLEET_PATH") or "/ipxe"
local prefix = os.getenv("FLEET_PREFIX") or "52-54-00"
local macs = tonumber(os.getenv("FLEET_MACS") or "10000")
local requests = {}
local next_index = 1

function init(args)
  for k = 0, macs - 1 do
    local a, b, c = math.floor(k / 65536) % 256, math.floor(k / 256) % 256, k % 256
    local mac = string.format("%s-%02x-%02x-%02x", prefix, a, b, c)
    local uuid = string.format("4c4c4544-0000-1111-2222-%06x%06x", 0x525400, k)
    requests[k + 1] = wrk.format("GET", string.format("%s?mac=%s&uuid=%s&buildarch=x86_64&platform=efi", path, mac, uuid))
  end
  -- wrk's threads start at different machines
  next_index = math.random(macs)
end

function request()
  local r = requests[next_index]
  next_index = next_index % macs + 1
  return r
end
