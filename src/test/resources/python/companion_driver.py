"""Drives python/cachet_compat.py for PythonCompanionIntegrationTests: one JSON request per stdin line,
one JSON reply per stdout line. Redis from CACHET_TEST_REDIS_URL (or _HOST/_PORT).

request: {"op": "read|write|invalidate|invalidate_all|entry_key|origin", "cache": {...}, "key": ...,
          "value": ..., "ttl": seconds}
cache:   {"name", "prefix", "keys", "naming_secret", "naming_scheme", "tenant", "value_format",
          "payload_format", "compression_threshold", "delete_bad_entries"}
Redis Cluster instead with CACHET_TEST_REDIS_CLUSTER=host:port (messages then go out with SPUBLISH).
reply:   {"value": ..., "failure": ..., "entry_key": ..., "origin": ...} or {"error": "..."}
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.getcwd(), "python"))

import cachet_compat as cc  # noqa: E402
import redis  # noqa: E402

url = os.environ.get("CACHET_TEST_REDIS_URL")
seed = os.environ.get("CACHET_TEST_REDIS_CLUSTER")  # host:port of one cluster node
if seed:
    from redis.cluster import RedisCluster
    client = RedisCluster(host=seed.rsplit(":", 1)[0], port=int(seed.rsplit(":", 1)[1]))
elif url:
    client = redis.Redis.from_url(url)
else:
    client = redis.Redis(host=os.environ.get("CACHET_TEST_REDIS_HOST", "127.0.0.1"),
                         port=int(os.environ["CACHET_TEST_REDIS_PORT"]))
roots = {}


def cache_of(cfg):
    cfg = dict(cfg)
    tenant = cfg.pop("tenant", None)
    ident = json.dumps(cfg, sort_keys=True)
    root = roots.get(ident)
    if root is None:
        root = cc.CachetCache(
            client, cfg["name"], cfg["keys"], prefix=cfg.get("prefix", "cachet"),
            naming_secret=cfg.get("naming_secret"), naming_scheme=cfg.get("naming_scheme", 1),
            value_format=cfg.get("value_format", "sealed"), payload_format=cfg.get("payload_format", "json"),
            compression_threshold=cfg.get("compression_threshold"),
            delete_bad_entries=cfg.get("delete_bad_entries", True), sharded=seed is not None)
        roots[ident] = root
    return root if tenant is None else root.for_tenant(tenant)


for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    try:
        c = cache_of(r["cache"])
        op = r["op"]
        if op == "read":
            c.last_failure = None
            out = {"value": c.read(r["key"]), "failure": c.last_failure}
        elif op == "write":
            c.write(r["key"], r["value"], r.get("ttl", 600))
            out = {"ok": True}
        elif op == "invalidate":
            c.invalidate(r["key"])
            out = {"ok": True}
        elif op == "invalidate_all":
            c.invalidate_all()
            out = {"ok": True}
        elif op == "entry_key":
            out = {"entry_key": c.entry_key(r["key"])}
        elif op == "origin":
            out = {"origin": c.origin}
        else:
            out = {"error": "unknown op " + op}
    except Exception as e:  # noqa: BLE001
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
