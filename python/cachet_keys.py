"""Canonical cache keys for LLM prompts, the Python twin of Cachet's dev.cachet.factory.PromptKey.

The key of a call is the lowercase hex SHA-256 of the canonical JSON of
{"messages": ..., "model": ..., "parameters": ...}:

    json.dumps(o, sort_keys=True, separators=(',', ':'), ensure_ascii=False), UTF-8 encoded

after checking that it holds only strings, booleans, None, integers within +-2**53, lists and dicts
with string keys. Floats (pass "0.7" as a string, or an integer), strings with lone surrogates and
duplicate member names (in JSON text) are rejected with PromptKeyError, naming the path, never the
value.

    from cachet_keys import prompt_key
    key = prompt_key("gpt-4o", [{"role": "user", "content": "Summarize: ..."}],
                     {"temperature": "0.2", "max_tokens": 512})

Run `python3 python/cachet_keys.py python/prompt_key_vectors.json` to check this module against the
vectors Cachet's Java tests check too (exit status 0 when every vector passes).
"""

import hashlib
import json
import re
import sys

MAX_SAFE_MAGNITUDE = 2 ** 53

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
_FLOAT = ("a float (floats print differently across languages: pass it as a string such as \"0.7\","
          " or as an integer)")


class PromptKeyError(ValueError):
    """A value that has no canonical form (the message names the path, never the value)."""


def _rejected(path, what):
    return PromptKeyError("PromptKey: %s at %s is not allowed" % (what, path))


def _segment(name):
    return name if _IDENTIFIER.fullmatch(name) else "<member>"


def _check_string(s, path):
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        raise _rejected(path, "a string with a lone surrogate (not valid Unicode text)")


def _check(value, path):
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if -MAX_SAFE_MAGNITUDE <= value <= MAX_SAFE_MAGNITUDE:
            return
        raise _rejected(path, "an integer outside the range \u00b12^53 (pass large numbers as strings)")
    if isinstance(value, float):
        raise _rejected(path, _FLOAT)
    if isinstance(value, str):
        _check_string(value, path)
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, "%s[%d]" % (path, i))
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise _rejected(path, "a map key that is not a string")
            _check_string(name, path + "{name}")
            _check(item, path + "." + _segment(name))
        return
    raise _rejected(path, "a %s (allowed: strings, booleans, null, integers, lists and maps with"
                          " string keys)" % type(value).__name__)


def canonical_json(value):
    """The canonical JSON text of value (a str; encode it as UTF-8 to hash it)."""
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(canonical):
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prompt_key(model, messages, parameters=None):
    """The lowercase hex SHA-256 key of a call to model with messages and parameters."""
    if not isinstance(model, str):
        raise PromptKeyError("PromptKey: model must be a string")
    request = {"messages": messages, "model": model,
               "parameters": {} if parameters is None else parameters}
    return _digest(canonical_json(request))


def _no_duplicates(pairs):
    result = {}
    for name, value in pairs:
        if name in result:
            raise PromptKeyError("PromptKey: a duplicate member name is not allowed")
        result[name] = value
    return result


def _no_float(_text):
    raise PromptKeyError("PromptKey: " + _FLOAT + " is not allowed")


def _no_constant(_text):
    raise PromptKeyError("PromptKey: malformed JSON: NaN and Infinity are not JSON")


def loads_strict(text):
    """Parses JSON text, rejecting floats, NaN/Infinity and duplicate member names."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_float,
                      parse_constant=_no_constant)


def canonical_json_of(text):
    """The canonical JSON of a request given as JSON text."""
    return canonical_json(loads_strict(text))


def prompt_key_of_json(text):
    """The key of a request given as JSON text (e.g. the body sent to the model's API)."""
    return _digest(canonical_json_of(text))


def check_vectors(path):
    """Checks this module against the shared vectors; returns a list of failures (empty when all pass)."""
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    failures = []
    for v in vectors["json"]:
        try:
            canonical = canonical_json_of(v["input"])
            if canonical != v["canonical"] or _digest(canonical) != v["sha256"]:
                failures.append("%s: got %r" % (v["name"], canonical))
        except ValueError as e:
            failures.append("%s: rejected: %s" % (v["name"], e))
    for v in vectors["prompts"]:
        try:
            key = prompt_key(v["model"], v["messages"], v["parameters"])
            if key != v["sha256"]:
                failures.append("%s: got %s" % (v["name"], key))
        except ValueError as e:
            failures.append("%s: rejected: %s" % (v["name"], e))
    for v in vectors["invalid"]:
        try:
            canonical_json_of(v["input"])
            failures.append("%s: accepted, expected an error about %s" % (v["name"], v["error"]))
        except ValueError as e:
            if v["error"] not in str(e):
                failures.append("%s: error %r does not mention %r" % (v["name"], str(e), v["error"]))
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 cachet_keys.py prompt_key_vectors.json")
    problems = check_vectors(sys.argv[1])
    for p in problems:
        print(p)
    print("%s: %d failure(s)" % (sys.argv[1], len(problems)))
    sys.exit(1 if problems else 0)
