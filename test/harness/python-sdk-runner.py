# Calls the gateway with the official Python SDKs (openai, anthropic; pinned in
# deploy/local/requirements-test.txt) for test/python-sdks.test.ts, which holds the assertions.
# Protocol: one JSON request per stdin line,
#   {"id", "sdk": "openai" | "anthropic", "base_url", "api_key", "call": "chat.completions.create",
#    "args": {...}, "mode": "unary" | "raw" | "iterate" | "final"};
# one JSON answer per stdout line, {"id", "ok": true, "value"} or {"id", "ok": false, "error",
# "events"?}. The first line (id 0) names the SDK versions. Values are what the SDK parsed, as
# the SDK itself would send them back (`to_dict`: wire names, only the fields the gateway set),
# so a test can pass an output item back as a Python user passes the object.
import json
import sys
import traceback

import anthropic
import openai

TIMEOUT_S = 20  # a failing case shows up quickly instead of at the test runner's limit

clients: dict[tuple[str, str, str], object] = {}


def client(sdk: str, base_url: str, api_key: str) -> object:
    key = (sdk, base_url, api_key)
    if key not in clients:
        make = openai.OpenAI if sdk == "openai" else anthropic.Anthropic
        # No retries: a retried failure would hide the first answer and slow the file down.
        clients[key] = make(base_url=base_url, api_key=api_key, max_retries=0, timeout=TIMEOUT_S)
    return clients[key]


def plain(value: object) -> object:
    if not hasattr(value, "to_dict"):
        return value
    out = value.to_dict(mode="json")
    # The SDK's own convenience, assembled from the output items (a Response's text).
    if isinstance(getattr(type(value), "output_text", None), property):
        out["output_text"] = value.output_text
    return out


# What a stream helper assembled, by the helper's name for it.
FINAL = ("get_final_message", "get_final_response", "get_final_completion")


def failure(err: BaseException) -> dict:
    status = getattr(err, "status_code", None)
    return {
        "class": type(err).__name__,
        "status_code": status,
        "body": getattr(err, "body", None) if status is not None else None,
        "message": "".join(traceback.format_exception_only(err)).strip()
        if status is not None
        else traceback.format_exc(),
    }


def call(req: dict, events: list) -> object:
    target = client(req["sdk"], req["base_url"], req["api_key"])
    *path, method = req["call"].split(".")
    for part in path:
        target = getattr(target, part)
    mode = req.get("mode", "unary")
    args = req.get("args", {})
    if mode == "raw":
        # The HTTP answer's headers too (request ids), beside the parsed body.
        res = getattr(target.with_raw_response, method)(**args)
        return {"headers": dict(res.headers), "data": plain(res.parse())}
    if mode == "iterate":
        with getattr(target, method)(**args) as stream:
            events.extend(plain(e) for e in stream)
        return {"events": events}
    if mode == "final":
        # A stream helper (messages.stream, responses.stream, chat.completions.stream): its
        # events, then what it assembled from them.
        with getattr(target, method)(**args) as stream:
            events.extend(plain(e) for e in stream)
            final = next(getattr(stream, name) for name in FINAL if hasattr(stream, name))
            return {"events": events, "final": plain(final())}
    return plain(getattr(target, method)(**args))


def answer(msg: dict) -> None:
    print(json.dumps(msg), flush=True)


answer({"id": 0, "ok": True, "value": {"openai": openai.__version__, "anthropic": anthropic.__version__}})
for line in sys.stdin:
    req = json.loads(line)
    events: list = []
    try:
        answer({"id": req["id"], "ok": True, "value": call(req, events)})
    except Exception as err:  # the test asserts on the error: class, status and body
        answer({"id": req["id"], "ok": False, "error": failure(err), "events": events})
