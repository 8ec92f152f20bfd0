"""Tests of cachet_compat (stdlib unittest): the shared wire vectors, and real Redis.

    cd python && CACHET_TEST_REDIS_PORT=6379 python3 -m unittest test_cachet_compat

The Redis tests need CACHET_TEST_REDIS_URL or CACHET_TEST_REDIS_PORT (the Maven integration test
PythonCompanionIntegrationTests starts Redis and sets them) and the redis package; without them they
are skipped, unless CI is set: then they fail. The cross-language tests (Java writes, Python reads and
the other way round; Java memory tiers invalidated by Python) are in PythonCompanionIntegrationTests.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cachet_compat as cc  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from cryptography.hazmat.primitives import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

VECTORS = os.path.join(HERE, "..", "src", "test", "resources", "wire-vectors")
IN_CI = bool(os.environ.get("CI"))


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def fernet_token(key_b64, plaintext, timestamp, iv):
    """Fernet from the spec with a fixed timestamp and IV (deterministic tokens)."""
    key = base64.urlsafe_b64decode(key_b64)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + timestamp.to_bytes(8, "big") + iv + enc.update(padded) + enc.finalize()
    return base64.urlsafe_b64encode(body + hmac.new(key[:16], body, hashlib.sha256).digest()).decode()


def have_cbor():
    try:
        import cbor2  # noqa: F401
        return True
    except ImportError:
        return False


class WireVectorTests(unittest.TestCase):
    """The vectors Java's WireVectorsTests, FernetWireVectorsTests and CoherenceWireVectorsTests check."""

    def test_key_layout(self):
        data = load("key-layout.json")
        self.assertGreaterEqual(len(data["cases"]), 8)
        for c in data["cases"]:
            with self.subTest(case=c["entry_key"]):
                scheme = c["naming_scheme"]
                hasher = None if scheme == 0 else cc.KeyNameHasher(data["naming_secret"], scheme)
                lay = cc.KeyLayout(c["cache"], c["prefix"], c["schema_version"], c["tenant"], hasher)
                self.assertEqual(lay.entry_key(c["generation"], c["key"]), c["entry_key"])
                self.assertEqual(lay.tenant_segment, c["tenant_segment"])
                self.assertEqual(lay.hidden_name(c["key"]), c["hidden_name"])
                self.assertEqual(None if c["tenant"] is None else lay.announced_tenant(), c["announced_tenant"])
                self.assertEqual(lay.message_item(c["key"]), c["message_item"])
                self.assertEqual(lay.generation_key, c["generation_key"])
                self.assertEqual(lay.tenant_generations_key, c["tenant_generations_key"])
                self.assertEqual(lay.channel, c["channel"])
                flags = "" if hasher is None else "h"
                self.assertEqual(cc.encode_message("py7", 7, "I", flags, [c["message_item"]]),
                                 c["invalidate_message"])

    def test_documented_stdlib_snippets_agree(self):
        # docs/security.md's scheme-1 snippet, written out
        data = load("key-layout.json")
        secret = base64.urlsafe_b64decode(data["naming_secret"])
        prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
        naming_key = hmac.new(prk, b"cachet key-name hashing v1\x01", hashlib.sha256).digest()
        c = data["cases"][2]
        digest = hmac.new(naming_key, c["key"].encode("utf-8"), hashlib.sha256).digest()
        self.assertEqual(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), c["hidden_name"])

    def test_accepted_envelopes_open_and_tokens_are_deterministic(self):
        data = load("envelopes.json")
        ring = cc.parse_key_ring([data["key_1"], data["key_2"]])
        for c in data["accepted"]:
            with self.subTest(case=c["name"]):
                plaintext = bytes.fromhex(c["plaintext_hex"])
                self.assertEqual(fernet_token(c["key"], plaintext, c["fernet_timestamp"], bytes.fromhex(c["iv_hex"])),
                                 c["token"])
                if c["payload_format"] == "cbor" and not have_cbor():
                    # a miss that is never deleted, as in Java without jackson-dataformat-cbor
                    opened = cc.open_token(ring, c["token"], c["redis_key"], data["now_millis"], c["value_format"])
                    self.assertEqual(opened.failure, cc.UNSUPPORTED_FORMAT)
                    continue
                opened = cc.open_token(ring, c["token"], c["redis_key"], data["now_millis"], c["value_format"],
                                       plain_expires_at_millis=7)
                self.assertIsNone(opened.failure)
                self.assertEqual(opened.value, c["value"])
                payload = bytes.fromhex(c["payload_hex"])
                self.assertEqual(cc.encode_payload(c["value"], c["payload_format"]), payload)
                if c["value_format"] == "plain_json":
                    self.assertEqual(opened.expires_at_millis, 7)
                    self.assertEqual(payload, plaintext)
                    continue
                self.assertEqual(opened.expires_at_millis, c["expires_at_millis"])
                sealed = cc.seal_plaintext(c["redis_key"], payload, c["expires_at_millis"], c["deflated"],
                                           c["payload_format"])
                self.assertEqual(sealed[:cc.HEADER], plaintext[:cc.HEADER])
                if c["deflated"]:
                    self.assertEqual(zlib.decompress(sealed[cc.HEADER:]), payload)
                    self.assertEqual(zlib.decompress(plaintext[cc.HEADER:]), payload)
                else:
                    self.assertEqual(sealed, plaintext)

    def test_refused_envelopes_fail_for_the_same_reason_as_in_java(self):
        data = load("envelopes.json")
        ring = cc.parse_key_ring(data["key_1"] + "," + data["key_2"])
        for c in data["refused"]:
            with self.subTest(case=c["name"]):
                opened = cc.open_token(ring, c["token"], c["redis_key"], data["now_millis"], c["value_format"])
                self.assertIsNone(opened.value)
                self.assertEqual(opened.failure, c["failure"])

    def test_messages(self):
        data = load("messages.json")
        for m in data["messages"]:
            with self.subTest(text=m["text"]):
                self.assertEqual(cc.encode_message(m["origin"], m["sequence"], m["kind"], m["flags"], m["items"]),
                                 m["text"])
                self.assertEqual(cc.decode_message(m["text"]),
                                 {"version": 2, "origin": m["origin"], "sequence": m["sequence"],
                                  "kind": m["kind"], "flags": m["flags"], "items": m["items"]})
        for m in data["legacy"]:
            self.assertEqual(cc.decode_message(m["text"]),
                             {"version": 1, "origin": m["origin"], "sequence": m["sequence"], "kind": m["kind"],
                              "flags": m["flags"], "items": m["items"]})
        for text in data["malformed"]:
            with self.subTest(text=text):
                self.assertIsNone(cc.decode_message(text))

    def test_scripts_are_javas(self):
        data = load("scripts.json")
        self.assertEqual(cc.GENERATION_SCRIPT, data["generation"])
        self.assertEqual(cc.TENANT_GENERATIONS_SCRIPT, data["tenant_generations"])
        self.assertEqual(cc.COMPARE_AND_DELETE_SCRIPT, data["compare_and_delete"])
        self.assertEqual(cc.DELETE_IF_NOT_STRING_SCRIPT, data["delete_if_not_string"])


