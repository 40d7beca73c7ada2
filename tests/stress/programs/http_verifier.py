"""Load and verification for the gunicorn stress target (127.0.0.1 only).

Three threads GET /work/N and compare each body with http_work.body(N).
Progress counts the verified responses of each worker ("pidPID"), so that the
driver sees the worker it attached to still serve. The checksum counts
mismatches and errors, and digests the first bodies (timing-independent).
usage: http_verifier.py PORT DEADLINE_S
"""
import hashlib
import http.client
import sys
import threading

from control import Control, combined_digest, serve_with
import http_work

PATHS = 64
CLIENTS = 3


def main():
    port, deadline_s = int(sys.argv[1]), float(sys.argv[2])
    control = Control(minimum=PATHS, deadline_s=deadline_s)
    totals = {"mismatches": 0, "errors": 0}
    digests = {}

    def fetch(client):
        digest = hashlib.sha256()
        done = 0
        while control.running(done):
            n = client * PATHS + done % PATHS
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", f"/work/{n}")
                response = connection.getresponse()
                body, worker = response.read(), response.getheader("X-Worker")
                connection.close()
            except OSError as error:
                totals["errors"] += 1
                print(f"client {client}: {error!r}", file=sys.stderr)
                if totals["errors"] > 10:
                    break
                continue
            if response.status != 200 or body != http_work.body(n):
                totals["mismatches"] += 1
            if done < PATHS:
                digest.update(body)
            done += 1
            control.count(f"pid{worker}")
        digests[client] = digest.hexdigest()

    threads = [threading.Thread(target=fetch, args=(c,)) for c in range(CLIENTS)]
    serve_with(control, threads)
    control.say(f"checksum mismatches={totals['mismatches']} errors={totals['errors']} digest={combined_digest(digests)}")


if __name__ == "__main__":
    main()
