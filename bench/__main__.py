"""`make bench`: run every benchmark, print a table, write bench/results/latest.json.

R-PROP-5 (P1-P6) share one host started here (SeaweedFS + SQLite in a temporary folder);
P3 runs again on a host of its own on PostgreSQL (a server started in a temporary folder);
the signature, push-latency, directory and report (REP) benchmarks run in-process. `--quick`
shrinks every size (the harness smoke run), `--only P1,P3` runs a subset (also SIG, PUSH,
P5B (the cold first request), HOOK, DIR, REP, EDXML, SWEEP, SCALE).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    billing,
    cold_start,
    directory,
    edxml,
    exchange,
    inbox,
    push,
    report,
    reports,
    scale,
    signatures,
    throughput,
    webhooks,
)
from bench.common import machine, running_hub

EVERYTHING = ("SIG", "PUSH", "HOOK", "DIR", "REP", "EDXML", "P1", "P2", "P3", "P4", "P5",
              "P5B", "P6", "SWEEP", "SCALE")


def _legacy(chosen: set[str], quick: bool, out: dict[str, Any]) -> None:
    """The signature, push-latency and directory benchmarks, printed as before."""
    if "SIG" in chosen:
        n, reps = (50, 2) if quick else (2000, 5)
        sig = out["signature_verification"] = signatures.run(iterations=n, repetitions=reps)
        print(f"{'algorithm':<18}{'verifications/s (median)':>26}{'ratio to hmac-sha256':>22}")
        for alg, row in sig.items():
            print(f"{alg:<18}{row['per_second_median']:>26}{row['ratio_to_hmac_sha256']:>22}")
    if "PUSH" in chosen:
        latency = out["push_latency"] = push.run(messages=3 if quick else 30)
        med = latency["median_ms"]
        print(f"\npush latency over {latency['messages']} messages (median ms): push "
              f"{med['push_ms']}, complete round trip {med['complete_ms']}, frame after the "
              f"complete answer {med['after_complete_ms']}, one inbox poll {med['poll_ms']}; "
              f"push/complete {latency['push_over_complete']}, push/poll "
              f"{latency['push_over_poll']}")
    if "HOOK" in chosen:
        hook = out["webhooks"] = (webhooks.run(messages=3, burst=10) if quick
                                  else webhooks.run())
        med, burst = hook["median_ms"], hook["burst"]
        print(f"\nwebhook latency over {hook['messages']} messages (median ms): push "
              f"{med['push_ms']}, webhook {med['webhook_ms']}; webhook/push "
              f"{hook['webhook_over_push']}; a burst of {burst['messages']}: completed in "
              f"{burst['complete_s']} s, every webhook delivered after "
              f"{burst['all_delivered_s']} s ({burst['deliveries_per_s']}/s)")
    if "DIR" in chosen:
        search = out["directory_search"] = (directory.run(units=1000, queries=100) if quick
                                            else directory.run())
        print(f"\ndirectory search over {search['units']} units: "
              f"{search['per_second_median']['service_search']} searches/s through the "
              f"service (median); one search costs "
              f"{search['dict_lookups_per_index_search']} dict lookups in memory, "
              f"{search['dict_lookups_per_service_search']} through the service; index "
              f"build {search['build_over_page']}x the paging of the directory partition")


def _reports(chosen: set[str], quick: bool, out: dict[str, Any]) -> None:
    """REP: a month's unit, province and ranking reports, 1,000 units against 10."""
    if "REP" not in chosen:
        return
    rep = out["reports"] = (reports.run(big=100, small=10, repetitions=2) if quick
                            else reports.run())
    units, reads, ms = rep["units"], rep["reads"], rep["ms_median"]
    print(f"\nmonth reports, {units['big']:,} units vs {units['small']:,} (items read, "
          "requests, median ms; ratio big/small):")
    for kind in reports.KINDS:
        big, small = reads[f"{kind}_big"], reads[f"{kind}_small"]
        print(f"  {kind:<9} {big['items']:>6,} items {big['requests']:>3} req "
              f"{ms[f'{kind}_big']:>8.3f} ms | {small['items']:>5,} items "
              f"{small['requests']:>3} req {ms[f'{kind}_small']:>8.3f} ms | items "
              f"x{rep['items_ratio'][kind]}, time x{rep['time_ratio'][kind]}")
    print(f"  the province's report reads at most {rep['province_items_bound']} items "
          f"whatever the units: {'yes' if rep['met'] else 'NO'}")


def _edxml(chosen: set[str], quick: bool, out: dict[str, Any]) -> None:
    """EDXML: peak traced memory reading a streamed package, 300 MiB against 3 MiB."""
    if "EDXML" not in chosen:
        return
    res = out["edxml_reader"] = (edxml.run(big_mib=12, small_mib=1) if quick
                                 else edxml.run())
    big, small = res["big"], res["small"]
    print(f"\nedXML reader, peak traced memory: {big['attachments_mib']} MiB of attachments "
          f"{big['peak_kib']} KiB ({big['mib_per_s']} MiB/s) vs {small['attachments_mib']} "
          f"MiB {small['peak_kib']} KiB; ratio {res['peak_ratio']} (target <= 1.5: "
          f"{'met' if res['met'] else 'NOT met'})")


