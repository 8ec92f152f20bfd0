"""Read, write and invalidate Cachet entries from Python: the Python companion of dev.cachet.redis.

One module; it needs only `cryptography` (Debian: python3-cryptography) and a Redis client the caller
passes in (redis-py: python3-redis). CBOR payloads additionally need `cbor2` (python3-cbor2). The wire
format it speaks is specified in docs/wire-format.md; docs/python.md shows how to use it.

    import os, redis
    from cachet_compat import CachetCache

    users = CachetCache(redis.Redis.from_url(os.environ["CACHET_REDIS_URL"]), "users",
                        keys=os.environ["CACHET_ENCRYPTION_KEYS"],
                        naming_secret=os.environ.get("CACHET_KEY_NAMING_SECRET"), naming_scheme=2)
    users.write("42", {"id": "42", "name": "Ada"}, ttl=1800)    # Java instances see it at once
    user = users.read("42")                                      # None on a miss
    users.invalidate("42"); users.invalidate_all()

Every write, invalidate and invalidate_all publishes the same `cachet2` message a Java instance
publishes, each under a fresh origin id (sequence 1), followed by its goodbye, so Java memory tiers drop the
key (or the whole cache, or tenant) within the consistency model's bound and do not wait for this
process's heartbeats. A CachetCache is thread-safe and never
logs or prints keys, values or key material.
"""

import base64
import hashlib
import hmac
import json
import random
import re
import struct
import threading
import time
import zlib
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# ------------------------------------------------------------------------------------------- constants

SEALED = "sealed"
PLAIN_JSON = "plain_json"
JSON = "json"
CBOR = "cbor"

SEALED_FORMAT = 0xC1
FLAG_DEFLATED = 0x01
PAYLOAD_FORMAT_SHIFT = 1
PAYLOAD_FORMAT_MASK = 0x06
PAYLOAD_FORMATS = {JSON: 0, CBOR: 1}
HEADER = 26
DIGEST_BYTES = 16
EXPIRY_SKEW_ALLOWANCE_MILLIS = 1000
DEFAULT_KEY_PREFIX = "cachet"
DEFAULT_SCHEMA_VERSION = 1
DEFAULT_MAX_VALUE_SIZE = 1 << 20
HKDF_INFO = b"cachet key-name hashing v1"
HKDF_INFO_V2 = b"cachet key-name hashing v2"
MIN_SECRET_BYTES = 32

# Decryption failure reasons, named as Cachet's cache.decryption.failures meter names them.
AUTHENTICATION = "authentication"
FORMAT = "format"
KEY_BINDING = "key_binding"
EXPIRED = "expired"
DESERIALIZE = "deserialize"
# authentic and meant for this key, but in a payload format id this reader does not know (a later
# release's): a miss, never deleted (the entry belongs to a writer that can read it)
UNSUPPORTED_FORMAT = "unsupported_format"

SEGMENT = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CACHE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")

# The server-side scripts, byte for byte those of dev.cachet.redis.LuaScripts (the wire vectors
# check it in both languages).
GENERATION_SCRIPT = (
    "local raw = redis.call('GET', KEYS[1]) "
    "local cur = nil "
    "if raw then cur = tonumber(raw) end "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 1 "
    "local seen = tonumber(ARGV[3]) "
    "if ARGV[1] == 'ensure' and cur and cur >= seen then return {cur, tonumber(t[1]), tonumber(t[2])} end "
    "local n = math.max(now, seen + 1) "
    "if cur and cur >= n then n = cur + 1 end "
    "redis.call('SET', KEYS[1], string.format('%d', n)) "
    "return {n, tonumber(t[1]), tonumber(t[2])}")

