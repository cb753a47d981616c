-- One merge of a request's session changes into the session connect-redis stores under KEYS[1],
-- run by Redis as a single step, so merges from any number of processes never interleave.
--
-- ARGV[1]  the session's data (everything but the cookie) as JSON, as the request loaded it
-- ARGV[2]  the same as the request ends with it
-- ARGV[3]  the request's cookie as JSON
-- ARGV[4]  seconds the session lives ('' for no expiry; '0' or less deletes it)
--
-- A top-level key whose value's JSON differs between ARGV[1] and ARGV[2], or that only ARGV[2] has,
-- is changed and takes its new value; a key only ARGV[1] has is removed; every other key keeps the
-- stored value, which another request may have written (session/merge.js's changedKeys and
-- applyChanges, worked out here so the process does not have to).
--
-- The session is edited as text, never decoded: Lua's JSON library would reorder keys and rewrite
-- numbers, while the result must be byte for byte what JSON.stringify writes for the stored session
-- with the changes applied in JavaScript (connect-redis's default serializer). So keys keep their
-- stored order, new keys go last, and keys that are array indices ("0", "17") come first in
-- ascending order, as JavaScript orders an object's properties. All three texts are expected as
-- JSON.stringify writes them, where equal keys and values are equal text. Returns 1 when it wrote,
-- 0 when there was no session to merge into (which it then leaves absent).

local find, byte, sub = string.find, string.byte, string.sub

local function skip_space (text, at)
  return find(text, '[^ \t\r\n]', at) or (#text + 1)
end

local function is_space (b)
  return b == 32 or b == 9 or b == 10 or b == 13
end

-- index of the quote closing the string whose opening quote is at `at`
local function string_end (text, at)
  local _, plain = find(text, '^"[^"\\]*"', at)
  if plain then return plain end
  local i = at + 1
  while true do
    local found = find(text, '["\\]', i)
    if not found then error('session JSON: unterminated string') end
    if byte(text, found) == 92 then i = found + 2 else return found end
  end
end

-- index of the last character of the value starting at `at`
local function value_end (text, at)
  local first = byte(text, at)
  if first == 34 then return string_end(text, at) end
  if first == 123 or first == 91 then
    local depth = 0
    local i = at
    while true do
      local found = find(text, '[%[%]{}"]', i)
      if not found then error('session JSON: unterminated value') end
      local b = byte(text, found)
      if b == 34 then
        i = string_end(text, found) + 1
      else
        if b == 123 or b == 91 then depth = depth + 1 else depth = depth - 1 end
        if depth == 0 then return found end
        i = found + 1
      end
    end
  end
  local after = find(text, '[,}%] \t\r\n]', at)
  if not after or after == at then error('session JSON: expected a value') end
  return after - 1
end

-- the members of a JSON object's text: key (with its quotes), value text, key, value text, ...
-- Text as JSON.stringify writes it (no spaces, keys without escapes) takes the short ways.
local function members (text)
  local list, n = {}, 0
  local at = skip_space(text, 1)
  if byte(text, at) ~= 123 then error('session JSON: not an object') end
  at = skip_space(text, at + 1)
  if byte(text, at) == 125 then return list end
  while true do
    local key
    local _, colon = find(text, '^"[^"\\]*":', at)
    if colon then
      key = sub(text, at, colon - 1)
      at = colon + 1
      if is_space(byte(text, at)) then at = skip_space(text, at) end
    else
      if byte(text, at) ~= 34 then error('session JSON: expected a key') end
      local key_end = string_end(text, at)
      key = sub(text, at, key_end)
      at = skip_space(text, key_end + 1)
      if byte(text, at) ~= 58 then error('session JSON: expected a colon') end
      at = skip_space(text, at + 1)
    end
    local last = value_end(text, at)
    list[n + 1] = key
    list[n + 2] = sub(text, at, last)
    n = n + 2
    at = last + 1
    local b = byte(text, at)
    if is_space(b) then
      at = skip_space(text, at)
      b = byte(text, at)
    end
    if b == 125 then return list end
    if b ~= 44 then error('session JSON: expected a comma') end
    at = at + 1
    if is_space(byte(text, at)) then at = skip_space(text, at) end
  end
end

local ttl = ARGV[4]
if ttl ~= '' and tonumber(ttl) <= 0 then
  -- connect-redis deletes a session whose expiry has passed instead of writing it
  redis.call('DEL', KEYS[1])
  return 0
end

local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end

-- keys in property order, their values (false once deleted), and each live key's position
local keys, values, position = {}, {}, {}
local function put (key, value)
  local at = position[key]
  if at then
    values[at] = value
  else
    keys[#keys + 1] = key
    values[#keys] = value
    position[key] = #keys
  end
end

-- a key stored twice keeps its first place and its last value, as JSON.parse does
local current = members(stored)
for i = 1, #current, 2 do put(current[i], current[i + 1]) end

local loaded, ending = members(ARGV[1]), members(ARGV[2])
local loaded_values, ending_keys = {}, {}
for i = 1, #loaded, 2 do loaded_values[loaded[i]] = loaded[i + 1] end
for i = 1, #ending, 2 do
  local key = ending[i]
  ending_keys[key] = true
  if loaded_values[key] ~= ending[i + 1] then put(key, ending[i + 1]) end
end
for i = 1, #loaded, 2 do
  local key = loaded[i]
  local at = position[key]
  if at and not ending_keys[key] then
    values[at] = false
    position[key] = nil
  end
end
put('"cookie"', ARGV[3])

local indexed, named = {}, {}
for i = 1, #keys do
  local value = values[i]
  if value then
    local key = keys[i]
    local second = byte(key, 2)
    local digits = second and second >= 48 and second <= 57 and string.match(key, '^"(%d+)"$')
    local index = digits and #digits <= 10 and (digits == '0' or second ~= 48) and tonumber(digits)
    if index and index < 4294967295 then
      indexed[#indexed + 1] = { index, key .. ':' .. value }
    else
      named[#named + 1] = key .. ':' .. value
    end
  end
end

local body = table.concat(named, ',')
if #indexed > 0 then
  table.sort(indexed, function (a, b) return a[1] < b[1] end)
  local front = {}
  for i = 1, #indexed do front[i] = indexed[i][2] end
  body = #named > 0 and (table.concat(front, ',') .. ',' .. body) or table.concat(front, ',')
end

if ttl == '' then
  redis.call('SET', KEYS[1], '{' .. body .. '}')
else
  redis.call('SET', KEYS[1], '{' .. body .. '}', 'EX', ttl)
end
return 1
