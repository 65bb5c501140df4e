"""Table keys of the service catalogue (docs/catalogue.md, docs/data-model.md C1-C6), part
of `chalicelib.domain.keys`: import them from there (`keys.catalogue_entry(...)`).

- `CATALOGUE`: every catalogue entry of the province, `sk` = `<unit>/<service id>` (the
  ref brokered sessions use), so a search reads one partition (bounded: a province
  shares hundreds of services, not millions) and matches in memory, as the directory does;
- `CATDOC#<ref>`: an uploaded OpenAPI document, compressed, in parts of at most 300,000
  characters (an item holds at most 400 KB; a document at most 1 MiB);
- `CATREQ#<id>`: an access request (the record), with a copy in the partition of each side
  (`CATPROV#<owner unit>`, `CATCONS#<requesting unit>`, `sk` = creation time then id) so
  each side lists its own with one query and never sees another unit's;
- `CATPAIR#<ref>` / `<app>`: the one open (pending or granted) request of an app on a
  service.
"""

from __future__ import annotations

CATALOGUE = "CATALOGUE"
META = "META"


def catalogue_entry(unit: str, service_id: str) -> tuple[str, str]:
    return CATALOGUE, f"{unit}/{service_id}"


def catalogue_document(unit: str, service_id: str) -> str:
    return f"CATDOC#{unit}/{service_id}"


def catalogue_document_part(unit: str, service_id: str, index: int) -> tuple[str, str]:
    return catalogue_document(unit, service_id), f"PART#{index:03d}"


def access_request(request_id: str) -> tuple[str, str]:
    return f"CATREQ#{request_id}", META


def provider_access(unit: str) -> str:
    return f"CATPROV#{unit}"


def consumer_access(unit: str) -> str:
    return f"CATCONS#{unit}"


def access_listing(partition: str, created_at: int, request_id: str) -> tuple[str, str]:
    """A request's copy in one side's partition, newest last (read descending)."""
    return partition, f"{created_at:010d}#{request_id}"


def access_pair(unit: str, service_id: str, app: str) -> tuple[str, str]:
    return f"CATPAIR#{unit}/{service_id}", app
