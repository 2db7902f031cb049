"""The contract parses, is internally consistent, and its generated doc is current."""

from __future__ import annotations

import pytest

from cs_warehouse.contract import load_contract, parse_contract, raw_column_name
from cs_warehouse.tooling.contract_docs import DOC_PATH, render


def test_raw_column_names() -> None:
    assert raw_column_name("Id") == "id"
    assert raw_column_name("ListPricePerSeatJpy__c") == "list_price_per_seat_jpy_c"
    assert raw_column_name("messageId") == "message_id"
    assert raw_column_name("organization_id") == "organization_id"
    assert raw_column_name("CurrencyIsoCode") == "currency_iso_code"


def test_every_reference_loads_before_its_referrer() -> None:
    contract = load_contract()
    order = [e.name for e in contract.load_order()]
    for entity in contract.entities.values():
        for col in entity.columns:
            if col.reference and col.reference[0] != entity.name:
                assert order.index(col.reference[0]) < order.index(entity.name), (entity.name, col.name)


def test_raw_column_names_are_unique_per_entity() -> None:
    for entity in load_contract().entities.values():
        names = [c.raw_name for c in entity.columns]
        assert len(names) == len(set(names)), entity.name


def test_unknown_reference_is_rejected() -> None:
    doc = {
        "version": 1,
        "entities": {
            "a": {
                "source": "crm",
                "primary_key": "Id",
                "columns": [{"name": "Id", "type": "string"}, {"name": "B", "type": "string", "references": "b.Id"}],
            }
        },
    }
    with pytest.raises(ValueError, match=r"references unknown b\.Id"):
        parse_contract(doc)


def test_generated_doc_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(load_contract()), (
        "docs/raw_contract.md is stale: run `cs-warehouse docs raw-contract`"
    )