TENANT_GENERATIONS_SCRIPT = (
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 1 "
    "local out = {} "
    "for i = 2, #ARGV, 2 do "
    "local f = ARGV[i] "
    "local seen = tonumber(ARGV[i + 1]) "
    "local raw = redis.call('HGET', KEYS[1], f) "
    "local cur = nil "
    "if raw then cur = tonumber(raw) end "
    "if ARGV[1] == 'ensure' and cur and cur >= seen then "
    "out[#out + 1] = cur "
    "else "
    "local n = math.max(now, seen + 1) "
    "if cur and cur >= n then n = cur + 1 end "
    "redis.call('HSET', KEYS[1], f, string.format('%d', n)) "
    "out[#out + 1] = n "
    "end "
    "end "
    "return out")

COMPARE_AND_DELETE_SCRIPT = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")

DELETE_IF_NOT_STRING_SCRIPT = (
    "local t = redis.call('TYPE', KEYS[1])['ok'] "
    "if t ~= 'string' and t ~= 'none' then return redis.call('DEL', KEYS[1]) end "
    "return 0")


class CachetCompatError(ValueError):
    """Bad configuration or input (the message says what and how to fix it, never key material)."""


class CborUnavailableError(CachetCompatError):
    """CBOR was requested for writing but the cbor2 package is not installed (reading a CBOR entry without
    it is an unsupported_format miss instead)."""


# ------------------------------------------------------------------------------------------ key names

def _hkdf_sha256(secret, info):
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _b64_nopad(digest):
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class KeyNameHasher:
    """Cachet's KeyNameHasher: hidden key names (HMAC-SHA256, HKDF-derived keys). Holds no secret in repr."""

    def __init__(self, secret, scheme=1):
        if isinstance(secret, str):
            secret = _decode_secret(secret)
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < MIN_SECRET_BYTES:
            raise CachetCompatError("key-naming secret must have at least %d bytes (URL-safe base64 with"
                                    " padding, as CACHET_KEY_NAMING_SECRET)" % MIN_SECRET_BYTES)
        if scheme not in (1, 2):
            raise CachetCompatError("naming_scheme must be 1 or 2, got %r" % (scheme,))
        self.scheme = scheme
        self._v1 = _hkdf_sha256(bytes(secret), HKDF_INFO)
        self._v2 = _hkdf_sha256(bytes(secret), HKDF_INFO_V2)

    def hash(self, key_name):
        """Naming scheme 1: HMAC of the encoded key alone."""
        return _b64_nopad(hmac.new(self._v1, key_name.encode("utf-8"), hashlib.sha256).digest())

    def hash_bound(self, prefix, cache, tenant, key_name):
        """This hasher's scheme: scheme 1 as hash(); scheme 2 binds prefix, cache and tenant."""
        if self.scheme == 1:
            return self.hash(key_name)
        bound = "%s:%s:%s:%s" % (prefix, cache, "-" if tenant is None else "t." + tenant, key_name)
        return _b64_nopad(hmac.new(self._v2, bound.encode("utf-8"), hashlib.sha256).digest())

    def hash_tenant(self, prefix, cache, tenant):
        """The hidden name of a tenant (scheme-2 key, whatever the scheme)."""
        text = "#tenant:%s:%s:%s" % (prefix, cache, tenant)
        return _b64_nopad(hmac.new(self._v2, text.encode("utf-8"), hashlib.sha256).digest())

    def __repr__(self):
        return "KeyNameHasher(naming scheme %d, secret hidden)" % self.scheme


def _decode_secret(text):
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise CachetCompatError("the key-naming secret is not URL-safe base64 with padding; generate one"
                                " with 'java -jar cachet-<version>-cli.jar keygen'") from None
    return raw


