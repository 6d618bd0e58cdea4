"""Upload benchmark: throughput of PDF uploads and the server's peak memory, by file size.

    .venv/bin/python bench/upload.py                     # 1, 5 and 24.5 MiB PDFs, 3 runs each
    .venv/bin/python bench/upload.py --sizes 1,5,24.5 --runs 5

Steps: in a temporary data directory, `forum db upgrade`, `forum create-admin --password-stdin` and
`forum token create` (a Bearer token), then `forum serve` (one uvicorn process, no workers, so its pid
is the server) and a thread with its opening post through the JSON API. For each size, a valid PDF
(one page of text plus an embedded file of random bytes as padding, so it is as large as wanted and
pypdf parses it) is written to disk, and uploaded with http.client to
POST /api/v1/posts/{id}/attachments, the multipart body streamed from disk in 1 MiB chunks (the
client never holds the file in memory either). A few bytes of the padding change between runs, so
each run stores a new file rather than a duplicate.

Memory: the server's peak resident set size (VmHWM in /proc/<pid>/status) is reset to its current
RSS (`echo 5 > /proc/<pid>/clear_refs`) before each size, so the peak printed is that size's own.
Where the reset is not allowed, VmHWM is monotonic and only its increase says anything. The idle
baseline is the RSS after a small warm-up upload (imports, first database connection). Uploads are
streamed to disk, so the increase over idle should not grow with the file size.

Prints a Markdown table; nothing is written to bench/RESULTS.md.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "bench.admin@example.org"
ADMIN_PASSWORD = "bench upload passphrase " + secrets.token_hex(8)
CHUNK = 1 << 20
MIB = 1024 * 1024
STARTUP_SECONDS = 30
FLAT_MIB = 8  # peak RSS may differ this much between the smallest and largest file and count as flat
PAGE_TEXT = "Republic v. Agrochem Traders: forfeiture of counterfeit pesticides"


@dataclass
class Result:
    size_mib: float
    actual_bytes: int = 0
    seconds: list[float] = field(default_factory=list)
    after_last_byte: list[float] = field(default_factory=list)
    peak_kib: int = 0


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def forum(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(f"`forum {' '.join(args)}` exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The server's memory ----------------------------------------------------------------------------


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    fail(f"no {key} in /proc/{pid}/status")
    return 0


def reset_peak(pid: int) -> bool:
    """Set VmHWM back to the current RSS (Linux 4.0+); False where this is not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


# --- A PDF of a given size --------------------------------------------------------------------------


