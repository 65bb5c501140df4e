"""The EDXML benchmark (docs/performance.md) runs on small sizes and reads every byte of
the generated packages; its memory figures are measured under `make bench`, not asserted."""

from bench import edxml


def test_the_edxml_benchmark_reads_the_packages_it_generates() -> None:
    result = edxml.run(big_mib=2, small_mib=1)
    assert result["big"]["attachments_mib"] >= 1.5 and result["small"]["attachments_mib"] > 0.5
    assert result["big"]["peak_kib"] > 0 and isinstance(result["met"], bool)