def _scale(chosen: set[str], quick: bool, out: dict[str, Any]) -> None:
    """SCALE: one message to 1,000 destinations and 1,000 WebSockets hearing of it, per
    destination and per connection against one (on a host of its own)."""
    if "SCALE" not in chosen:
        return
    res = out["scale"] = (scale.run(destinations=50, connections=20, repetitions=1) if quick
                          else scale.run())
    print(f"\nscale: {res['units']:,} units imported in {res['setup_s']['import_s']} s, "
          f"their apps created in {res['setup_s']['apps_s']} s (medians, ms per destination "
          "or connection; ratio largest/1, target <= 1; marginal ms between sizes)")
    for name, part, sizes, what in (("fan-out", res["fan_out"], "destinations", "total_s"),
                                    ("push", res["push"], "connections", "last_push_s")):
        cells = ", ".join(f"{n}: {part['median_s'][str(n)][what]:.3f} s = {part['per_ms'][str(n)]}"
                          for n in part[sizes])
        print(f"  {name:<8} {cells}; ratio {part['ratio']} "
              f"({'met' if part['ratio'] <= 1 else 'NOT met'}); marginal {part['marginal_ms']}"
              f", last/before {part['marginal_ratio']}")
    print(f"  {res['push']['connections'][-1]:,} WebSockets opened in {res['push']['open_s']} s")


def _performance(chosen: set[str], args: argparse.Namespace) -> tuple[list[dict[str, Any]],
                                                                       dict[str, Any] | None]:
    """P1-P6 (and the part-size sweep) in the order that keeps the machine quietest for the
    transfers: the in-process benchmarks first, then everything that needs the host."""
    quick, rows, sweep = args.quick, [], None
    if "P5" in chosen:
        rows.append(cold_start.run(samples=2 if quick else 7))
    if "P5B" in chosen:  # the cold first request (row P5b)
        rows.append(cold_start.run_first_request(samples=2 if quick else 7))
    if "P6" in chosen:
        rows.append(inbox.run(big=1000, small=100, calls=5, repetitions=1) if quick
                    else inbox.run())
    if chosen & {"P1", "P2", "P3", "P4", "SWEEP"}:
        with running_hub() as hub:
            if chosen & {"P1", "P2"}:
                size = args.size_mib or (2 if quick else 256)
                reps = args.repetitions or (1 if quick else 5)
                both = exchange.run(size_mib=size, repetitions=reps,
                                    with_sftp="P2" in chosen, hub=hub)
                rows += [both[p] for p in ("P1", "P2") if p in chosen]
            if "P3" in chosen:
                rows.append(throughput.run(messages=8, repetitions=1, hub=hub) if quick
                            else throughput.run(hub=hub))
            if "P4" in chosen:
                rows.append(billing.run(messages=2 if quick else 20, hub=hub))
            if "SWEEP" in chosen:
                sweep = (exchange.sweep(size_mib=12, part_sizes_mib=(5, 8),
                                        concurrencies=(2, 4), hub=hub) if quick
                         else exchange.sweep(repetitions=3, hub=hub))
    if "P3" in chosen:  # P3 again on a host of its own whose table is PostgreSQL
        rows.append(throughput.run_postgres(messages=8, repetitions=1) if quick
                    else throughput.run_postgres())
    return sorted(rows, key=lambda r: r["id"]), sweep


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny run (harness smoke test)")
    parser.add_argument("--only", default="", help="comma list of " + ",".join(EVERYTHING))
    parser.add_argument("--size-mib", type=int, default=0, help="P1/P2 file size (256)")
    parser.add_argument("--repetitions", type=int, default=0, help="P1/P2 runs (5)")
    parser.add_argument("--out", default="bench/results/latest.json")
    args = parser.parse_args()
    chosen = {c.strip().upper() for c in args.only.split(",") if c.strip()} or set(EVERYTHING)
    unknown = chosen - set(EVERYTHING)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    logging.getLogger("lgsp.api").setLevel(logging.WARNING)
    started = time.perf_counter()
    out: dict[str, Any] = {}
    _legacy(chosen, args.quick, out)
    _reports(chosen, args.quick, out)
    _edxml(chosen, args.quick, out)
    _scale(chosen, args.quick, out)
    rows, sweep = _performance(chosen, args)
    if rows:
        print("\nR-PROP-5 (medians; every ratio measured within this run)")
        print(report.table(rows))
    if sweep is not None:
        print(f"\nhub upload MiB/s of a {sweep['size_mib']} MiB file, part size x concurrency "
              f"(client default {sweep['client_default']}, best {sweep['best']}):")
        print(report.sweep_table(sweep))
        print(f"\nhub download MiB/s of the same file (best {sweep['best_download']}; "
              "concurrency 1 is one stream):")
        print(report.sweep_table(sweep, "download_mib_per_s"))
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "quick": args.quick, "seconds": round(time.perf_counter() - started, 1),
              "performance": rows, "part_size_sweep": sweep, **out}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {path} in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
