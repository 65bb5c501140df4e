"""`make bench`: run every benchmark, print a table, write bench/results/latest.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench import directory, push, signatures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny run (harness smoke test)")
    parser.add_argument("--out", default="bench/results/latest.json")
    args = parser.parse_args()
    n, reps = (50, 2) if args.quick else (2000, 5)
    sig = signatures.run(iterations=n, repetitions=reps)
    print(f"{'algorithm':<18}{'verifications/s (median)':>26}{'ratio to hmac-sha256':>22}")
    for alg, row in sig.items():
        print(f"{alg:<18}{row['per_second_median']:>26}{row['ratio_to_hmac_sha256']:>22}")
    latency = push.run(messages=3 if args.quick else 30)
    med = latency["median_ms"]
    print(f"\npush latency over {latency['messages']} messages (median ms): push "
          f"{med['push_ms']}, complete round trip {med['complete_ms']}, frame after the "
          f"complete answer {med['after_complete_ms']}, one inbox poll {med['poll_ms']}; "
          f"push/complete {latency['push_over_complete']}, push/poll "
          f"{latency['push_over_poll']}")
    search = directory.run(units=1000, queries=100) if args.quick else directory.run()
    print(f"\ndirectory search over {search['units']} units: "
          f"{search['per_second_median']['service_search']} searches/s through the service "
          f"(median); one search costs "
          f"{search['dict_lookups_per_index_search']} dict lookups in memory, "
          f"{search['dict_lookups_per_service_search']} through the service; index build "
          f"{search['build_over_page']}x the paging of the directory partition")
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "signature_verification": sig, "push_latency": latency, "directory_search": search,
              "quick": args.quick}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
