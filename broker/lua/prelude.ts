// Lua source run once per Lua state, before any script. It builds the
// environment Redis 7 gives scripts on top of Lua 5.4:
//   * the `redis` table around the C functions registered from TypeScript;
//   * cjson.decode, bit and struct, written in Lua, following the C
//     libraries Redis bundles (lua-cjson, LuaBitOp, struct); cmsgpack and
//     cjson.encode are C functions written in TypeScript (msgpack.ts, json.ts);
//   * Lua 5.1 names scripts still use (unpack, loadstring, table.getn, ...)
//     and 5.1-like number printing in tostring;
//   * Redis's deterministic math.random (rand48);
//   * the sandbox: read-only globals and libraries, errors for undefined
//     globals, no io/os/package/debug;
//   * the runner that executes a compiled script inside xpcall with Redis's
//     error handler, and is resumed as a coroutine so that long scripts can
//     yield from the instruction-count hook.
//
// Frames of this chunk ("=broker") are skipped when the error handler looks
// for the script line to report, so helpers here are transparent.

export const PRELUDE_CHUNKNAME = '=broker';

export const PRELUDE = String.raw`
local C = ...
local rawget, rawset, rawequal, setmetatable, getmetatable = rawget, rawset, rawequal, setmetatable, getmetatable
local type, tostring, tonumber, select, pairs, ipairs, next, error, pcall, xpcall =
      type, tostring, tonumber, select, pairs, ipairs, next, error, pcall, xpcall
local string, table, math, coroutine = string, table, math, coroutine
local s_byte, s_char, s_format, s_sub, s_rep, s_find, s_gsub, s_pack, s_unpack =
      string.byte, string.char, string.format, string.sub, string.rep, string.find, string.gsub, string.pack, string.unpack
local t_concat, t_insert, t_unpack, t_pack = table.concat, table.insert, table.unpack, table.pack
local m_floor, m_type, m_huge, m_tointeger = math.floor, math.type, math.huge, math.tointeger
local getinfo, setupvalue = debug.getinfo, debug.setupvalue
local G = _G
local PRELUDE_SRC = '${PRELUDE_CHUNKNAME}'

-- Lua 5.1 (Redis's Lua) has only doubles. Numbers made here follow that:
-- integral values within 2^53 become integers (so they print like 5.1 did:
-- "5", not "5.0"), larger ones become floats (so arithmetic on them rounds
-- like 5.1 instead of wrapping around).
local function normnum(n)
  if m_type(n) == 'float' then
    if n == m_floor(n) and n >= -9007199254740992 and n <= 9007199254740992 then return m_tointeger(n) end
  elseif n > 9007199254740992 or n < -9007199254740992 then
    return n + 0.0
  end
  return n
end

-------------------------------------------------------------------------------
-- Lua 5.1 compatibility

local raw_tostring = tostring
local function tostring51(v)
  if type(v) == 'number' then
    if v ~= v then return (s_format('%f', v):find('-') and '-nan' or 'nan') end
    return s_format('%.14g', v)
  end
  return raw_tostring(v)
end
G.tostring = tostring51

local raw_tonumber = tonumber
G.tonumber = function(v, base)
  local n
  if base == nil then n = raw_tonumber(v) else n = raw_tonumber(v, base) end
  if n == nil then return nil end
  return normnum(n)
end

local raw_error = error
-- Lua 5.1's error(): numbers get a position too. Implemented in C (TypeScript)
-- so that 'return error(...)' is not a tail call that would hide the line.
G.error = C.error
local wrap = C.wrap

G.unpack = t_unpack
table.getn = function(t) return #t end
table.setn = function() raw_error('setn is obsolete', 2) end
table.maxn = function(t)
  local max = 0
  for k in pairs(t) do
    if type(k) == 'number' and k > max then max = k end
  end
  return max
end
table.foreach = function(t, f)
  for k, v in pairs(t) do
    local r = f(k, v)
    if r ~= nil then return r end
  end
end
table.foreachi = function(t, f)
  for i = 1, #t do
    local r = f(i, t[i])
    if r ~= nil then return r end
  end
end
string.gfind = string.gmatch
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == m_huge or x == -m_huge then return x, 0 end
  local e = m_floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 end
  if math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.log10 = function(x) return math.log(x, 10) end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x)
  if x > 20 then return 1.0 elseif x < -20 then return -1.0 end
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
math.atan2 = function(y, x) return math.atan(y, x) end
G.gcinfo = function() return m_floor(collectgarbage('count')) end

-- Redis's deterministic PRNG (rand48), shared by all scripts like in Redis.
local RAND_X = 0x1234ABCD330E
local RAND_MAX = 0x7fffffff
local function lrand48()
  RAND_X = (0x5DEECE66D * RAND_X + 0xB) & 0xFFFFFFFFFFFF
  return RAND_X >> 17
end
local function checkint(v, n)
  local x = raw_tonumber(v)
  if x == nil then raw_error("bad argument #" .. n .. " to 'random' (number expected, got " .. type(v) .. ")", 3) end
  if m_type(x) == 'float' then x = (x >= 0) and m_floor(x) or -m_floor(-x) end
  return x
end
math.random = function(...)
  local r = (lrand48() % RAND_MAX) / RAND_MAX
  local n = select('#', ...)
  if n == 0 then
    return r
  elseif n == 1 then
    local u = checkint((...), 1)
    if not (1 <= u) then raw_error("bad argument #1 to 'random' (interval is empty)", 2) end
    return m_floor(r * u) + 1
  elseif n == 2 then
    local l, u = checkint((...), 1), checkint(select(2, ...), 2)
    if not (l <= u) then raw_error("bad argument #2 to 'random' (interval is empty)", 2) end
    return m_floor(r * (u - l + 1)) + l
  end
  raw_error('wrong number of arguments', 2)
end
math.randomseed = function(seed)
  local s = checkint(seed, 1) & 0xFFFFFFFF
  RAND_X = ((s >> 16) << 32) | ((s & 0xFFFF) << 16) | 0x330E
end

-------------------------------------------------------------------------------
-- bit (LuaBitOp semantics: 32-bit signed results, round-to-nearest-even args)

local function tobit(x)
  x = raw_tonumber(x)
  if x == nil then raw_error("bad argument (number expected)", 3) end
  if m_type(x) == 'float' then
    if x ~= x or x == m_huge or x == -m_huge then return 0 end
    local f = m_floor(x)
    local d = x - f
    if d > 0.5 or (d == 0.5 and f % 2 == 1) then f = f + 1 end
    x = m_tointeger(f) or 0
  end
  x = x & 0xFFFFFFFF
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end
local function u32(x) return tobit(x) & 0xFFFFFFFF end
local function s32(x)
  x = x & 0xFFFFFFFF
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end
local bit = {}
bit.tobit = function(x) return tobit(x) end
bit.bnot = function(x) return s32(~u32(x)) end
bit.band = function(x, ...)
  local r = u32(x)
  for i = 1, select('#', ...) do r = r & u32((select(i, ...))) end
  return s32(r)
end
bit.bor = function(x, ...)
  local r = u32(x)
  for i = 1, select('#', ...) do r = r | u32((select(i, ...))) end
  return s32(r)
end
bit.bxor = function(x, ...)
  local r = u32(x)
  for i = 1, select('#', ...) do r = r ~ u32((select(i, ...))) end
  return s32(r)
end
bit.lshift = function(x, n) return s32(u32(x) << (u32(n) & 31)) end
bit.rshift = function(x, n) return s32(u32(x) >> (u32(n) & 31)) end
bit.arshift = function(x, n)
  local v, s = tobit(x), u32(n) & 31
  return s32(v >> s | ((v < 0 and s > 0) and (0xFFFFFFFF << (32 - s)) or 0))
end
bit.rol = function(x, n)
  local v, s = u32(x), u32(n) & 31
  return s32((v << s) | (v >> (32 - s)))
end
bit.ror = function(x, n)
  local v, s = u32(x), u32(n) & 31
  return s32((v >> s) | (v << (32 - s)))
end
bit.bswap = function(x)
  local v = u32(x)
  return s32(((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24))
end
bit.tohex = function(x, n)
  n = (n == nil) and 8 or tobit(n)
  local digits = '0123456789abcdef'
  if n < 0 then n = -n; digits = '0123456789ABCDEF' end
  if n > 8 then n = 8 end
  local v = u32(x)
  local out = {}
  for i = n, 1, -1 do
    local d = v & 15
    out[i] = s_sub(digits, d + 1, d + 1)
    v = v >> 4
  end
  return t_concat(out)
end

-------------------------------------------------------------------------------
-- cjson (lua-cjson 2.1 as bundled by Redis: %.14g numbers, '/' escaped)

local cjson = {}
local NULL = C.null
cjson.null = NULL

-- cjson.encode is C.json_encode (json.ts).

local function dec_error(msg, pos) raw_error(msg .. ' at character ' .. pos, 0) end

local WS = { [' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true }

local function token_name(s, i)
  local c = s_sub(s, i, i)
  if c == '' then return 'T_END' end
  if c == '{' then return 'T_OBJ_BEGIN' elseif c == '}' then return 'T_OBJ_END'
  elseif c == '[' then return 'T_ARR_BEGIN' elseif c == ']' then return 'T_ARR_END'
  elseif c == ',' then return 'T_COMMA' elseif c == ':' then return 'T_COLON'
  elseif c == '"' then return 'T_STRING'
  elseif s_find(c, '[%-0-9]') then return 'T_NUMBER'
  elseif s_sub(s, i, i + 3) == 'true' or s_sub(s, i, i + 4) == 'false' then return 'T_BOOLEAN'
  elseif s_sub(s, i, i + 3) == 'null' then return 'T_NULL' end
  return 'invalid token'
end

local function skip_ws(s, i)
  while WS[s_sub(s, i, i)] do i = i + 1 end
  return i
end

local function utf8_char(cp)
  if cp < 0x80 then return s_char(cp)
  elseif cp < 0x800 then return s_char(0xC0 | (cp >> 6), 0x80 | (cp & 0x3F))
  elseif cp < 0x10000 then return s_char(0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F))
  else return s_char(0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F)) end
end

local UNESC = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

local decode_value
local decode_depth = 1000
local function dec_string(s, i)
  -- s[i] == '"'
  local buf, j = {}, i + 1
  while true do
    local a, b = s_find(s, '["\\%c]', j)
    if not a then dec_error('Expected value but found invalid token', i) end
    if a > j then buf[#buf + 1] = s_sub(s, j, a - 1) end
    local c = s_sub(s, a, a)
    if c == '"' then return t_concat(buf), a + 1 end
    if c ~= '\\' then dec_error('Expected value but found invalid token', i) end
    local e = s_sub(s, a + 1, a + 1)
    if e == 'u' then
      local hex = s_sub(s, a + 2, a + 5)
      if not s_find(hex, '^%x%x%x%x$') then dec_error('Expected value but found invalid unicode escape code', i) end
      local cp = raw_tonumber(hex, 16)
      local nexti = a + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = s_sub(s, a + 6, a + 11)
        if s_find(lo, '^\\u[dD][c-fC-F]%x%x$') then
          cp = 0x10000 + ((cp - 0xD800) << 10) + (raw_tonumber(s_sub(lo, 3), 16) - 0xDC00)
          nexti = a + 12
        else
          dec_error('Expected value but found invalid unicode escape code', i)
        end
      end
      buf[#buf + 1] = utf8_char(cp)
      j = nexti
    elseif UNESC[e] then
      buf[#buf + 1] = UNESC[e]
      j = a + 2
    else
      dec_error('Expected value but found invalid escape code', i)
    end
  end
end

local function dec_number(s, i)
  local a, b = s_find(s, '^-?%d+%.?%d*[eE]?[-+]?%d*', i)
  if not a then a, b = s_find(s, '^-?%.%d+[eE]?[-+]?%d*', i) end
  if not a then dec_error('Expected value but found invalid number', i) end
  local n = raw_tonumber(s_sub(s, a, b))
  if n == nil then dec_error('Expected value but found invalid number', i) end
  return normnum(n), b + 1
end

decode_value = function(s, i, depth)
  i = skip_ws(s, i)
  local c = s_sub(s, i, i)
  if c == '"' then return dec_string(s, i)
  elseif c == '{' then
    depth = depth + 1
    if depth > decode_depth then dec_error('Found too many nested data structures (' .. depth .. ')', i) end
    local t = {}
    i = skip_ws(s, i + 1)
    if s_sub(s, i, i) == '}' then return t, i + 1 end
    while true do
      i = skip_ws(s, i)
      if s_sub(s, i, i) ~= '"' then dec_error('Expected object key string but found ' .. token_name(s, i), i) end
      local k
      k, i = dec_string(s, i)
      i = skip_ws(s, i)
      if s_sub(s, i, i) ~= ':' then dec_error('Expected colon but found ' .. token_name(s, i), i) end
      local v
      v, i = decode_value(s, i + 1, depth)
      t[k] = v
      i = skip_ws(s, i)
      local d = s_sub(s, i, i)
      if d == '}' then return t, i + 1 end
      if d ~= ',' then dec_error('Expected comma or object end but found ' .. token_name(s, i), i) end
      i = i + 1
    end
  elseif c == '[' then
    depth = depth + 1
    if depth > decode_depth then dec_error('Found too many nested data structures (' .. depth .. ')', i) end
    local t, n = {}, 0
    i = skip_ws(s, i + 1)
    if s_sub(s, i, i) == ']' then return t, i + 1 end
    while true do
      local v
      v, i = decode_value(s, i, depth)
      n = n + 1
      t[n] = v
      i = skip_ws(s, i)
      local d = s_sub(s, i, i)
      if d == ']' then return t, i + 1 end
      if d ~= ',' then dec_error('Expected comma or array end but found ' .. token_name(s, i), i) end
      i = i + 1
    end
  elseif c == '-' or s_find(c, '%d') then return dec_number(s, i)
  elseif s_sub(s, i, i + 3) == 'true' then return true, i + 4
  elseif s_sub(s, i, i + 4) == 'false' then return false, i + 5
  elseif s_sub(s, i, i + 3) == 'null' then return NULL, i + 4
  end
  dec_error('Expected value but found ' .. token_name(s, i), i)
end

cjson.decode = function(...)
  if select('#', ...) ~= 1 then raw_error("bad argument #1 to 'decode' (expected 1 argument)", 3) end
  local s = ...
  if type(s) == 'number' then s = tostring51(s) end
  if type(s) ~= 'string' then raw_error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 3) end
  local ok, v, i = pcall(decode_value, s, 1, 0)
  if not ok then raw_error(v, 3) end
  i = skip_ws(s, i)
  if i <= #s then raw_error('Expected the end but found ' .. token_name(s, i) .. ' at character ' .. i, 3) end
  return v
end
cjson.encode_keep_buffer = function() end
-- lua-cjson's depth settings: kept per Lua state (SCRIPT FLUSH resets them), as in Redis.
local function depth_option(name, set)
  return function(...)
    local n = select('#', ...)
    if n > 1 then raw_error("bad argument #2 to '" .. name .. "' (found too many arguments)", 3) end
    local v = ...
    if n == 1 and v ~= nil then
      local d = raw_tonumber(v)
      if d == nil then raw_error("bad argument #1 to '" .. name .. "' (number expected, got " .. type(v) .. ")", 3) end
      d = d >= 0 and m_floor(d) or -m_floor(-d)
      if d < 1 or d > 2147483647 then
        raw_error("bad argument #1 to '" .. name .. "' (expected integer between 1 and 2147483647)", 3)
      end
      return set(m_tointeger(d))
    end
    return set(nil)
  end
end
-- Through the C trampoline (wrap) so that 'return cjson.encode_max_depth(0)' keeps the script's line.
cjson.encode_max_depth = wrap(depth_option('encode_max_depth', C.json_max_depth))
cjson.decode_max_depth = wrap(depth_option('decode_max_depth', function(d)
  if d then decode_depth = d end
  return decode_depth
end))
cjson.encode_number_precision = function(n) return n or 14 end
cjson.encode_sparse_array = function() return false, 2, 10 end
cjson.encode_invalid_numbers = function() return false end
cjson.decode_invalid_numbers = function() return true end
cjson.encode = C.json_encode
cjson.decode = wrap(cjson.decode)
cjson.new = function() return cjson end
cjson._NAME = 'cjson'
cjson._VERSION = '2.1.0'

-------------------------------------------------------------------------------
-- cmsgpack (lua-cmsgpack 0.4.0 as bundled by Redis), in TypeScript: msgpack.ts

local cmsgpack = {
  pack = C.msgpack_pack,
  unpack = C.msgpack_unpack,
  unpack_one = C.msgpack_unpack_one,
  unpack_limit = C.msgpack_unpack_limit,
  _NAME = 'cmsgpack',
  _VERSION = 'lua-cmsgpack 0.4.0',
}

-------------------------------------------------------------------------------
-- struct (Roberto Ierusalimschy's library, mapped onto string.pack)

local function struct_fmt(fmt)
  return (s_gsub(fmt, 's', 'z'))
end
local struct = {
  pack = function(fmt, ...) return s_pack(struct_fmt(fmt), ...) end,
  unpack = function(fmt, s, pos) return s_unpack(struct_fmt(fmt), s, pos) end,
  size = function(fmt) return string.packsize(struct_fmt(fmt)) end,
}

-------------------------------------------------------------------------------
-- redis

local redis = {
  call = C.call,
  pcall = C.pcall,
  sha1hex = C.sha1hex,
  log = C.log,
  setresp = C.setresp,
  set_repl = C.set_repl,
  replicate_commands = function() return true end,
  breakpoint = function() return false end,
  debug = function() end,
  acl_check_cmd = C.acl_check_cmd,
  error_reply = C.error_reply,
  status_reply = C.status_reply,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = C.version, REDIS_VERSION_NUM = C.version_num,
}

-- Lua 5.4 names the culprit after the type, 5.1 before it:
--   5.4: attempt to index a nil value (field 'x')
--   5.1: attempt to index field 'x' (a nil value)
local function msg51(m)
  if type(m) ~= 'string' then return m end
  return (s_gsub(m, "attempt to ([%a ]-) an? (%a+) value %((%a+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end

-- pcall that turns Redis error tables into their message (like Redis 7's).
local function pcall_result(ok, ...)
  if not ok then
    local e = ...
    if type(e) == 'table' and type(rawget(e, 'err')) == 'string' then return false, rawget(e, 'err') end
    if type(e) == 'string' then return false, msg51(e) end
  end
  return ok, ...
end
G.pcall = function(f, ...)
  return pcall_result(pcall(f, ...))
end

-------------------------------------------------------------------------------
-- Error handler (as Redis's __redis__err__handler) and runner

local function errh(err)
  local level = 2
  local i = getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == PRELUDE_SRC) do
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. msg51(tostring51(err)) } end
  if i then
    rawset(err, 'source', i.source)
    rawset(err, 'line', i.currentline)
  end
  return err
end

-------------------------------------------------------------------------------
-- Sandbox

local READONLY = 'Attempt to modify a readonly table'
local protected = setmetatable({}, { __mode = 'k' })

local function readonly(src, hide)
  local real = src
  if hide then
    real = {}
    for k, v in next, src do
      if not hide[k] then real[k] = v end
    end
  end
  local proxy = setmetatable({}, {
    __index = real,
    __newindex = function() raw_error(READONLY, 2) end,
    __pairs = function() return next, real, nil end,
    __len = function() return #real end,
    __metatable = false,
  })
  protected[proxy] = true
  return proxy
end

G.rawset = function(t, k, v)
  if protected[t] then raw_error(READONLY, 0) end
  return rawset(t, k, v)
end

-- Drop what Redis does not offer.
for _, name in ipairs({ 'io', 'os', 'package', 'require', 'dofile', 'loadfile', 'print', 'utf8', 'warn', 'debug', 'rawlen' }) do
  G[name] = nil
end

local current_env = nil
local raw_load = load
G.load = function(chunk, name, mode, env)
  if env == nil then env = current_env end
  return raw_load(chunk, name, 't', env)
end
G.loadstring = function(s, name)
  return raw_load(s, name or s, 't', current_env)
end

G.redis = readonly(redis)
G.cjson = readonly(cjson)
G.cmsgpack = readonly(cmsgpack)
G.bit = readonly(bit)
G.struct = readonly(struct)
G.string = readonly(string, { pack = true, packsize = true, unpack = true })
G.math = readonly(math, { maxinteger = true, mininteger = true, tointeger = true, type = true, ult = true })
G.table = readonly(table, { move = true, pack = true, unpack = true })
-- Coroutines. A script is one atomic unit: it cannot yield out of itself (Redis runs it with
-- lua_pcall, where a yield fails). Inside, coroutines work, and the time hook reaches them:
-- when it yields one (to let the broker answer BUSY and SCRIPT KILL), resume passes that
-- yield up to the broker and, once resumed, resumes the inner coroutine where it stopped.
local co_create, co_resume, co_yield, co_running = coroutine.create, coroutine.resume, coroutine.yield, coroutine.running
local hook_pending = C.hook_pending
local script_thread = nil
local function resume_through(co, ...)
  local r = t_pack(co_resume(co, ...))
  while hook_pending() do
    co_yield()
    r = t_pack(co_resume(co))
  end
  return t_unpack(r, 1, r.n)
end
local function wrap_result(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == 'string' then raw_error(e, 2) end
  raw_error(e, 0)
end
coroutine.resume = resume_through
coroutine.yield = function(...)
  if co_running() == script_thread then raw_error('attempt to yield across metamethod/C-call boundary', 0) end
  return co_yield(...)
end
coroutine.wrap = function(f)
  local co = co_create(f)
  return function(...) return wrap_result(resume_through(co, ...)) end
end
coroutine.running = function()
  local co = co_running()
  if co == script_thread then return nil end
  return co
end
G.coroutine = readonly(coroutine, { close = true, isyieldable = true })
G.__redis__err__handler = errh
local strmeta = getmetatable('')
strmeta.__index = G.string
strmeta.__metatable = readonly(strmeta)

setmetatable(G, {
  __index = function(_, k)
    raw_error("Script attempted to access nonexistent global variable '" .. tostring51(k) .. "'", 2)
  end,
  __newindex = function() raw_error(READONLY, 2) end,
  __metatable = false,
})

local ENV_MT = {
  __index = G,
  __newindex = function() raw_error(READONLY, 2) end,
  __pairs = function(t)
    local merged = {}
    for k, v in next, G do merged[k] = v end
    for k, v in next, t do merged[k] = v end
    return next, merged, nil
  end,
  __metatable = false,
}

local GLOBALS_MT = { __index = G }

local function run(f, keys, argv)
  -- The script's globals table stays empty so that every assignment, _G and KEYS included,
  -- reaches __newindex (Redis: "Attempt to modify a readonly table"); its own names are read
  -- through a second table that falls back to the shared globals.
  local env = {}
  local own = setmetatable({ KEYS = keys, ARGV = argv, _G = env }, GLOBALS_MT)
  setmetatable(env, {
    __index = own,
    __newindex = ENV_MT.__newindex,
    __pairs = function()
      local merged = {}
      for k, v in next, G do merged[k] = v end
      for k, v in next, own do merged[k] = v end
      return next, merged, nil
    end,
    __metatable = false,
  })
  protected[env] = true
  current_env = env
  script_thread = co_running()
  setupvalue(f, 1, env)
  return xpcall(f, errh)
end

return { run = run, errh = errh }
`;