class ConfigurationTests(unittest.TestCase):

    def test_bad_input_is_named_without_key_material(self):
        key = Fernet.generate_key().decode()
        with self.assertRaisesRegex(cc.CachetCompatError, "cache name"):
            cc.KeyLayout("Users")
        with self.assertRaisesRegex(cc.CachetCompatError, "tenant id"):
            cc.KeyLayout("users", tenant="a:b")
        with self.assertRaisesRegex(cc.CachetCompatError, "at least 32 bytes"):
            cc.KeyNameHasher(base64.urlsafe_b64encode(b"short").decode())
        with self.assertRaises(cc.CachetCompatError) as e:
            cc.parse_key_ring("not-a-key," + key)
        self.assertNotIn(key, str(e.exception))
        with self.assertRaisesRegex(cc.CachetCompatError, "plain_json"):
            cc.CachetCache(None, "users", key, value_format="plain_json", compression_threshold=10)
        with self.assertRaisesRegex(cc.CachetCompatError, "cannot be written as JSON") as e:
            cc.encode_payload({"secret-value": float("nan")})
        self.assertNotIn("secret-value", str(e.exception))
        with self.assertRaisesRegex(cc.CachetCompatError, "cannot be written as JSON"):
            cc.encode_payload({"a": object()})
        cache = cc.CachetCache(None, "users", key, naming_secret=base64.urlsafe_b64encode(b"s" * 32).decode())
        self.assertNotIn(key, repr(cache))
        self.assertNotIn("c3Nz", repr(cache.layout.hasher))

    def test_cbor_without_cbor2_is_a_clear_error(self):
        saved = sys.modules.get("cbor2")
        sys.modules["cbor2"] = None  # makes `import cbor2` raise ImportError
        try:
            with self.assertRaisesRegex(cc.CborUnavailableError, "python3-cbor2"):
                cc.encode_payload({"a": 1}, cc.CBOR)
            with self.assertRaisesRegex(cc.CborUnavailableError, "cbor2"):
                cc.CachetCache(None, "users", Fernet.generate_key(), payload_format="cbor")
            # reading a CBOR entry without cbor2 is a miss that is never deleted, as in Java
            ring = cc.parse_key_ring(Fernet.generate_key().decode("ascii"))
            rk = "cachet:users:v1:g1:-:k:user:42"
            token = ring.encrypt(cc.seal_plaintext(rk, b"\xa0", 2_000_000, payload_format=cc.CBOR))
            self.assertEqual(cc.open_token(ring, token, rk, 1_000_000).failure, cc.UNSUPPORTED_FORMAT)
        finally:
            if saved is None:
                del sys.modules["cbor2"]
            else:
                sys.modules["cbor2"] = saved


