"""Regenerates the wire vectors (deterministic: fixed keys, secrets, timestamps and IVs).

    python3 src/test/resources/wire-vectors/generate.py

Run only when the wire format changes on purpose; the Java tests (dev.cachet.redis.WireVectorsTests,
dev.cachet.crypto.FernetWireVectorsTests, dev.cachet.tiered.CoherenceWireVectorsTests) and
python/test_cachet_compat.py check every file here.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "python"))

import cachet_compat as cc  # noqa: E402
from cryptography.hazmat.primitives import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402


def fernet_token(key_b64, plaintext, timestamp, iv):
    """Fernet, from the spec, with a fixed timestamp and IV."""
    key = base64.urlsafe_b64decode(key_b64)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + timestamp.to_bytes(8, "big") + iv + enc.update(padded) + enc.finalize()
    return base64.urlsafe_b64encode(body + hmac.new(key[:16], body, hashlib.sha256).digest()).decode()


def b64key(seed):
    return base64.urlsafe_b64encode(hashlib.sha256(seed).digest()).decode()


K1, K2, K3 = b64key(b"cachet wire vector key 1"), b64key(b"cachet wire vector key 2"), b64key(b"foreign key")
SECRET = base64.urlsafe_b64encode(hashlib.sha256(b"cachet wire vector naming secret").digest()).decode()
TS = 1767225600            # 2026-01-01T00:00:00Z, Fernet timestamp (seconds)
NOW = 1767225600000        # the Redis server's time the reader uses (ms)
EXPIRES = NOW + 3_600_000
GEN = "1767225600000001"
TGEN = "1767225600000001.1767225600000002"


def iv(n):
    return hashlib.sha256(b"iv %d" % n).digest()[:16]


def write(name, data):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


# ---------------------------------------------------------------- key layout and hidden names
layouts = []
specs = [
    ("cachet", "users", 1, None, 0, GEN, "user:42"),
    ("cachet", "users", 1, "acme", 0, TGEN, "user:42"),
    ("cachet", "users", 1, None, 1, GEN, "user:42"),
    ("cachet", "users", 1, "acme", 1, TGEN, "user:42"),
    ("cachet", "users", 1, None, 2, GEN, "user:42"),
    ("cachet", "users", 1, "acme", 2, TGEN, "user:42"),
    ("app.prod", "prompt-cache", 3, "tenant_7", 2, TGEN, "ünï:ß ✓ 😀"),
    ("app.prod", "prompt-cache", 3, "tenant_7", 0, TGEN, "ünï:ß ✓ 😀"),
]
for i, (prefix, cache, schema, tenant, scheme, gen, key) in enumerate(specs):
    hasher = None if scheme == 0 else cc.KeyNameHasher(SECRET, scheme)
    lay = cc.KeyLayout(cache, prefix, schema, tenant, hasher)
    layouts.append({
        "prefix": prefix, "cache": cache, "schema_version": schema, "tenant": tenant,
        "naming_scheme": scheme, "generation": gen, "key": key,
        "entry_key": lay.entry_key(gen, key),
        "tenant_segment": lay.tenant_segment,
        "hidden_name": lay.hidden_name(key),
        "announced_tenant": None if tenant is None else lay.announced_tenant(),
        "message_item": lay.message_item(key),
        "generation_key": lay.generation_key,
        "tenant_generations_key": lay.tenant_generations_key,
        "channel": lay.channel,
        "invalidate_message": cc.encode_message("py7", 7, "I", "" if hasher is None else "h",
                                                [lay.message_item(key)]),
    })
write("key-layout.json", {
    "description": "Redis names, hidden names and message items (docs/wire-format.md, 'Key layout').",
    "naming_secret": SECRET,
    "cases": layouts,
})

# ---------------------------------------------------------------- envelopes
value = {"id": "42", "name": "Ada Lovelace", "tags": ["admin", "ünïcødé ✓"], "visits": 1815, "active": True}
big = {"id": "43", "note": "the same words again and again " * 20}
rk = layouts[0]["entry_key"]
rk_tenant = layouts[5]["entry_key"]
envelopes = []


def envelope(n, redis_key, val, fmt="json", deflate=False, value_format="sealed", key=K1, expires=EXPIRES):
    payload = cc.encode_payload(val, fmt)
    if value_format == "plain_json":
        plaintext = payload
    else:
        plaintext = cc.seal_plaintext(redis_key, payload, expires, deflate, fmt)
    case = {
        "name": n, "value_format": value_format, "payload_format": fmt, "deflated": deflate,
        "redis_key": redis_key, "expires_at_millis": None if value_format == "plain_json" else expires,
        "value": val, "payload_hex": payload.hex(), "plaintext_hex": plaintext.hex(),
        "key": key, "fernet_timestamp": TS, "iv_hex": iv(len(envelopes)).hex(),
    }
    case["token"] = fernet_token(key, plaintext, TS, iv(len(envelopes)))
    envelopes.append(case)
    return case


e1 = envelope("sealed json", rk, value)
envelope("sealed json deflated", rk, big, deflate=True)
envelope("sealed json, tenant key under naming scheme 2", rk_tenant, value)
envelope("sealed json under the old key of the ring", rk, value, key=K2)
envelope("sealed cbor", rk, value, fmt="cbor")
envelope("sealed cbor deflated", rk, big, fmt="cbor", deflate=True)
envelope("plain json", rk, value, value_format="plain_json")
envelope("sealed json, expiry 999 ms before now: still inside the 1 s allowance", rk, value, expires=NOW - 999)


def tamper(token):
    i = len(token) // 2
    c = "A" if token[i] != "A" else "B"
    return token[:i] + c + token[i + 1:]


def bad(n, plaintext, redis_key=rk, key=K1, value_format="sealed", expected="format"):
    return {"name": n, "value_format": value_format, "redis_key": redis_key,
            "token": fernet_token(key, plaintext, TS, iv(100 + len(refusals))), "failure": expected}


refusals = [
    {"name": "tampered token", "value_format": "sealed", "redis_key": rk, "token": tamper(e1["token"]),
     "failure": "authentication"},
    {"name": "not a Fernet token", "value_format": "sealed", "redis_key": rk, "token": "hello world",
     "failure": "format"},
    {"name": "non-canonical base64 (padding stripped)", "value_format": "sealed", "redis_key": rk,
     "token": e1["token"].rstrip("="), "failure": "format"},
    {"name": "token moved to another key", "value_format": "sealed", "redis_key": rk + "x",
     "token": e1["token"], "failure": "key_binding"},
]
payload = cc.encode_payload(value)
refusals += [
    bad("foreign key", bytes.fromhex(e1["plaintext_hex"]), key=K3, expected="authentication"),
    bad("expired: expiry 1000 ms before now", cc.seal_plaintext(rk, payload, NOW - 1000), expected="expired"),
    bad("format byte is not 0xC1", b"\x7b" + bytes.fromhex(e1["plaintext_hex"])[1:]),
    bad("shorter than the 26-byte header", bytes.fromhex(e1["plaintext_hex"])[:25]),
    bad("unknown flag bit 3", bytes([0xC1, 0x08]) + bytes.fromhex(e1["plaintext_hex"])[2:]),
    bad("payload format id 2 (unassigned): a miss, never deleted",
        bytes([0xC1, 0x04]) + bytes.fromhex(e1["plaintext_hex"])[2:], expected="unsupported_format"),
    bad("payload format id 3, deflated (unassigned): a miss, never deleted",
        bytes([0xC1, 0x07]) + bytes.fromhex(e1["plaintext_hex"])[2:], expected="unsupported_format"),
    bad("deflate flag on a payload that is not zlib", bytes([0xC1, 0x01]) + bytes.fromhex(e1["plaintext_hex"])[2:]),
    bad("payload is not JSON", cc.seal_plaintext(rk, b"{not json", EXPIRES), expected="deserialize"),
    bad("payload is JSON null", cc.seal_plaintext(rk, b"null", EXPIRES), expected="deserialize"),
    bad("plain json that is not JSON", b"{not json", value_format="plain_json", expected="deserialize"),
]
write("envelopes.json", {
    "description": "Fernet tokens of sealed and plain values, and tokens every reader must refuse"
                   " (docs/wire-format.md, 'Values'). Reader ring: [key_1, key_2] (key_1 primary).",
    "key_1": K1, "key_2": K2, "foreign_key": K3,
    "now_millis": NOW,
    "accepted": envelopes,
    "refused": refusals,
})

# ---------------------------------------------------------------- coherence messages
messages = [
    {"origin": "k3x9", "sequence": 17, "kind": "I", "flags": "", "items": ["-:user:42"]},
    {"origin": "k3x9", "sequence": 18, "kind": "I", "flags": "", "items": ["-:a b", "t.acme:x:y", "-:😀"]},
    {"origin": "k3x9", "sequence": 19, "kind": "I", "flags": "h", "items": [layouts[5]["message_item"]]},
    {"origin": "k3x9", "sequence": 20, "kind": "C", "flags": "", "items": []},
    {"origin": "k3x9", "sequence": 21, "kind": "T", "flags": "", "items": ["t.acme"]},
    {"origin": "k3x9", "sequence": 22, "kind": "T", "flags": "", "items": [layouts[5]["announced_tenant"]]},
    {"origin": "k3x9", "sequence": 22, "kind": "H", "flags": "", "items": []},
    {"origin": "k3x9", "sequence": 22, "kind": "B", "flags": "", "items": []},
]
for m in messages:
    m["text"] = cc.encode_message(m["origin"], m["sequence"], m["kind"], m["flags"], m["items"])
malformed = [
    "cachet3 a 1 I -", "cachet2 a -1 I -", "cachet2 a 1 i -", "cachet2 a 1 C - 1:x",
    "cachet2 a 1 T -", "cachet2 a 1 T - 1:a 1:b", "cachet2 a 1 I A", "cachet2 a 1 I - 5:ab",
    "cachet2 a 1 I", "cachet2  1 I -", "cachet2 a x I -", "cachet2 a 1 I -- 1:a", "cachet2 a 1 I - 1:ab",
    "cachet2 a 9223372036854775808 I -", "cachet1 a 1 T 1:a", "hello",
]
legacy = [{"text": "cachet1 o 3 I 1:k", "origin": "o", "sequence": 3, "kind": "I", "flags": "", "items": ["k"]}]
write("messages.json", {
    "description": "cachet2 coherence messages: encode(fields) == text and decode(text) == fields;"
                   " 'malformed' must decode to nothing (docs/wire-format.md, 'Messages').",
    "messages": messages,
    "legacy": legacy,
    "malformed": malformed,
})

write("scripts.json", {
    "description": "The server-side scripts every implementation sends with EVAL, byte for byte.",
    "generation": cc.GENERATION_SCRIPT,
    "tenant_generations": cc.TENANT_GENERATIONS_SCRIPT,
    "compare_and_delete": cc.COMPARE_AND_DELETE_SCRIPT,
    "delete_if_not_string": cc.DELETE_IF_NOT_STRING_SCRIPT,
})
print("wrote", ", ".join(sorted(f for f in os.listdir(HERE) if f.endswith(".json"))))
