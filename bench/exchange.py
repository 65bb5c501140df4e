"""P1 and P2 (R-PROP-5): a whole exchange of one large file through the hub, against raw
S3 on the same store (P1) and against SFTP to a local OpenSSH server (P2).

The hub path is what an agency runs: `lgsp_client.exchange.send_file` (hash, request,
parallel multipart upload to presigned URLs, complete: the hub verifies length and SHA-256)
then `fetch_file` as the destination (grant, streamed download with SHA-256, fsync, confirm:
the hub deletes the content). The raw baseline is boto3's `upload_file` + `download_file`
of the same bytes on the same SeaweedFS with the same part size and concurrency
(`TransferConfig`); the SFTP baseline is `sftp` put + get over loopback. One random file is
made once; hub, raw and SFTP runs are interleaved, in a rotating order, so drift on a shared
machine hits all three alike. `sweep` times the hub upload for 3 part sizes x 3 concurrency
levels, which is how the client defaults are checked.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    DEST,
    SOURCE,
    MiB,
    client_for,
    median,
    result,
    rounded,
    running_hub,
    s3_client,
    s3_settings,
    skipped,
    timed,
)
from bench.sshd import LoopbackSshd, SshdUnavailable
from infra.local.launcher import LocalHub
from lgsp_client.download import download
from lgsp_client.exchange import fetch_file, send_file
from lgsp_client.transfer import DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, hash_file

P1_WHAT = "{size} MiB exchange end to end vs boto3 PUT+GET, same store"
P2_WHAT = "{size} MiB exchange end to end vs sftp put+get (OpenSSH)"


def make_file(folder: Path, size: int) -> Path:
    """Random bytes (incompressible, so nothing on the path can shortcut them)."""
    path = folder / "payload.bin"
    with path.open("wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MiB))
            f.write(chunk)
            left -= len(chunk)
    return path


class Runner:
    """The three ways of moving the file, each returning (seconds up, seconds down)."""

    def __init__(self, hub: LocalHub, path: Path, work: Path, part_size: int,
                 concurrency: int) -> None:
        from boto3.s3.transfer import TransferConfig

        self.source, self.dest = client_for(hub, SOURCE), client_for(hub, DEST)
        self.path, self.work = path, work
        self.part_size, self.concurrency = part_size, concurrency
        self.s3, self.bucket = s3_client(hub, pool=concurrency), s3_settings(hub)["bucket"]
        self.transfer = TransferConfig(multipart_threshold=part_size,
                                       multipart_chunksize=part_size,
                                       max_concurrency=concurrency, use_threads=True)
        self.n = 0

    def hub(self) -> tuple[float, float]:
        """send_file then fetch_file (which confirms; the hub then deletes the content)."""
        self.n += 1
        started = time.perf_counter()
        sent = send_file(self.source, self.path, to=[DEST], title=f"bench P1 {self.n}",
                         part_size=self.part_size, concurrency=self.concurrency,
                         progress=False, new=True)
        uploaded = time.perf_counter()
        out = self.work / "hub-fetched.bin"
        got = fetch_file(self.dest, str(sent.message["id"]), out, progress=False)
        done = time.perf_counter()
        if got.delivery.get("state") != "confirmed":
            raise RuntimeError(f"the exchange did not end confirmed: {got.delivery}")
        out.unlink()
        return uploaded - started, done - uploaded

    def raw(self) -> tuple[float, float]:
        """boto3 upload_file + download_file, then an untimed delete."""
        self.n += 1
        key, out = f"bench/raw-{self.n}", self.work / "raw-fetched.bin"
        started = time.perf_counter()
        self.s3.upload_file(str(self.path), self.bucket, key, Config=self.transfer)
        uploaded = time.perf_counter()
        self.s3.download_file(self.bucket, key, str(out), Config=self.transfer)
        done = time.perf_counter()
        self.s3.delete_object(Bucket=self.bucket, Key=key)
        out.unlink()
        return uploaded - started, done - uploaded

    def sftp(self, sshd: LoopbackSshd) -> tuple[float, float]:
        """One sftp session to put, one to get (as a transfer script would)."""
        remote, back = self.work / "sftp-remote.bin", self.work / "sftp-fetched.bin"
        started = time.perf_counter()
        sshd.sftp([f"put {self.path} {remote}"])
        uploaded = time.perf_counter()
        sshd.sftp([f"get {remote} {back}"])
        done = time.perf_counter()
        remote.unlink()
        back.unlink()
        return uploaded - started, done - uploaded

    def reject_upload(self) -> float:
        """Only the hub upload (send_file), for the sweep; the destination then rejects,
        which deletes the content, so the store does not fill up."""
        self.n += 1
        started = time.perf_counter()
        sent = send_file(self.source, self.path, to=[DEST], title=f"bench sweep {self.n}",
                         part_size=self.part_size, concurrency=self.concurrency,
                         progress=False, new=True)
        took = time.perf_counter() - started
        self.dest.reject(str(sent.message["id"]), "benchmark")
        return took


def _summary(raw: dict[str, list[tuple[float, float]]], size: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, runs in raw.items():
        totals = [up + down for up, down in runs]
        out[name] = {"seconds_median": round(median(totals), 3),
                     "up_seconds_median": round(median([u for u, _ in runs]), 3),
                     "down_seconds_median": round(median([d for _, d in runs]), 3),
                     "mib_per_s_median": round(size / MiB / median(totals), 1),
                     "raw_seconds": rounded(totals, 3),
                     "raw_up_down_seconds": [rounded(r, 3) for r in runs]}
    return out


def run(size_mib: int = 256, repetitions: int = 5, *, part_size: int = DEFAULT_PART_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY, with_sftp: bool = True,
        hub: LocalHub | None = None) -> dict[str, dict[str, Any]]:
    """P1 and P2 over `repetitions` interleaved runs; returns {"P1": ..., "P2": ...}."""
    size = size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-xfer-") as tmp, \
            running_hub(hub) as host:
        work = Path(tmp)
        path = make_file(work, size)
        runner = Runner(host, path, work, part_size, concurrency)
        hashing = [_timed_hash(path, part_size) for _ in range(2)]
        ways: dict[str, Callable[[], tuple[float, float]]] = {"hub": runner.hub,
                                                              "raw_s3": runner.raw}
        sftp_error = None
        sshd = None
        if with_sftp:
            try:
                sshd = LoopbackSshd(work / "ssh").__enter__()
                started_sshd = sshd
                ways["sftp"] = lambda: runner.sftp(started_sshd)
            except (SshdUnavailable, OSError) as exc:
                sftp_error = str(exc)
        raw: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
        try:
            _warm_up(host, work, part_size, concurrency)
            names = list(ways)
            for rep in range(repetitions):
                for name in names[rep % len(names):] + names[:rep % len(names)]:
                    raw[name].append(ways[name]())
        finally:
            if sshd is not None:
                sshd.__exit__(None, None, None)
    summary = _summary(raw, size)
    common = {"size_mib": size_mib, "repetitions": repetitions, "part_size_mib":
              part_size // MiB, "concurrency": concurrency,
              "client_hash_seconds_median": round(median(hashing), 3), "runs": summary}
    hub_s, raw_s = summary["hub"]["seconds_median"], summary["raw_s3"]["seconds_median"]
    out = {"P1": result("P1", P1_WHAT.format(size=size_mib), hub=size / MiB / hub_s,
                        baseline=size / MiB / raw_s, unit="MiB/s", ratio=raw_s / hub_s,
                        direction="higher is better", target=0.95,
                        met=raw_s / hub_s >= 0.95, **common)}
    if "sftp" in summary:
        sftp_s = summary["sftp"]["seconds_median"]
        out["P2"] = result("P2", P2_WHAT.format(size=size_mib), hub=size / MiB / hub_s,
                           baseline=size / MiB / sftp_s, unit="MiB/s", ratio=sftp_s / hub_s,
                           direction="higher is better", target=1.0,
                           met=sftp_s / hub_s >= 1.0, **common)
    else:
        out["P2"] = skipped("P2", P2_WHAT.format(size=size_mib), sftp_error or "not requested")
    return out


def _warm_up(host: LocalHub, work: Path, part_size: int, concurrency: int) -> None:
    """One untimed small hub and raw run first: a fresh store allocates its volumes on the
    first write, which would otherwise be charged to whichever way runs first (sshd was
    already exercised by its readiness check)."""
    folder = work / "warm"
    folder.mkdir()
    warm = Runner(host, make_file(folder, 2 * part_size + 1), folder, part_size, concurrency)
    warm.hub()
    warm.raw()


def _timed_hash(path: Path, part_size: int) -> float:
    started = time.perf_counter()
    hash_file(path, part_size)
    return time.perf_counter() - started


def sweep(size_mib: int = 64, part_sizes_mib: tuple[int, ...] = (5, 8, 16),
          concurrencies: tuple[int, ...] = (2, 4, 8), repetitions: int = 1,
          hub: LocalHub | None = None) -> dict[str, Any]:
    """Hub upload (send_file) and download (`download` of a fetch grant of a message just
    sent: ranged GETs written in place and hashed) MiB/s for each part size x
    concurrency, interleaved; a concurrency of 1 is one ranged GET at a time."""
    size = size_mib * MiB
    grid = [(p, c) for p in part_sizes_mib for c in concurrencies]
    up: dict[str, list[float]] = {f"{p}MiB x {c}": [] for p, c in grid}
    down: dict[str, list[float]] = {f"{p}MiB x {c}": [] for p, c in [*grid, (8, 1)]}
    with tempfile.TemporaryDirectory(prefix="lgsp-bench-sweep-") as tmp, \
            running_hub(hub) as host:
        path = make_file(Path(tmp), size)
        for _ in range(repetitions):
            for p, c in grid:
                runner = Runner(host, path, Path(tmp), p * MiB, c)
                up[f"{p}MiB x {c}"].append(runner.reject_upload())
        runner = Runner(host, path, Path(tmp), DEFAULT_PART_SIZE, DEFAULT_CONCURRENCY)
        out = Path(tmp) / "sweep-fetched.bin"
        for _ in range(repetitions):
            for key, samples in down.items():
                # each sample downloads a message just sent, as a destination does: the
                # first read of fresh content is slower on this store than a repeat
                sent = send_file(runner.source, path, to=[DEST], title="bench download sweep",
                                 progress=False, new=True)
                grant = runner.dest.fetch(str(sent.message["id"]))
                p, c = (int(x.removesuffix("MiB")) for x in key.split(" x "))
                samples.append(timed(lambda p=p, c=c, grant=grant: download(
                    grant, out, progress=False, part_size=p * MiB, concurrency=c)))
                out.unlink()
                runner.dest.reject(str(sent.message["id"]), "benchmark")

    def rates(raw: dict[str, list[float]]) -> dict[str, float]:
        return {k: round(size / MiB / median(v), 1) for k, v in raw.items()}

    up_rates, down_rates = rates(up), rates(down)
    best = max(up_rates, key=lambda k: up_rates[k])
    default = f"{DEFAULT_PART_SIZE // MiB}MiB x {DEFAULT_CONCURRENCY}"
    return {"size_mib": size_mib, "repetitions": repetitions, "upload_mib_per_s": up_rates,
            "download_mib_per_s": down_rates,
            "raw_seconds": {k: rounded(v, 3) for k, v in up.items()},
            "raw_download_seconds": {k: rounded(v, 3) for k, v in down.items()},
            "best": best, "best_download": max(down_rates, key=lambda k: down_rates[k]),
            "client_default": default,
            "default_over_best": round(up_rates.get(default, 0) / up_rates[best], 2)}


def quick(hub: LocalHub | None = None) -> dict[str, dict[str, Any]]:
    """A few MiB, one repetition: the harness runs, nothing is concluded."""
    return run(size_mib=2, repetitions=1, hub=hub)
