#!/usr/bin/env python3
"""A scripted OTLP/HTTP logs receiver for narrate-otlp's retry-path tests.

Usage: scripted_receiver.py SCRIPT_JSON

SCRIPT_JSON is a list of actions, one per request in arrival order; once it
is used up every request gets a plain 200. Actions:
  {"status": 429, "retry_after": 1}   status (with an optional Retry-After)
  {"status": 503}
  {"partial": 3, "message": "why"}    200 with partial_success
  {"hang": true}                      never answer (hold the connection)

Each request body is decoded with the official protobuf definitions (the
`opentelemetry-proto` package) and reported on stdout as one JSON line:
  {"n": 0, "time": <monotonic s>, "gzip": bool, "bodies": [...],
   "severities": [...], "action": {...}}
The first line is "PORT <port>" (the server binds 127.0.0.1:0).
"""

import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

SCRIPT = json.loads(sys.argv[1])
LOCK = threading.Lock()
COUNT = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        zipped = self.headers.get("Content-Encoding") == "gzip"
        if zipped:
            raw = gzip.decompress(raw)
        req = logs_service_pb2.ExportLogsServiceRequest()
        req.ParseFromString(raw)
        bodies, severities = [], []
        for rl in req.resource_logs:
            for sl in rl.scope_logs:
                for rec in sl.log_records:
                    bodies.append(rec.body.string_value)
                    severities.append(rec.severity_number)
        with LOCK:
            n = COUNT[0]
            COUNT[0] += 1
        action = SCRIPT[n] if n < len(SCRIPT) else {}
        print(json.dumps({"n": n, "time": time.monotonic(), "gzip": zipped,
                          "bodies": bodies, "severities": severities,
                          "action": action}), flush=True)
        if action.get("hang"):
            time.sleep(3600)
            return
        status = action.get("status", 200)
        resp = logs_service_pb2.ExportLogsServiceResponse()
        if "partial" in action:
            resp.partial_success.rejected_log_records = action["partial"]
            resp.partial_success.error_message = action.get("message", "")
        payload = resp.SerializeToString() if status == 200 else b"scripted failure"
        self.send_response(status)
        if "retry_after" in action:
            self.send_header("Retry-After", str(action["retry_after"]))
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