class KeyLayout:
    """Redis names of one cache (and optionally one tenant): RedisKeyLayout's twin."""

    def __init__(self, cache, prefix=DEFAULT_KEY_PREFIX, schema_version=DEFAULT_SCHEMA_VERSION,
                 tenant=None, hasher=None):
        if not isinstance(cache, str) or not CACHE_NAME.fullmatch(cache):
            raise CachetCompatError("cache name must match [a-z0-9][a-z0-9_-]{0,62}: %r" % (cache,))
        if not isinstance(prefix, str) or not SEGMENT.fullmatch(prefix):
            raise CachetCompatError("prefix must match [A-Za-z0-9_.-]{1,64} (no ':' and no glob"
                                    " characters): %r" % (prefix,))
        if tenant is not None and (not isinstance(tenant, str) or not SEGMENT.fullmatch(tenant)):
            raise CachetCompatError("tenant id must match [A-Za-z0-9_.-]{1,64}: %r" % (tenant,))
        if not isinstance(schema_version, int) or schema_version < 0:
            raise CachetCompatError("schema_version must be a non-negative int: %r" % (schema_version,))
        self.cache, self.prefix, self.schema_version = cache, prefix, schema_version
        self.tenant, self.hasher = tenant, hasher
        self.root = "%s:%s:" % (prefix, cache)
        if tenant is None:
            self.tenant_segment = "-"
        elif hasher is not None and hasher.scheme == 2:
            self.tenant_segment = "h." + hasher.hash_tenant(prefix, cache, tenant)
        else:
            self.tenant_segment = "t." + tenant

    def for_tenant(self, tenant):
        return KeyLayout(self.cache, self.prefix, self.schema_version, tenant, self.hasher)

    @property
    def generation_key(self):
        return self.root + "gen"

    @property
    def tenant_generations_key(self):
        return self.root + "gen:tenants"

    @property
    def channel(self):
        return self.root + "bus"

    def hidden_name(self, key):
        """The hidden name of an encoded key (what follows h: or h2:), or None without hiding."""
        if self.hasher is None:
            return None
        return self.hasher.hash_bound(self.prefix, self.cache, self.tenant, key)

    def key_part(self, key):
        if self.hasher is None:
            return "k:" + key
        return ("h:" if self.hasher.scheme == 1 else "h2:") + self.hidden_name(key)

    def entry_key(self, generation, key):
        """generation: the cache's generation, or "<cache's>.<tenant's>" for a tenant (a str or int)."""
        return "%sv%d:g%s:%s:%s" % (self.root, self.schema_version, generation, self.tenant_segment,
                                    self.key_part(key))

    def announced_tenant(self):
        """How coherence messages name this view's tenant: t.<id>, or h.<hmac> when names are hidden."""
        if self.tenant is None:
            return "-"
        if self.hasher is None:
            return "t." + self.tenant
        return "h." + self.hasher.hash_tenant(self.prefix, self.cache, self.tenant)

    def message_item(self, key):
        """The item of an I message for an encoded key: tenant ':' (key or hidden name)."""
        name = key if self.hasher is None else self.hidden_name(key)
        return self.announced_tenant() + ":" + name


# ---------------------------------------------------------------------------------------------- values

_CANONICAL_B64 = re.compile(rb"[A-Za-z0-9_-]*={0,2}")


def key_digest(redis_key):
    return hashlib.sha256(redis_key.encode("utf-8")).digest()[:DIGEST_BYTES]


def parse_key_ring(keys):
    """A MultiFernet from 'k1,k2' (primary first, as CACHET_ENCRYPTION_KEYS), a list of keys, or a ring."""
    if isinstance(keys, MultiFernet):
        return keys
    if keys is None:
        raise CachetCompatError("no key ring: pass keys='k1,k2' (primary first), as CACHET_ENCRYPTION_KEYS")
    if isinstance(keys, (str, bytes)):
        text = keys.decode("ascii") if isinstance(keys, bytes) else keys
        keys = [k.strip() for k in text.split(",") if k.strip()]
    fernets = []
    for k in keys:
        try:
            fernets.append(k if isinstance(k, Fernet) else Fernet(k.strip() if isinstance(k, str) else k))
        except (ValueError, TypeError):
            raise CachetCompatError("an encryption key is not a Fernet key (32 bytes as URL-safe base64"
                                    " with padding, 44 characters)") from None
    if not fernets:
        raise CachetCompatError("the key ring is empty: pass keys='k1,k2' (primary first), as"
                                " CACHET_ENCRYPTION_KEYS")
    return MultiFernet(fernets)


