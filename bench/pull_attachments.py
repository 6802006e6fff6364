"""POST `count` statements with an attachment payload each (multipart/mixed) to an LRS, for
`bench/pull_bench.sh`: python -m bench.pull_attachments URL KEY SECRET COUNT"""

from __future__ import annotations

import hashlib
import sys
import uuid

import httpx
import orjson

from bench.generate import statements


def main(url: str, key: str, secret: str, count: int) -> None:
    with httpx.Client(auth=(key, secret), headers={"X-Experience-API-Version": "2.0.0"}) as http:
        for n, body in enumerate(statements(7, count, start=10_000_000)):
            payload = f"certificate {n} ".encode() * 2000
            sha2 = hashlib.sha256(payload).hexdigest()
            body["attachments"] = [
                {
                    "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
                    "display": {"en-US": "certificate"},
                    "contentType": "text/plain",
                    "length": len(payload),
                    "sha2": sha2,
                }
            ]
            boundary = "bench-" + uuid.uuid4().hex
            parts = [
                b"Content-Type: application/json\r\n\r\n" + orjson.dumps(body),
                (
                    f"Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
                    f"X-Experience-API-Hash: {sha2}\r\n\r\n"
                ).encode()
                + payload,
            ]
            dash = f"--{boundary}".encode()
            data = b"".join(dash + b"\r\n" + p + b"\r\n" for p in parts) + dash + b"--\r\n"
            response = http.post(
                url.rstrip("/") + "/statements",
                content=data,
                headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
            )
            response.raise_for_status()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
