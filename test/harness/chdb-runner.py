# Runs SQL on an embedded current ClickHouse (chDB, the ClickHouse engine as a library, from
# PyPI) for the tests that check the analytics schema and queries beyond Debian's 18.16.
# Protocol: one JSON request per stdin line, {"id", "sql", "format"?}; one JSON answer per
# stdout line, {"id", "ok", "text"} or {"id", "ok": false, "error"}.
import json
import sys

from chdb import session

db = session.Session(sys.argv[1])
print(json.dumps({"id": 0, "ok": True, "text": db.query("SELECT version()", "TSV").bytes().decode().strip()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    try:
        res = db.query(req["sql"], req.get("format") or "TSV")
        print(json.dumps({"id": req["id"], "ok": True, "text": res.bytes().decode()}), flush=True)
    except Exception as err:  # the error goes back to the test, which names the statement
        print(json.dumps({"id": req["id"], "ok": False, "error": str(err)}), flush=True)