def redis_client():
    url = os.environ.get("CACHET_TEST_REDIS_URL")
    port = os.environ.get("CACHET_TEST_REDIS_PORT")
    reason = None
    if not url and not port:
        reason = "no Redis: set CACHET_TEST_REDIS_PORT (PythonCompanionIntegrationTests does)"
    try:
        import redis
    except ImportError:
        redis = None
        reason = reason or "the redis package is missing (apt-get install python3-redis)"
    if reason:
        if IN_CI:
            raise AssertionError(reason + "; CI is set, so the Python companion tests must run")
        raise unittest.SkipTest(reason)
    if url:
        return redis.Redis.from_url(url)
    return redis.Redis(host=os.environ.get("CACHET_TEST_REDIS_HOST", "127.0.0.1"), port=int(port))


class RedisTests(unittest.TestCase):
    """Python against real Redis: round trips, generations, tenants, messages, bad entries."""

    @classmethod
    def setUpClass(cls):
        cls.redis = redis_client()
        cls.prefix = os.environ.get("CACHET_TEST_REDIS_PREFIX", "pytest") + "." + uuid.uuid4().hex[:8]
        cls.k1 = Fernet.generate_key().decode()
        cls.k2 = Fernet.generate_key().decode()
        cls.secret = base64.urlsafe_b64encode(os.urandom(32)).decode()

    def cache(self, name="users", **kw):
        kw.setdefault("prefix", self.prefix)
        return cc.CachetCache(self.redis, name, kw.pop("keys", self.k1), **kw)

    def subscribe(self, cache):
        p = self.redis.pubsub(ignore_subscribe_messages=True)
        p.subscribe(cache.layout.channel)
        deadline = time.time() + 10
        while p.subscribed is False and time.time() < deadline:
            p.get_message(timeout=0.1)
        return p

    def messages(self, p, n):
        out, deadline = [], time.time() + 10
        while len(out) < n and time.time() < deadline:
            m = p.get_message(timeout=0.5)
            if m and m["type"] == "message":
                out.append(cc.decode_message(m["data"].decode("utf-8")))
        return out

    def test_round_trip_every_format_and_naming(self):
        for fmt in ("sealed", "plain_json"):
            for scheme in (0, 1, 2):
                for tenant in (None, "acme"):
                    with self.subTest(fmt=fmt, scheme=scheme, tenant=tenant):
                        c = self.cache("rt-%s-%d" % (fmt.replace("_", "-"), scheme), value_format=fmt,
                                       naming_secret=self.secret if scheme else None, naming_scheme=scheme or 1,
                                       compression_threshold=16 if fmt == "sealed" else None)
                        view = c if tenant is None else c.for_tenant(tenant)
                        value = {"id": "42", "note": "ünïcødé ✓ " * 10}
                        view.write("user:42", value, ttl=60)
                        self.assertEqual(view.read("user:42"), value)
                        rk = view.entry_key("user:42")
                        self.assertEqual("user:42" in rk, scheme == 0)
                        pttl = self.redis.pttl(rk)
                        self.assertTrue(0 < pttl <= 60000, pttl)
                        view.invalidate("user:42")
                        self.assertIsNone(view.read("user:42"))
                        self.assertEqual(self.redis.exists(rk), 0)

    @unittest.skipUnless(have_cbor() or IN_CI, "cbor2 is not installed (python3-cbor2)")
    def test_cbor_round_trip_sets_payload_format_1(self):
        c = self.cache("cbor", payload_format="cbor", compression_threshold=0)
        value = {"id": "42", "blob": "x" * 200, "n": [1, 2, 3]}
        c.write("k", value, ttl=60)
        self.assertEqual(c.read("k"), value)
        plaintext = c.ring.decrypt(self.redis.get(c.entry_key("k")))
        self.assertEqual(plaintext[1], 0b011)  # CBOR, deflated
        self.assertEqual(self.cache("cbor").read("k"), value)  # a JSON-writing reader reads CBOR too

    def test_key_ring_rotation_first_key_encrypts_all_decrypt(self):
        old = self.cache("ring", keys=[self.k1])
        new = self.cache("ring", keys=[self.k2, self.k1])
        old.write("a", "from old", ttl=60)
        new.write("b", "from new", ttl=60)
        self.assertEqual(new.read("a"), "from old")
        self.assertIsNone(old.read("b"))
        self.assertEqual(old.last_failure, cc.AUTHENTICATION)
        self.assertIsNone(new.read("b"), "the old instance deleted the entry it could not open")

    def test_invalidate_all_bumps_the_generation_with_server_microseconds(self):
        c = self.cache("gen")
        c.write("a", 1, ttl=60)
        g1 = int(self.redis.get(c.layout.generation_key))
        seconds, micros = self.redis.time()
        self.assertLessEqual(abs(g1 - (seconds * 1_000_000 + micros)), 120_000_000, "server microseconds")
        c.invalidate_all()
        g2 = int(self.redis.get(c.layout.generation_key))
        self.assertGreater(g2, g1)
        self.assertIsNone(c.read("a"))
        c.write("a", 2, ttl=60)
        self.assertIn(":g%d:" % g2, c.entry_key("a"))
        # a lost generation key is recreated above every generation seen
        self.redis.delete(c.layout.generation_key)
        self.assertIsNone(c.read("a"))
        self.assertGreater(int(self.redis.get(c.layout.generation_key)), g2)

    def test_tenant_invalidate_all_bumps_only_that_tenant(self):
        c = self.cache("tenants", naming_secret=self.secret, naming_scheme=2)
        acme, other = c.for_tenant("acme"), c.for_tenant("other")
        acme.write("k", "a", ttl=60)
        other.write("k", "o", ttl=60)
        c.write("k", "root", ttl=60)
        acme.invalidate_all()
        self.assertIsNone(acme.read("k"))
        self.assertEqual(other.read("k"), "o")
        self.assertEqual(c.read("k"), "root")
        fields = self.redis.hkeys(c.layout.tenant_generations_key)
        self.assertEqual(sorted(f.decode() for f in fields),
                         sorted([acme.layout.tenant_segment, other.layout.tenant_segment]))
        self.assertTrue(all(f.startswith(b"h.") for f in fields), "scheme 2 hides tenant ids")

    def test_every_change_publishes_a_cachet2_message_then_its_goodbye(self):
        c = self.cache("bus", naming_secret=self.secret, naming_scheme=2)
        acme = c.for_tenant("acme")
        p = self.subscribe(c)
        try:
            c.write("k", "v", ttl=60)
            acme.invalidate("k")
            c.invalidate_all()
            acme.invalidate_all()
            got = self.messages(p, 8)
        finally:
            p.close()
        self.assertEqual([m["kind"] for m in got], ["I", "B", "I", "B", "C", "B", "T", "B"])
        origins = [m["origin"] for m in got]
        self.assertEqual(origins[0::2], origins[1::2], "each message's goodbye names its origin")
        self.assertEqual(len(set(origins)), 4, "a fresh origin per publication")
        self.assertEqual(origins[-1], c.last_origin)
        self.assertEqual([m["sequence"] for m in got], [1] * 8)
        self.assertEqual(got[0]["flags"], "h")
        self.assertEqual(got[0]["items"], ["-:" + c.layout.hidden_name("k")])
        self.assertEqual(got[2]["items"], [acme.layout.message_item("k")])
        self.assertTrue(got[2]["items"][0].startswith("h."))
        self.assertEqual(got[6]["items"], [acme.layout.announced_tenant()])
        self.assertNotIn("acme", json.dumps(got))

    def test_bad_entries_are_misses_with_a_reason_and_deleted(self):
        c = self.cache("bad")
        c.write("k", "v", ttl=60)
        rk = c.entry_key("k")
        token = self.redis.get(rk).decode()
        i = len(token) // 2
        self.redis.set(rk, token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:])
        self.assertIsNone(c.read("k"))
        self.assertEqual(c.last_failure, cc.AUTHENTICATION)
        self.assertEqual(self.redis.exists(rk), 0)
        self.redis.set(rk, Fernet(self.k2).encrypt(b"\xc1"))
        self.assertIsNone(c.read("k"))
        self.assertEqual(c.last_failure, cc.AUTHENTICATION)
        c.write("other", "v", ttl=60)
        self.redis.set(rk, self.redis.get(c.entry_key("other")))
        self.assertIsNone(c.read("k"))
        self.assertEqual(c.last_failure, cc.KEY_BINDING)
        self.redis.rpush(rk, "a list")
        self.assertIsNone(c.read("k"))
        self.assertEqual(c.last_failure, cc.FORMAT)
        self.assertEqual(self.redis.exists(rk), 0)