def write_pdf(path: Path, target_bytes: int) -> int:
    """A one-page PDF whose text pypdf extracts, padded to about target_bytes by an embedded file of
    random bytes, written in chunks. Returns the offset of the padding (changed between runs)."""
    text_stream = f"BT /F1 18 Tf 72 720 Td ({PAGE_TEXT}) Tj ET".encode()
    padding = max(0, target_bytes - 1200)
    objects: list[bytes | None] = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(padding.bin) 7 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(text_stream)).encode() + b" >>\nstream\n" + text_stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        None,  # 6: the embedded file, streamed below
        b"<< /Type /Filespec /F (padding.bin) /EF << /F 6 0 R >> >>",
    ]
    offsets = []
    padding_offset = 0
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode())
            if body is None:
                out.write(f"<< /Type /EmbeddedFile /Length {padding} >>\nstream\n".encode())
                padding_offset = out.tell()
                left = padding
                while left:
                    chunk = os.urandom(min(CHUNK, left))
                    out.write(chunk)
                    left -= len(chunk)
                out.write(b"\nendstream")
            else:
                out.write(body)
            out.write(b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return padding_offset


# --- HTTP -------------------------------------------------------------------------------------------


def call(port: int, method: str, path: str, token: str, payload: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    if response.status >= 300:
        fail(f"{method} {path} answered {response.status}: {text}")
    return json.loads(text) if text else None


def upload(port: int, token: str, post_id: int, path: Path) -> tuple[float, float, dict]:
    """POST one file as multipart/form-data, streamed from disk. (seconds in all, seconds from the
    last byte sent to the answer, the answer)."""
    boundary = "bench-" + secrets.token_hex(16)
    fields = {"kind": "case_law", "tags": "bench, upload", "language": "en"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        started = time.perf_counter()
        connection.putrequest("POST", f"/api/v1/posts/{post_id}/attachments")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Accept", "application/json")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        connection.send(head)
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                connection.send(chunk)
        connection.send(tail)
        sent = time.perf_counter()
        response = connection.getresponse()
        text = response.read().decode()
        done = time.perf_counter()
    finally:
        connection.close()
    if response.status != 201:
        fail(f"uploading {path.name} ({length:,} bytes) answered {response.status}: {text[:500]}")
    return done - started, done - sent, json.loads(text)


# --- The server -------------------------------------------------------------------------------------


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return server
            connection.close()
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    fail(f"the server did not answer /healthz within {STARTUP_SECONDS} s:\n{log.read_text()}")
    return server


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Report -----------------------------------------------------------------------------------------


def table(results: list[Result], idle_kib: int, per_size_peak: bool, runs: int) -> str:
    lines = [
        "| file size (MiB) | runs | median s | MiB/s | of which after last byte, median s "
        "| server peak RSS (MiB) | Δ over idle (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        median = statistics.median(result.seconds)
        size_mib = result.actual_bytes / MIB
        lines.append(
            f"| {size_mib:.2f} | {runs} | {median:.3f} | {size_mib / median:.1f} "
            f"| {statistics.median(result.after_last_byte):.3f} | {result.peak_kib / 1024:.1f} "
            f"| {(result.peak_kib - idle_kib) / 1024:+.1f} |"
        )
    kind = "peak RSS of each size (VmHWM reset before it)" if per_size_peak else "VmHWM (monotonic)"
    lines.append("")
    lines.append(f"Idle server RSS after a warm-up upload: {idle_kib / 1024:.1f} MiB; peak column: {kind}.")
    if per_size_peak and len(results) > 1:
        smallest, largest = results[0], results[-1]
        growth = (largest.peak_kib - smallest.peak_kib) / 1024
        verdict = "flat" if growth <= FLAT_MIB else "GROWS with the file size"
        lines.append(
            f"Peak memory from {smallest.actual_bytes / MIB:.1f} to {largest.actual_bytes / MIB:.1f} MiB "
            f"files: {growth:+.1f} MiB: {verdict} (threshold {FLAT_MIB} MiB)."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,5,24.5", help="file sizes in MiB, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="uploads per size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",") if size.strip()]
    if any(size * MIB > 25 * MIB for size in sizes):
        fail("the server's limit is 25 MiB per file (FORUM_MAX_UPLOAD_MB's default); choose smaller sizes")

    work = Path(tempfile.mkdtemp(prefix="forum-bench-upload-"))
    data_dir, files_dir = work / "data", work / "files"
    files_dir.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET_KEY": secrets.token_urlsafe(32),
        "FORUM_BASE_URL": f"http://127.0.0.1:{port}",
        "FORUM_SMTP_URL": "",
    }
    for name in ("FORUM_DATABASE_URL", "FORUM_MAX_UPLOAD_MB"):
        env.pop(name, None)
    server = None
    try:
        forum(env, "db", "upgrade")
        forum(
            env,
            "create-admin",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Bench Admin",
            "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )
        token = forum(env, "token", "create", "--email", ADMIN_EMAIL).strip()
        server = start_server(env, port, work / "server.log")
        thread = call(
            port,
            "POST",
            "/api/v1/threads",
            token,
            {
                "title": "Upload benchmark",
                "body": "Judgments attached for the upload benchmark.",
                "sector": "pesticides-agrochemicals",
                "jurisdictions": ["KE"],
            },
        )
        post_id = call(port, "GET", f"/api/v1/threads/{thread['id']}", token)["posts"][0]["id"]

        # Warm-up: imports (pypdf, …) and the first connection are not charged to the first size.
        warmup = files_dir / "warmup.pdf"
        write_pdf(warmup, 16 * 1024)
        upload(port, token, post_id, warmup)
        time.sleep(0.5)
        idle_kib = status_kib(server.pid, "VmRSS")
        per_size_peak = reset_peak(server.pid)

        results = []
        for size in sizes:
            path = files_dir / f"ruling-{size:g}MiB.pdf"
            padding_offset = write_pdf(path, int(size * MIB))
            result = Result(size, actual_bytes=path.stat().st_size)
            if per_size_peak:
                reset_peak(server.pid)
            for run in range(args.runs):
                with path.open("r+b") as file:  # new bytes each run: a new file, not a duplicate
                    file.seek(padding_offset)
                    file.write(os.urandom(32))
                seconds, after_last_byte, answer = upload(port, token, post_id, path)
                if answer["content_type"] != "application/pdf" or answer["text_status"] != "ok":
                    fail(f"unexpected answer for {path.name}: {answer}")
                result.seconds.append(seconds)
                result.after_last_byte.append(after_last_byte)
                print(
                    f"{size:g} MiB run {run + 1}: {seconds:.3f} s, "
                    f"VmRSS {status_kib(server.pid, 'VmRSS') / 1024:.1f} MiB",
                    file=sys.stderr,
                )
            result.peak_kib = status_kib(server.pid, "VmHWM")
            results.append(result)
            path.unlink()
        print(table(results, idle_kib, per_size_peak, args.runs))
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"Kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
