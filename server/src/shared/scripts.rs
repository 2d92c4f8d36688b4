//! The Lua scripts: every decision that must hold across instances, taken atomically in Redis
//! on Redis's clock (`TIME`). Each says which keys ([`super::keys`]) and arguments it takes and
//! what it answers; the facility that runs it is named above each group.

// The budget's call log (`super::call_log`).

/// KEYS slots, pause, marker, lost; ARGV limit, spacing ms, max wait ms, calls.
/// Returns {1, pause left, lost, wait 1, ..., wait n} or {0, wait until the last would be free,
/// pause left, lost}; `lost` is 1 while a pause for a lost log runs.
///
/// The marker holds until when the log must exist (the last reserved start plus a window),
/// written with the log and never expiring. Missing (Redis flushed or restarted empty: an
/// instance writes it when it connects), or ahead of a log that is gone (evicted, a lagging
/// replica), the log was lost, and whoever calls first pauses everyone for a window.
pub const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local calls = tonumber(ARGV[4])
local must = tonumber(redis.call('GET', KEYS[3]) or '-1')
if must < 0 or (must > now and redis.call('EXISTS', KEYS[1]) == 0) then
  local until_ms = now + spacing
  if tonumber(redis.call('GET', KEYS[2]) or '0') < until_ms then
    redis.call('SET', KEYS[2], string.format('%d', until_ms), 'PX', spacing)
  end
  redis.call('SET', KEYS[4], '1', 'PX', spacing)
  redis.call('SET', KEYS[3], '0')
  must = 0
end
local lost = redis.call('EXISTS', KEYS[4])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local left = math.max(pause - now, 0)
local raw = redis.call('LRANGE', KEYS[1], -limit, -1)
local slots = {}
for i = 1, #raw do slots[i] = tonumber(raw[i]) end
local waits = {}
for c = 1, calls do
  local n = #slots
  local at = now
  if n > 0 and slots[n] > at then at = slots[n] end
  if n >= limit and slots[n - limit + 1] + spacing > at then at = slots[n - limit + 1] + spacing end
  if pause > at then at = pause end
  if at - now > max_wait then return {0, at - now, left, lost} end
  slots[n + 1] = at
  waits[c] = at - now
end
for c = 1, calls do redis.call('RPUSH', KEYS[1], string.format('%d', now + waits[c])) end
redis.call('LTRIM', KEYS[1], -limit, -1)
redis.call('PEXPIRE', KEYS[1], spacing + max_wait + 1000)
local last = now + waits[calls] + spacing
if last > must then redis.call('SET', KEYS[3], string.format('%d', last)) end
local answer = {1, left, lost}
for c = 1, calls do answer[c + 3] = waits[c] end
return answer
";

/// KEYS marker. Writes the marker (nothing must exist yet) when there is none: an instance
/// connecting to a new Redis is not a lost log.
pub const MARK: &str = r"
redis.call('SET', KEYS[1], '0', 'NX')
return 0
";

/// KEYS pause, lost. Returns {pause left ms, lost}: what `/healthz` reports, the same on every
/// instance.
pub const PAUSED: &str = r"
return {math.max(redis.call('PTTL', KEYS[1]), 0), redis.call('EXISTS', KEYS[2])}
";

/// KEYS grants, marker; ARGV limit, spacing ms. Returns 0 (granted), the wait in ms, or -1 when
/// the log was lost (see the module docs; the next reservation pauses everyone).
pub const GRANT: &str = r"
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
if redis.call('LLEN', KEYS[1]) >= limit then
  local oldest = tonumber(redis.call('LINDEX', KEYS[1], -limit))
  if oldest + spacing > now then return oldest + spacing - now end
end
redis.call('RPUSH', KEYS[1], string.format('%d', now))
redis.call('LTRIM', KEYS[1], -limit, -1)
redis.call('PEXPIRE', KEYS[1], spacing + 1000)
return 0
";

/// KEYS pause; ARGV ms. Extends the pause to now + ms (never shortens it).
pub const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < until_ms then
  redis.call('SET', KEYS[1], string.format('%d', until_ms), 'PX', ARGV[1])
end
return 0
";

// The keyed limits (`super::limits`).

/// `KEYS[1]` the TAT; ARGV interval (ms, may be fractional), burst, n.
/// Returns 0 when taken, the wait in ms when not yet, -1 when `n` exceeds the burst (never).
pub const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
if n > burst then return -1 end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + n * interval
local allow_at = new_tat - burst * interval
if allow_at > now then return math.max(1, math.ceil(allow_at - now)) end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now) + 1)
return 0
";

// Cache entries and their locks (`super::cache`).

/// KEYS entry, lock; ARGV the value fence the caller holds. Returns Redis's time, the entry's
/// fence and value fence, stored-at, cooling until, stale allowed, the error, the value (empty
/// when the caller's is current), and the lock's remaining lease (ms; negative when free).
pub const READ: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local e = redis.call('HMGET', KEYS[1], 'fence', 'vf', 'at', 'cu', 'cs', 'ce')
local value = ''
if e[2] and e[2] ~= ARGV[1] then value = redis.call('HGET', KEYS[1], 'v') or '' end
return {now, tonumber(e[1] or '0'), tonumber(e[2] or '0'), tonumber(e[3] or '0'),
  tonumber(e[4] or '0'), tonumber(e[5] or '0'), e[6] or '', value, redis.call('PTTL', KEYS[2])}
";

/// KEYS lock, fence counter, entry; ARGV lease ms, the entry fence the caller saw.
/// Returns {1, fence} (taken), {0, lease left} (held), {2, 0} (the entry changed: read again).
pub const LOCK: &str = r"
if tonumber(redis.call('HGET', KEYS[3], 'fence') or '0') ~= tonumber(ARGV[2]) then
  return {2, 0}
end
local left = redis.call('PTTL', KEYS[1])
if left ~= -2 then return {0, math.max(left, 1)} end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return {1, fence}
";

/// KEYS lock; ARGV fence, lease ms. Extends the lease if the caller still holds it.
pub const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// KEYS entry, lock; ARGV fence, keep ms, kind ('v' or 'f'), then the value, or cool-down ms,
/// stale allowed and the error. Writes only above the entry's fence; releases the caller's lock.
/// Returns 1 when written.
pub const STORE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local written = 0
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then
  if ARGV[3] == 'v' then
    redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'vf', ARGV[1], 'at', string.format('%d', now),
      'v', ARGV[4])
    redis.call('HDEL', KEYS[1], 'cu', 'cs', 'ce')
  else
    redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'cu', string.format('%d', now + tonumber(ARGV[4])),
      'cs', ARGV[5], 'ce', ARGV[6])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  written = 1
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return written
";

/// KEYS entry, fence counter; ARGV keep ms. Drops the value and any failure, and raises the
/// entry's fence so fetches begun before cannot store theirs.
pub const INVALIDATE: &str = r"
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'fence', fence)
redis.call('HDEL', KEYS[1], 'vf', 'v', 'at', 'cu', 'cs', 'ce')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return fence
";
