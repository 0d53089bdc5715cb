"""`rumordesk match`, `rumordesk match-batch` and `rumordesk matcher ...`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from tqdm import tqdm

from rumordesk.cli.common import fail, handle_errors, open_desk
from rumordesk.services.importing import open_text
from rumordesk.services.matching_contract import ClaimMatch, ContentItem

matcher_app = typer.Typer(help="Build, inspect and train the matcher.", no_args_is_help=True)
BATCH = 256


class _FileLibrary:
    """A library read straight from a claims file (no database): for evaluation and trials."""

    def __init__(self, path: Path, desk_policy_thresholds: Any) -> None:
        from rumordesk.matching.engine import Matcher, records_from_claims_jsonl

        self.matcher = Matcher(thresholds=desk_policy_thresholds)
        self.matcher.build(records_from_claims_jsonl(path), progress=True)

    def match_items(
        self, items: Sequence[ContentItem], *, top_k: int = 5, include_no_match: bool = False
    ) -> list[list[ClaimMatch]]:
        from rumordesk.services.matching import to_claim_match, to_query

        rows = self.matcher.match_many([to_query(i) for i in items], top_k=top_k)
        return [
            [to_claim_match(r) for r in row if include_no_match or r.decision != "no_match"]
            for row in rows
        ]


def _library(library: Path | None) -> Any:
    desk = open_desk()
    if library is not None:
        from rumordesk.services.matching import thresholds_of

        if not library.exists():
            fail(f"{library}: no such file")
        return _FileLibrary(library, thresholds_of(desk))
    from rumordesk.services.matching import MatchingService

    return MatchingService(desk)


@handle_errors
def match(
    text: Annotated[str, typer.Argument(help="Text of a post, comment or search query.")],
    image: Annotated[
        Path | None, typer.Option(help="An image to match by perceptual hash.")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k")] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    library: Annotated[
        Path | None,
        typer.Option(help="Match against this claims file instead of the database library."),
    ] = None,
) -> None:
    """Match one text (and/or image) against the library and explain the result."""
    service = _library(library)
    item = ContentItem(key="cli", text=text, image_path=str(image) if image else None)
    matches = service.match_items([item], top_k=top_k, include_no_match=True)[0]
    if as_json:
        typer.echo(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
        return
    shown = [m for m in matches if m.decision != "no_match"]
    if not shown:
        typer.echo("no match")
        return
    for m in shown:
        d = m.to_dict()
        typer.echo(f"{d['decision'].upper():<7} {m.score:.3f}  claim {d['claim_id']}")
        for layer, evidence in m.layers.items():
            typer.echo(f"          {layer}: {json.dumps(evidence, ensure_ascii=False)}")


def _read_batch_input(stream: IO[str]) -> Iterator[tuple[int, ContentItem | str, str | None]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON: {exc.msg}", None
            continue
        if not isinstance(record, dict) or "id" not in record:
            yield number, "each line must be an object with an 'id'", None
            continue
        text, image = record.get("text"), record.get("image")
        if not isinstance(text, str | None) or not isinstance(image, str | None):
            yield number, "'text' and 'image' must be strings", str(record["id"])
            continue
        if not (text and text.strip()) and not image:
            yield number, "a line needs a non-empty 'text' or an 'image'", str(record["id"])
            continue
        lang = record.get("lang") if isinstance(record.get("lang"), str) else None
        yield (
            number,
            ContentItem(key=str(record["id"]), text=text, lang=lang, image_path=image),
            str(record["id"]),
        )


@handle_errors
def match_batch(
    input_path: Annotated[Path, typer.Option("--input", help="JSONL: {id, text, lang?, image?}")],
    output: Annotated[Path, typer.Option("--output", help="JSONL results, one line per input.")],
    top_k: Annotated[int, typer.Option("--top-k")] = 10,
    library: Annotated[
        Path | None,
        typer.Option(help="Match against this claims file instead of the database library."),
    ] = None,
) -> None:
    """Match a file of posts; invalid lines are reported with their line number and skipped."""
    if not input_path.exists():
        fail(f"{input_path}: no such file")
    if top_k < 1:
        fail("--top-k must be at least 1")
    service = _library(library)
    problems: list[str] = []
    written = 0
    with (
        open_text(input_path) as stream,
        output.open("w", encoding="utf-8") as out,
        tqdm(desc="matching", unit=" posts", disable=None) as bar,
    ):
        pending: list[ContentItem] = []

        def flush() -> None:
            nonlocal written
            results = service.match_items(pending, top_k=top_k, include_no_match=True)
            for item, matches in zip(pending, results, strict=True):
                row = {
                    "id": item.key,
                    "matches": [
                        {k: v for k, v in m.to_dict().items() if k != "internal_id"}
                        for m in sorted(matches, key=lambda m: -m.score)
                    ],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += len(pending)
            bar.update(len(pending))
            pending.clear()

        for number, item, _ in _read_batch_input(stream):
            if isinstance(item, str):
                problems.append(f"line {number}: {item}")
                continue
            pending.append(item)
            if len(pending) >= BATCH:
                flush()
        if pending:
            flush()
    for problem in problems[:50]:
        typer.echo(f"skipped {problem}", err=True)
    typer.echo(
        f"matched {written} items, skipped {len(problems)} invalid lines -> {output}", err=True
    )


@matcher_app.command("rebuild")
@handle_errors
def rebuild() -> None:
    """Rebuild the persisted match index from the library in the database."""
    from rumordesk.services.matching import MatchingService

    service = MatchingService(open_desk())
    service.rebuild(progress=True)
    typer.echo(f"index rebuilt at {service.directory} (version {service.version})")


@matcher_app.command("train")
@handle_errors
def train(
    claims: Annotated[Path, typer.Option(help="Claims JSONL(.gz): CLEF or rumordesk format.")],
    pairs: Annotated[
        list[Path], typer.Option(help="Labelled posts JSONL(.gz): {id, text, claims: [ids]}.")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the re-ranker model (JSON).")],
) -> None:
    """Train the fusion re-ranker and its calibration on your own labelled pairs."""
    from rumordesk.matching.training import train_reranker

    report = train_reranker(claims, pairs, out)
    typer.echo(
        json.dumps(
            report.to_dict() if hasattr(report, "to_dict") else report.__dict__,
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