class DocsSnippetTest(unittest.TestCase):
    """docs/python.md's quick start: at most 10 lines, and it works against real Redis."""

    def test_python_quickstart_runs(self):
        with open(os.path.join(HERE, "..", "docs", "python.md"), encoding="utf-8") as f:
            doc = f.read()
        block = doc.split("<!-- python-quickstart:start -->")[1].split("<!-- python-quickstart:end -->")[0]
        code = block.split("```python\n")[1].split("```")[0]
        lines = [line for line in code.splitlines() if line.strip()]
        self.assertLessEqual(len(lines), 10, "a Python user shares a cache in at most 10 lines")
        client = redis_client()
        kw = client.connection_pool.connection_kwargs
        url = os.environ.get("CACHET_TEST_REDIS_URL") or "redis://%s:%d" % (kw["host"], kw["port"])
        env = {"CACHET_REDIS_URL": url, "CACHET_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
               "CACHET_KEY_NAMING_SECRET": base64.urlsafe_b64encode(os.urandom(32)).decode()}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        original = cc.CachetCache
        prefix = os.environ.get("CACHET_TEST_REDIS_PREFIX", "pytest") + ".doc" + uuid.uuid4().hex[:8]
        # the snippet's keys go under this test's prefix (the harness Redis may be shared)
        cc.CachetCache = lambda *a, **kw: original(*a, prefix=prefix, **kw)
        try:
            namespace = {}
            exec(compile(code, "docs/python.md", "exec"), namespace)  # noqa: S102 - our own documentation
        finally:
            cc.CachetCache = original
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.assertEqual(namespace["user"], {"id": "42", "name": "Ada"})
        self.assertIsNone(namespace["users"].read("42"))


if __name__ == "__main__":
    unittest.main()