def _fernet_structure_ok(token):
    """Cachet's structural check: canonical padded URL-safe base64, version 0x80, whole blocks."""
    if len(token) == 0 or len(token) % 4 != 0 or not _CANONICAL_B64.fullmatch(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token)
    except ValueError:
        return False
    if base64.urlsafe_b64encode(raw) != token:
        return False
    return len(raw) >= 25 + 16 + 32 and raw[0] == 0x80 and (len(raw) - 25 - 32) % 16 == 0


def _cbor2():
    try:
        import cbor2
    except ImportError:
        raise CborUnavailableError("CBOR payload needs the cbor2 package (Debian: apt-get install"
                                   " python3-cbor2; pip install cbor2)") from None
    return cbor2


def _have_cbor2():
    try:
        _cbor2()
        return True
    except CborUnavailableError:
        return False


def encode_payload(value, payload_format=JSON):
    """The serialized value: compact UTF-8 JSON (as Jackson writes it) or CBOR."""
    if payload_format not in PAYLOAD_FORMATS:
        raise CachetCompatError("payload_format must be 'json' or 'cbor': %r" % (payload_format,))
    encoder = _cbor2().dumps if payload_format == CBOR else None
    try:
        if encoder is not None:
            return encoder(value)
        # no NaN/Infinity: Java's JSON reader refuses them
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeError) as e:
        raise CachetCompatError("the value cannot be written as %s (%s): use dicts, lists, str, int, finite"
                                " float, bool" % (payload_format.upper(), type(e).__name__)) from None


def decode_payload(payload, payload_format=JSON):
    if payload_format == JSON:
        return json.loads(payload.decode("utf-8"))
    return _cbor2().loads(payload)


def seal_plaintext(redis_key, payload, expires_at_millis, deflate=False, payload_format=JSON):
    """The sealed envelope (the Fernet plaintext) around already serialized bytes."""
    flags = PAYLOAD_FORMATS[payload_format] << PAYLOAD_FORMAT_SHIFT
    if deflate:
        payload = zlib.compress(payload)
        flags |= FLAG_DEFLATED
    return bytes([SEALED_FORMAT, flags]) + struct.pack(">q", expires_at_millis) + key_digest(redis_key) \
        + payload


class Opened:
    """What opening a stored token gave: value (None on failure), expires_at_millis, failure reason."""

    __slots__ = ("value", "expires_at_millis", "failure")

    def __init__(self, value=None, expires_at_millis=None, failure=None):
        self.value, self.expires_at_millis, self.failure = value, expires_at_millis, failure

    @property
    def ok(self):
        return self.failure is None

    def __repr__(self):
        return "Opened(ok)" if self.ok else "Opened(failure=%s)" % self.failure


