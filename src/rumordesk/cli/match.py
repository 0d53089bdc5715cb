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
BATCH = 1024  # items a match call takes (the engine chunks them for its path)


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
        Path | None,
        typer.Option(help="An image to match by perceptual hash.", exists=True, dir_okay=False),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k")] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    library: Annotated[
        Path | None,
        typer.Option(help="Match against this claims file instead of the database library."),
    ] = None,
) -> None:
    """Match one text (and/or image) against the library and explain the result."""
    if image is not None:
        from rumordesk.matching.image import pdq_hash

        try:
            pdq_hash(str(image))  # an unreadable image fails here, before the library loads
        except (OSError, ValueError) as exc:
            fail(f"{image}: not a readable image ({exc})")
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


def _image_path(image: str, base: Path) -> str:
    """An image path as given, or, when that is relative and names no file, relative to the
    input file's folder (a batch file and its images usually travel together)."""
    given = Path(image)
    if given.is_file() or given.is_absolute():
        return image
    beside = base / given
    return str(beside) if beside.is_file() else image


def _read_batch_input(
    stream: IO[str], base: Path
) -> Iterator[tuple[int, ContentItem | str, object]]:
    """(line number, item or what is wrong with the line, the line's id as written)."""
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
        raw_id = record["id"]
        text, image = record.get("text"), record.get("image")
        if not isinstance(text, str | None) or not isinstance(image, str | None):
            yield number, "'text' and 'image' must be strings", raw_id
            continue
        if not (text and text.strip()) and not image:
            yield number, "a line needs a non-empty 'text' or an 'image'", raw_id
            continue
        if image:
            image = _image_path(image, base)
            if not Path(image).is_file():
                yield number, f"image not found: {image}", raw_id
                continue
        lang = record.get("lang") if isinstance(record.get("lang"), str) else None
        yield number, ContentItem(key=str(raw_id), text=text, lang=lang, image_path=image), raw_id


def _match_lines(
    service: Any,
    lines: list[tuple[int, ContentItem, object]],
    top_k: int,
    problems: list[tuple[int, str]],
) -> list[tuple[object, list[ClaimMatch]]]:
    """Match a batch of lines; when an image cannot be read, the batch is matched line by line
    so that only the lines whose image fails are reported and skipped."""
    items = [item for _, item, _ in lines]
    try:
        results = service.match_items(items, top_k=top_k, include_no_match=True)
        return [(raw, m) for (_, _, raw), m in zip(lines, results, strict=True)]
    except (OSError, ValueError) as exc:  # PIL's unreadable image is an OSError
        if not any(item.image_path for item in items):
            raise
        batch_error = exc
    out = []
    for number, item, raw in lines:
        try:
            out.append((raw, service.match_items([item], top_k=top_k, include_no_match=True)[0]))
        except (OSError, ValueError) as exc:
            if not item.image_path:
                raise batch_error from exc
            problems.append((number, f"image {item.image_path} could not be read ({exc})"))
    return out


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
    problems: list[tuple[int, str]] = []  # (line number, what is wrong)
    written = 0
    with (
        open_text(input_path) as stream,
        output.open("w", encoding="utf-8") as out,
        tqdm(desc="matching", unit=" posts", disable=None) as bar,
    ):
        pending: list[tuple[int, ContentItem, object]] = []

        def flush() -> None:
            nonlocal written
            for raw_id, matches in _match_lines(service, pending, top_k, problems):
                row = {
                    "id": raw_id,  # as written in the input: 7 stays 7, "7" stays "7"
                    "matches": [
                        {k: v for k, v in m.to_dict().items() if k != "internal_id"}
                        for m in sorted(matches, key=lambda m: -m.score)
                    ],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
            bar.update(len(pending))
            pending.clear()

        for number, item, raw_id in _read_batch_input(stream, input_path.resolve().parent):
            if isinstance(item, str):
                problems.append((number, item))
                continue
            pending.append((number, item, raw_id))
            if len(pending) >= BATCH:
                flush()
        if pending:
            flush()
    problems.sort()  # image failures are found after the lines read later
    for number, problem in problems[:50]:
        typer.echo(f"skipped line {number}: {problem}", err=True)
    if len(problems) > 50:
        typer.echo(f"... and {len(problems) - 50} more", err=True)
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
