"""The deterministic response body for /work/N, built by the Flask app and checked by the client."""
import hashlib
import json


def body(n):
    document = {
        "n": n,
        "squares": [k * k for k in range(50 + n % 50)],
        "text": f"w{n}" * (1 + n % 20),
        "digest": hashlib.sha256(str(n).encode()).hexdigest(),
    }
    return json.dumps(document, sort_keys=True).encode()