def open_token(ring, token, redis_key, now_millis, value_format=SEALED, max_value_size=DEFAULT_MAX_VALUE_SIZE,
               plain_expires_at_millis=None):
    """Opens a stored token as Cachet's ValueCodec does; now_millis is the Redis server's time.

    Never raises for a bad token: the failure is in Opened.failure (authentication, format,
    key_binding, expired, deserialize, unsupported_format: an unassigned payload format id, or CBOR
    without cbor2).
    """
    if isinstance(token, str):
        token = token.encode("ascii", "replace")
    if not _fernet_structure_ok(token):
        return Opened(failure=FORMAT)
    try:
        plaintext = ring.decrypt(token)
    except InvalidToken:
        return Opened(failure=AUTHENTICATION)
    if value_format == PLAIN_JSON:
        try:
            value = json.loads(plaintext.decode("utf-8"))
        except ValueError:
            return Opened(failure=DESERIALIZE)
        if value is None:
            return Opened(failure=DESERIALIZE)
        return Opened(value, plain_expires_at_millis)
    if len(plaintext) < HEADER or plaintext[0] != SEALED_FORMAT:
        return Opened(failure=FORMAT)
    flags = plaintext[1]
    if flags & ~(FLAG_DEFLATED | PAYLOAD_FORMAT_MASK):
        return Opened(failure=FORMAT)
    fmt_id = (flags & PAYLOAD_FORMAT_MASK) >> PAYLOAD_FORMAT_SHIFT
    (expires_at,) = struct.unpack(">q", plaintext[2:10])
    if not hmac.compare_digest(plaintext[10:HEADER], key_digest(redis_key)):
        return Opened(failure=KEY_BINDING)
    if expires_at <= now_millis - EXPIRY_SKEW_ALLOWANCE_MILLIS:
        return Opened(failure=EXPIRED)
    if fmt_id not in (0, 1) or (fmt_id == 1 and not _have_cbor2()):
        return Opened(failure=UNSUPPORTED_FORMAT)
    payload = plaintext[HEADER:]
    if flags & FLAG_DEFLATED:
        try:
            inflater = zlib.decompressobj()
            payload = inflater.decompress(payload, max_value_size + 1)
            if len(payload) > max_value_size or not inflater.eof:
                return Opened(failure=FORMAT)
        except zlib.error:
            return Opened(failure=FORMAT)
    try:
        value = decode_payload(payload, CBOR if fmt_id == 1 else JSON)
    except Exception:  # noqa: BLE001 - any decoder error is a deserialize failure, as in Java
        return Opened(failure=DESERIALIZE)
    if value is None:
        return Opened(failure=DESERIALIZE)
    return Opened(value, expires_at)


# ------------------------------------------------------------------------------------------ coherence

