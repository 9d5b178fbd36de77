"""The committed SDL is what the code serves: `make schema` regenerates it."""

from pathlib import Path

from graphql import print_schema

from schema.schema import schema

SDL_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_committed_sdl_matches_the_code():
    committed = SDL_FILE.read_text(encoding="utf-8")

    assert committed.strip() == print_schema(schema.graphql_schema).strip(), (
        "schema/schema.graphql is out of date: run `make schema` and commit it."
    )
