"""Every query and mutation the Linear adapter can send validates against Linear's published schema."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from contexten.daemon.slices.connectors.tracker.linear import queries

SCHEMA = Path(__file__).parents[1] / "fixtures" / "linear" / "schema.graphql"
PUBLISHED_SHA256 = "b00d24d8d252a306f5e2088267b1a17dd6e4442f8b793928410b8d4673a7081d"


@cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text())


def test_the_schema_is_linears_published_one() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == PUBLISHED_SHA256


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_each_document_validates_against_the_schema(name: str) -> None:
    errors = validate(schema(), parse(queries.ALL[name]))
    assert errors == [], [e.message for e in errors]


def test_the_check_catches_a_wrong_field() -> None:
    errors = validate(schema(), parse(queries.TEAMS.replace("name", "nmae")))
    assert errors and "nmae" in errors[0].message
