"""The committed schema.graphql is the served schema, and keeps the public contract."""

from __future__ import annotations

from pathlib import Path

import httpx
from graphql import (
    build_client_schema,
    build_schema,
    find_breaking_changes,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

from tests.support import ROOT, HubProcess

CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"


def test_committed_schema_equals_the_served_schema(hub: HubProcess) -> None:
    committed = (ROOT / "schema.graphql").read_text("utf-8")
    exported = hub.run_cli("export-schema", check=True).stdout
    assert exported.strip() == committed.strip(), (
        "run `citizen-hub export-schema > schema.graphql` and commit"
    )
    # And what the running server introspects is that same schema.
    result = httpx.post(
        f"{hub.url}/graphql",
        json={"query": get_introspection_query(descriptions=True, specified_by_url=True)},
    ).json()
    served = build_client_schema(result["data"])
    assert print_schema(lexicographic_sort_schema(served)) == print_schema(
        lexicographic_sort_schema(build_schema(committed))
    )


def test_the_contract_parts_served_are_unchanged() -> None:
    """Nothing of the contract that is served is renamed or retyped (missing parts come with their issues)."""
    if not CONTRACT.exists():
        import pytest

        pytest.skip(f"no contract at {CONTRACT}")
    served = build_schema((ROOT / "schema.graphql").read_text("utf-8"))
    contract = build_schema(Path(CONTRACT).read_text("utf-8"))
    changed = [
        c.description for c in find_breaking_changes(contract, served) if "was removed" not in c.description
    ]
    assert changed == []