def encode_message(origin, sequence, kind, flags="", items=()):
    """A cachet2 message: 'cachet2 origin sequence kind flags [len:item]...' (lengths in UTF-16 units)."""
    parts = ["cachet2", origin, str(sequence), kind, flags or "-"]
    text = " ".join(parts)
    for item in items:
        text += " %d:%s" % (len(item.encode("utf-16-le")) // 2, item)
    return text


def decode_message(text):
    """Parses a cachet2 (or cachet1) message into a dict, or None when malformed (as CoherenceMessage)."""
    try:
        if text.startswith("cachet2 "):
            version = 2
        elif text.startswith("cachet1 "):
            version = 1
        else:
            return None
        units = text.encode("utf-16-le")  # lengths count UTF-16 code units

        def sub(a, b):
            return units[2 * a:2 * b].decode("utf-16-le", "surrogatepass")

        n = len(units) // 2
        u = [units[2 * i:2 * i + 2] for i in range(n)]
        sp, colon = " ".encode("utf-16-le"), ":".encode("utf-16-le")

        def index(ch, start):
            for i in range(start, n):
                if u[i] == ch:
                    return i
            return -1

        pos = 8
        space = index(sp, pos)
        if space < 0:
            return None
        origin = sub(pos, space)
        pos = space + 1
        space = index(sp, pos)
        if space < 0:
            return None
        seq_text = sub(pos, space)
        if not re.fullmatch(r"[+-]?[0-9]+", seq_text):
            return None
        sequence = int(seq_text)
        pos = space + 1
        kind = sub(pos, pos + 1)
        if origin == "" or sequence < 0 or sequence >= 1 << 63 or not ("A" <= kind <= "Z"):
            return None
        pos += 1
        flags = ""
        if version == 2:
            if pos >= n or u[pos] != sp:
                return None
            end = index(sp, pos + 1)
            end = n if end < 0 else end
            flags = sub(pos + 1, end)
            if flags == "-":
                flags = ""
            elif flags == "" or not re.fullmatch(r"[a-z]+", flags):
                return None
            pos = end
        elif kind not in "ICH":
            return None
        items = []
        while pos < n:
            if u[pos] != sp:
                return None
            c = index(colon, pos + 1)
            if c < 0:
                return None
            length_text = sub(pos + 1, c)
            if not re.fullmatch(r"[+-]?[0-9]+", length_text):
                return None
            length = int(length_text)
            start = c + 1
            if length < 0 or start + length > n:
                return None
            items.append(sub(start, start + length))
            pos = start + length
        if kind in "CHB" and items:
            return None
        if kind == "T" and len(items) != 1:
            return None
        return {"version": version, "origin": origin, "sequence": sequence, "kind": kind, "flags": flags,
                "items": items}
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _new_origin():
    n = random.SystemRandom().getrandbits(63)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


class _Publisher:
    """Publishes each change under a fresh origin with sequence 1, followed by that origin's goodbye (B).

    A fresh origin per publication means a Java receiver never sees a gap it cannot explain: an origin it
    already forgot, reappearing with a higher number while it confirms its subscription, would count as a
    possible loss and make its older memory entries suspect for the memory TTL.
    """

    def __init__(self, sharded):
        self.sharded = sharded
        self.last_origin = None

    def publish(self, redis, channel, kind, flags="", items=()):
        origin = _new_origin()
        self.last_origin = origin
        n = 1
        message = encode_message(origin, n, kind, flags, items)
        # then goodbye: Java instances would otherwise wait for this origin's heartbeats and, after
        # the bound, count it as silent (fail-safe) and lost
        goodbye = encode_message(origin, n, "B")
        if self.sharded:
            # to the shard of the channel's slot, one after the other (redis-py's cluster client does
            # not know SPUBLISH's channel is what routes it)
            node_of = getattr(redis, "get_node_from_key", None)
            route = {} if node_of is None else {"target_nodes": node_of(channel)}
            redis.execute_command("SPUBLISH", channel, message, **route)
            redis.execute_command("SPUBLISH", channel, goodbye, **route)
            return
        pipe = redis.pipeline(transaction=False)
        pipe.execute_command("PUBLISH", channel, message)
        pipe.execute_command("PUBLISH", channel, goodbye)
        pipe.execute()


# ------------------------------------------------------------------------------------------- the cache

def _ttl_millis(ttl):
    if isinstance(ttl, timedelta):
        millis = int(ttl.total_seconds() * 1000)
    elif isinstance(ttl, (int, float)) and not isinstance(ttl, bool):
        millis = int(ttl * 1000)
    else:
        raise CachetCompatError("ttl must be seconds (int or float) or a timedelta: %r" % (type(ttl),))
    if millis < 1:
        raise CachetCompatError("ttl must be positive (at least 1 ms)")
    return millis


def _as_int(v):
    return int(v.decode("ascii") if isinstance(v, bytes) else v)


class CachetCache:
    """One named Cachet cache (optionally one tenant of it) in a Redis shared with Java instances.

    redis: a redis-py client (redis.Redis) or anything with eval/get/set/unlink/pttl/pipeline.
    keys: the Fernet key ring, 'k1,k2' primary first (CACHET_ENCRYPTION_KEYS), a list, or a MultiFernet.
    naming_secret / naming_scheme: as the Java cache's keyNameHasher (None: names readable).
    value_format: 'sealed' (default) or 'plain_json', as RedisValueFormat.
    payload_format: 'json' (default) or 'cbor' for what write() seals (reads accept both).
    compression_threshold: deflate sealed payloads of at least this many bytes (None: off).
    sharded: publish with SPUBLISH (Redis Cluster), as Java does on a cluster.
    delete_bad_entries: delete entries that fail to open (not 'deserialize' nor 'unsupported_format'), as
      Java does by default.

    Thread-safe. Redis errors propagate as the client's exceptions.
    """

    def __init__(self, redis, cache, keys, *, prefix=DEFAULT_KEY_PREFIX, tenant=None, naming_secret=None,
                 naming_scheme=1, value_format=SEALED, payload_format=JSON, compression_threshold=None,
                 schema_version=DEFAULT_SCHEMA_VERSION, max_value_size=DEFAULT_MAX_VALUE_SIZE, sharded=False,
                 delete_bad_entries=True, _shared=None):
        if value_format not in (SEALED, PLAIN_JSON):
            raise CachetCompatError("value_format must be 'sealed' or 'plain_json': %r" % (value_format,))
        if payload_format not in PAYLOAD_FORMATS:
            raise CachetCompatError("payload_format must be 'json' or 'cbor': %r" % (payload_format,))
        if value_format == PLAIN_JSON and (payload_format != JSON or compression_threshold is not None):
            raise CachetCompatError("plain_json stores bare JSON: no CBOR and no compression")
        if payload_format == CBOR:
            _cbor2()
        self.redis = redis
        self.value_format = value_format
        self.payload_format = payload_format
        self.compression_threshold = compression_threshold
        self.max_value_size = max_value_size
        self.delete_bad_entries = delete_bad_entries
        self.last_failure = None
        if isinstance(naming_secret, str) and not naming_secret.strip():
            naming_secret = None  # an empty variable means unset, as in Java's CachetEnvironment
        if _shared is None:
            hasher = None if naming_secret is None else KeyNameHasher(naming_secret, naming_scheme)
            layout = KeyLayout(cache, prefix, schema_version, None, hasher)
            _shared = {"ring": parse_key_ring(keys), "publisher": _Publisher(sharded), "root": layout,
                       "seen": {}, "lock": threading.Lock()}
        self._shared = _shared
        self.ring = _shared["ring"]
        self.layout = _shared["root"] if tenant is None else _shared["root"].for_tenant(tenant)

    def for_tenant(self, tenant):
        """The same cache seen as one tenant (shares ring, naming and publisher)."""
        return CachetCache(self.redis, self.layout.cache, None, tenant=tenant, value_format=self.value_format,
                           payload_format=self.payload_format, compression_threshold=self.compression_threshold,
                           max_value_size=self.max_value_size, delete_bad_entries=self.delete_bad_entries,
                           _shared=self._shared)

    @property
    def last_origin(self):
        """The origin id of this cache's last publication (each publication has its own), or None."""
        return self._shared["publisher"].last_origin

    def __repr__(self):
        return "CachetCache(%s, %s, secrets hidden)" % (self.layout.cache, self.value_format)

    # -------------------------------------------------------------------------------- generations

    def _seen(self, name):
        with self._shared["lock"]:
            return self._shared["seen"].get(name, 0)

    def _observe(self, name, generation):
        with self._shared["lock"]:
            if generation > self._shared["seen"].get(name, 0):
                self._shared["seen"][name] = generation

    def _generation(self, mode="ensure"):
        """(generation segment, server time in ms): the cache's generation and, for a tenant, '.' and
        the tenant's, read (or bumped) with Cachet's own scripts."""
        layout = self.layout
        now = str(int(time.time() * 1000))
        reply = self.redis.eval(GENERATION_SCRIPT, 1, layout.generation_key, mode, now,
                                str(self._seen("")))
        generation = _as_int(reply[0])
        server_millis = _as_int(reply[1]) * 1000 + _as_int(reply[2]) // 1000
        self._observe("", generation)
        if layout.tenant is None:
            return str(generation), server_millis
        seg = layout.tenant_segment
        tenant_reply = self.redis.eval(TENANT_GENERATIONS_SCRIPT, 1, layout.tenant_generations_key, "ensure",
                                       seg, str(self._seen(seg)))
        tenant_generation = _as_int(tenant_reply[0])
        self._observe(seg, tenant_generation)
        return "%d.%d" % (generation, tenant_generation), server_millis

    def entry_key(self, key):
        """The Redis key of an encoded key in the current generation."""
        return self.layout.entry_key(self._generation()[0], self._check_key(key))

    @staticmethod
    def _check_key(key):
        if not isinstance(key, str):
            raise CachetCompatError("key must be a str (the encoded key, as the cache's KeyCodec writes"
                                    " it): got %s" % type(key).__name__)
        return key

    # -------------------------------------------------------------------------------- operations

    def read(self, key):
        """The value of key, or None on a miss (absent, expired, or a token that does not open: see
        last_failure)."""
        self._check_key(key)
        generation, server_now = self._generation()
        rk = self.layout.entry_key(generation, key)
        try:
            token = self.redis.get(rk)
        except Exception as e:  # noqa: BLE001
            if "WRONGTYPE" in str(e):
                self.last_failure = FORMAT
                if self.delete_bad_entries:
                    self.redis.eval(DELETE_IF_NOT_STRING_SCRIPT, 1, rk)
                return None
            raise
        if token is None:
            return None
        opened = open_token(self.ring, token, rk, server_now, self.value_format, self.max_value_size)
        if opened.ok:
            return opened.value
        self.last_failure = opened.failure
        if self.delete_bad_entries and opened.failure not in (DESERIALIZE, UNSUPPORTED_FORMAT):
            self.redis.eval(COMPARE_AND_DELETE_SCRIPT, 1, rk, token)
        return None

    def write(self, key, value, ttl):
        """Stores value (JSON- or CBOR-serializable, not None) for ttl (seconds or timedelta), then tells
        every Java instance to drop key from memory."""
        self._check_key(key)
        if value is None:
            raise CachetCompatError("value must not be None (Cachet stores no nulls)")
        ttl_ms = _ttl_millis(ttl)
        payload = encode_payload(value, self.payload_format)
        if len(payload) > self.max_value_size:
            raise CachetCompatError("value is %d bytes serialized; the maximum is %d bytes"
                                    % (len(payload), self.max_value_size))
        generation, server_now = self._generation()
        rk = self.layout.entry_key(generation, key)
        if self.value_format == PLAIN_JSON:
            plaintext = payload
        else:
            deflate = False
            if self.compression_threshold is not None and len(payload) >= self.compression_threshold:
                deflate = len(zlib.compress(payload)) < len(payload)
            plaintext = seal_plaintext(rk, payload, server_now + ttl_ms, deflate, self.payload_format)
        token = self.ring.encrypt(plaintext)
        self.redis.set(rk, token, px=ttl_ms)
        self._publish_items([key])

    def invalidate(self, key):
        """Deletes key from Redis and from every Java instance's memory."""
        self._check_key(key)
        generation, _ = self._generation()
        self.redis.unlink(self.layout.entry_key(generation, key))
        self._publish_items([key])

    def invalidate_all(self):
        """Bumps the cache's generation (a tenant's own, for a tenant view) with Cachet's script, so no
        older entry is read again, and clears every Java instance's memory of it (C, or T for a
        tenant). Older entries stay in Redis until their TTL (Java's cleanup removes them later)."""
        layout = self.layout
        publisher = self._shared["publisher"]
        if layout.tenant is None:
            reply = self.redis.eval(GENERATION_SCRIPT, 1, layout.generation_key, "bump",
                                    str(int(time.time() * 1000)), str(self._seen("")))
            self._observe("", _as_int(reply[0]))
            publisher.publish(self.redis, layout.channel, "C")
        else:
            seg = layout.tenant_segment
            reply = self.redis.eval(TENANT_GENERATIONS_SCRIPT, 1, layout.tenant_generations_key, "bump", seg,
                                    str(self._seen(seg)))
            self._observe(seg, _as_int(reply[0]))
            publisher.publish(self.redis, layout.channel, "T", "", [layout.announced_tenant()])

    def _publish_items(self, keys):
        flags = "" if self.layout.hasher is None else "h"
        self._shared["publisher"].publish(self.redis, self.layout.channel, "I", flags,
                                          [self.layout.message_item(k) for k in keys])
