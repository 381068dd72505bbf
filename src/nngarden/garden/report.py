"""Build the garden: a static HTML site from run directories, one page per note, no network needed.

Site layout (``docs/garden.md`` describes it for readers)::

    <out>/index.html                 every note: verdict badges per claim, headline numbers
    <out>/style.css                  the only stylesheet (no CDN, no JavaScript)
    <out>/notes/<slug>.html          one page per note: claims, figures, metrics, config, provenance
    <out>/notes/<slug>/<figure>      the run's PNG/JPEG/GIF/WebP figures, copied (paths as in findings.json)
    <out>/.nngarden-garden           marks the folder as a built garden, so a rebuild may replace it

The report only reads run directories. For each note it takes the newest run (by the provenance
``finished`` time, else the file's mtime) among those whose ``findings.json`` keeps the contract; a
broken one is reported on stderr and on the index, and skipped. The site is built in a temporary folder
next to ``out`` and swapped in at the end, so a server never sees half a site and a failed build leaves
the old one.

A run directory can come from anyone, and a garden opened from disk gets no HTTP headers: nothing in a
run may crash the report (a malformed run is skipped with its reason) and no file that a browser could
run as a page (SVG, HTML, anything not known to be inert) is published.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from ..config import ConfigError
from ..findings import validate_findings
from .formatting import clip, exact_number, flatten, format_number, format_seconds, format_value, short_repr

MARKER = ".nngarden-garden"
# The pages' content security policy, in a <meta> of every page (a garden opened from disk gets no
# headers); `nngarden serve` also sends it as a header, with what only a header can say.
PAGE_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# Published images: the suffix says the type and the first bytes must agree, so that a page saved as
# "plot.png" is not published. Everything else a browser might run (SVG, HTML, XML, PDF, no suffix...)
# is refused: a garden opened from disk has no content security policy to stop its scripts.
IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}
IMAGE_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WebP"}
TEXT_SUFFIXES = {".txt", ".csv", ".tsv", ".md", ".json"}  # shown inline as escaped text, never as markup
SCRIPTABLE_SUFFIXES = {".svg", ".svgz", ".html", ".htm", ".xhtml", ".xht", ".xml", ".xsl", ".mht", ".mhtml"}
PUBLISHED = "only PNG, JPEG, GIF and WebP images and text files (" + ", ".join(sorted(TEXT_SUFFIXES)) + ")"
TEXT_LIMIT = 100_000  # characters of a text figure shown inline; a longer file is published as .txt
REASON_PROBLEMS = 5  # problems named in a skipped run's reason; the rest are counted
INDEX_METRICS = 8  # headline numbers on the index card; the note page shows them all
TIMING_METRICS = ("wall_seconds", "cpu_seconds")  # added to every run by the runner: shown as time
HERE = Path(__file__).resolve().parent


@dataclass
class Run:
    """One readable, contract-keeping run directory."""

    path: Path
    data: dict[str, Any]
    finished: float  # seconds since the epoch, for choosing the newest
    finished_text: str
    view: dict[str, Any] = field(default_factory=dict)  # what the pages show, prepared by load_run

    @property
    def slug(self) -> str:
        return self.data["note"]


@dataclass
class Scan:
    """What the search of the runs folder found."""

    newest: dict[str, Run] = field(default_factory=dict)
    older: dict[str, list[Run]] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


# --- finding and checking runs --------------------------------------------------------------------
def _warn(message: str) -> None:
    print(f"nngarden report: {message}", file=sys.stderr)


def _is_number(value: Any) -> bool:
    """A finite number the garden can show: an int too large for a float (300+ digits) is not one."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _not_a_number(label: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{label}={short_repr(value)} is too large for a float"
    return f"{label}={short_repr(value)} is not a finite number"


def _read_json(path: Path) -> tuple[Any, str]:
    """(the parsed file, "") or (None, why it cannot be read): never raises on what the file holds.

    Beyond malformed JSON, Python's reader raises ValueError for integers over 4300 digits and
    RecursionError for arrays or objects nested about a thousand deep.
    """
    try:
        if not path.resolve().is_relative_to(path.parent.resolve()):
            # a link to another file on the disk: its content would be published as this run's
            return None, f"{path.name} is a link leading out of the run directory, so it was not read"
        return json.loads(path.read_text(encoding="utf-8")), ""
    except FileNotFoundError:
        return None, f"{path.name} is not in the run directory"
    except RecursionError:
        return None, f"{path.name} could not be read (nested too deeply)"
    except (OSError, ValueError, RuntimeError) as err:  # bad JSON or UTF-8, 4300+ digits, a link loop
        return None, f"{path.name} could not be read ({str(err).split(';')[0]})"


def _shape_problems(data: Any) -> list[str]:
    """Type checks the garden needs before it can trust the contract check (which assumes shapes)."""
    if not isinstance(data, dict):
        return ["findings.json is not a JSON object"]
    slug = data.get("note")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        return [f"note {short_repr(slug)} is not a slug (letters, digits, '-' and '_')"]
    problems = []
    if not isinstance(data.get("title", ""), str):
        problems.append("title is not a string")
    claims = data.get("claims", [])
    if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
        problems.append("claims is not a list of objects")
    else:
        for claim in claims:
            if not isinstance(claim.get("id"), str) or not isinstance(claim.get("statement", ""), str):
                problems.append(f"claim {short_repr(claim.get('id'))}: id and statement must be strings")
            evidence = claim.get("evidence", {})
            if not isinstance(evidence, dict):
                problems.append(f"claim {short_repr(claim.get('id'))}: evidence is not an object")
            else:
                problems += [
                    f"claim {short_repr(claim.get('id'))}: " + _not_a_number(f"evidence {k}", v)
                    for k, v in evidence.items()
                    if not _is_number(v)
                ]
            if not isinstance(claim.get("criterion", ""), str):
                problems.append(f"claim {short_repr(claim.get('id'))}: criterion is not a string")
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        problems.append("metrics is not an object")
    else:
        problems += [_not_a_number(f"metric {k}", v) for k, v in metrics.items() if not _is_number(v)]
    figures = data.get("figures", [])
    if not isinstance(figures, list) or not all(isinstance(f, str) for f in figures):
        problems.append("figures is not a list of paths")
    provenance = data.get("provenance", {})
    if not isinstance(provenance, dict):
        problems.append("provenance is not an object")
    elif not isinstance(provenance.get("versions", {}), dict):
        problems.append("provenance.versions is not an object")
    return problems


def _finished_time(data: dict[str, Any], findings_path: Path) -> tuple[float, str]:
    stamp = data.get("provenance", {}).get("finished")
    if isinstance(stamp, str):
        try:
            moment = _dt.datetime.fromisoformat(stamp)
            # the runner writes UTC with its offset; a naive stamp (older runs) is read as local time
            return moment.timestamp(), _readable_time(moment)
        except (ValueError, OverflowError):
            pass
    mtime = findings_path.stat().st_mtime
    return mtime, _readable_time(_dt.datetime.fromtimestamp(mtime)) + " (file time)"


def _readable_time(moment: _dt.datetime) -> str:
    text = moment.strftime("%Y-%m-%d %H:%M")
    return f"{text} {moment.tzname()}" if moment.tzinfo is not None else text


def _summary(problems: list[str]) -> str:
    """One short line however many problems: a hostile file can have thousands, or huge values."""
    text = "; ".join(clip(p, 300) for p in problems[:REASON_PROBLEMS])
    return text + (f"; and {len(problems) - REASON_PROBLEMS} more" if len(problems) > REASON_PROBLEMS else "")


def load_run(findings_path: Path, notes: dict) -> Run | str:
    """The run whose findings.json is ``findings_path``, or a one-line reason it cannot be shown.

    Everything the pages show of the run is prepared here, so that a run the checks let through but
    the pages cannot show is skipped like any broken one, and an older run of its note is shown.
    """
    data, problem = _read_json(findings_path)
    if problem:
        return problem
    try:
        problems = _shape_problems(data)
        if not problems:
            note = notes.get(data["note"])
            problems = validate_findings(data, note.claim_ids if note is not None else None)
        if problems:
            return _summary(problems)
        finished, text = _finished_time(data, findings_path)
        run = Run(findings_path.parent, data, finished, text)
        run.view = _run_view(run)
    except Exception as err:  # whatever the checks missed: this run is skipped, never the whole report
        return f"could not be shown ({type(err).__name__}: {clip(str(err))})"
    return run


def scan_runs(runs_dir: Path, notes: dict) -> Scan:
    """Every run directory under ``runs_dir``; the newest valid one per note."""
    scan = Scan()
    by_slug: dict[str, list[Run]] = {}
    for findings_path in sorted(Path(runs_dir).rglob("findings.json")):
        if not findings_path.is_file():
            continue
        run = load_run(findings_path, notes)
        if isinstance(run, str):
            scan.skipped.append((findings_path.parent, run))
            _warn(f"skipped {findings_path.parent}: {run}")
            continue
        by_slug.setdefault(run.slug, []).append(run)
    for slug, runs in by_slug.items():
        runs.sort(key=lambda r: (r.finished, str(r.path)), reverse=True)
        scan.newest[slug] = runs[0]
        scan.older[slug] = runs[1:]
    return scan


# --- turning a run into what the templates show ---------------------------------------------------
def _numbers(mapping: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": k, "text": format_number(v), "exact": exact_number(v)} for k, v in mapping.items()]


COUNT_KEYS = ("n_seeds", "n_items", "n_folds")


def _evidence(mapping: dict[str, Any]) -> list[dict[str, str]]:
    """Evidence rows; an estimate with ``_low`` and ``_high`` ends reads "0.46 [0.44, 0.48], n = 3"
    (n from ``n_seeds``, ``n_items`` or ``n_folds``, which also keeps its own row)."""
    count = next((mapping[key] for key in COUNT_KEYS if key in mapping), None)
    with_ends = {name for name in mapping if f"{name}_low" in mapping and f"{name}_high" in mapping}
    ends = {f"{name}_{end}" for name in with_ends for end in ("low", "high")}
    rows = []
    for name, value in mapping.items():
        if name in ends:
            continue
        if name not in with_ends:
            rows.append({"name": name, "text": format_number(value), "exact": exact_number(value)})
            continue
        low, high = mapping[f"{name}_low"], mapping[f"{name}_high"]
        text = f"{format_number(value)} [{format_number(low)}, {format_number(high)}]"
        exact = f"{exact_number(value)} [{exact_number(low)}, {exact_number(high)}]"
        if count is not None:
            text += f", n = {format_number(count)}"
        rows.append({"name": name, "text": text, "exact": exact})
    return rows


def _figure_alt(rel: str, title: str) -> str:
    stem = PurePosixPath(rel).stem.replace("_", " ").replace("-", " ")
    return f"Figure “{stem}” of the note {title}"


def _printable(text: str) -> str:
    """A path as a reader can see it: a NUL or another control character written as its escape."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _path_problem(rel: str) -> str:
    """Why a figure path may not be followed ("" when it may): it must stay inside the run directory."""
    if "\x00" in rel:
        return "the path contains a NUL byte"
    path = PurePosixPath(rel)
    if not rel or "\\" in rel or path.is_absolute() or any(part in ("", "..") for part in path.parts):
        return "the path leaves the run directory"
    return ""


def _type_problem(source: Path, suffix: str) -> str:
    """Why the file may not be published ("" when it may): its type could be active, or it lies."""
    if suffix in SCRIPTABLE_SUFFIXES:
        return (
            f"a {suffix} file can hold scripts that run when it is opened, and a garden opened from disk "
            f"has no content security policy to stop them ({PUBLISHED} are published)"
        )
    if suffix in TEXT_SUFFIXES:
        return ""
    if suffix not in IMAGE_SIGNATURES:
        kind = f"a {suffix} file" if suffix else "a file without a suffix"
        return f"{kind} might be opened as a page by a browser ({PUBLISHED} are published)"
    with source.open("rb") as handle:
        head = handle.read(12)
    is_image = any(head.startswith(signature) for signature in IMAGE_SIGNATURES[suffix])
    if suffix == ".webp":
        is_image = is_image and head[8:12] == b"WEBP"
    if not is_image:
        return f"named {suffix}, but the file does not start as a {IMAGE_NAMES[suffix]} image does"
    return ""


def _publish_figure(
    item: dict[str, Any], source: Path, safe: PurePosixPath, note_dir: Path, slug: str
) -> None:
    """Fill ``item`` for one figure inside the run directory, copying what the page links to."""
    suffix = safe.suffix.lower()
    problem = _type_problem(source, suffix)
    if problem:
        item["kind"], item["reason"] = "refused", problem
        return
    published = safe
    if suffix in TEXT_SUFFIXES:
        with source.open(encoding="utf-8", errors="replace") as handle:
            text = handle.read(TEXT_LIMIT + 1)
        item["kind"], item["text"] = "text", text[:TEXT_LIMIT]
        item["truncated"] = len(text) > TEXT_LIMIT
        if not item["truncated"]:
            return  # shown whole on the page: nothing to copy
        if suffix != ".txt":  # opened from disk a .txt is plain text in every browser; .md or .csv may not be
            published = safe.with_name(safe.name + ".txt")
    else:
        item["kind"] = "image"
    target = note_dir / Path(*published.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    item["src"] = quote(f"{slug}/{published.as_posix()}")


def copy_figures(run: Run, title: str, note_dir: Path, slug: str) -> list[dict[str, Any]]:
    """Copy the run's figures under ``note_dir`` and describe each for the note page.

    A path that leaves the run directory (absolute, ``..``, a link pointing outside) is not copied:
    the report never publishes files from elsewhere on the disk. Nor is a file that a browser could
    run (SVG, HTML, an unknown type) or an image whose bytes are not what its name says: these are
    listed as refused, with the reason. Nothing in one figure stops the others or the report.
    """
    shown = []
    root = run.path.resolve()
    for rel in run.data["figures"]:
        item = {
            "name": _printable(rel),
            "alt": _printable(_figure_alt(rel, title)),
            "kind": "refused",
            "src": "",
            "text": "",
            "truncated": False,
            "reason": _path_problem(rel),
        }
        try:
            source = run.path / rel
            if item["reason"]:
                pass
            elif not source.resolve().is_relative_to(root):
                item["reason"] = "the path leaves the run directory"
            elif not source.is_file():
                item["kind"], item["reason"] = "missing", "the file is not in the run directory"
            else:
                _publish_figure(item, source, PurePosixPath(rel), note_dir, slug)
        except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: a symlink loop (Python 3.11)
            item["kind"], item["src"] = "refused", ""
            item["reason"] = f"it could not be read ({clip(str(err))})"
        if item["kind"] in ("refused", "missing"):
            _warn(f"{run.path}: figure {item['name']!r}: {item['reason']}")
        shown.append(item)
    return shown


def _read_config(run_dir: Path) -> tuple[list[dict[str, str]], str]:
    """(rows of the resolved config, a problem to show instead when config.json is absent/broken)."""
    data, problem = _read_json(run_dir / "config.json")
    if problem:
        return [], problem
    section = data.get("config", data) if isinstance(data, dict) else data
    return [{"name": k, "text": format_value(v)} for k, v in flatten(section)], ""


def _provenance_rows(prov: dict[str, Any], finished_text: str) -> list[dict[str, str]]:
    rows = []

    def add(label: str, value: Any, text: str | None = None) -> None:
        if value is not None:
            rows.append({"name": label, "text": text if text is not None else format_value(value)})

    add("preset", prov.get("preset"))
    add("seed", prov.get("seed"))
    add("threads", prov.get("threads"))
    add("device", prov.get("device"))
    seconds, cpu = prov.get("seconds"), prov.get("cpu_seconds")
    add("wall time", seconds, format_seconds(seconds) if seconds is not None else None)
    add("CPU time", cpu, format_seconds(cpu) if cpu is not None else None)
    load = prov.get("load_average")
    if isinstance(load, list) and load and all(_is_number(x) for x in load):
        add("load average (1, 5, 15 min)", load, " / ".join(f"{x:.2f}" for x in load))
    add("finished", finished_text)
    add("commit", prov.get("commit"))
    known = {
        "preset",
        "seed",
        "threads",
        "device",
        "seconds",
        "cpu_seconds",
        "load_average",
        "finished",
        "commit",
        "versions",
    }
    for key, value in prov.items():  # whatever else the runner records, shown rather than hidden
        if key not in known:
            add(key.replace("_", " "), value)
    return rows


def _verdict_counts(claims: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"holds": 0, "fails": 0, "inconclusive": 0}
    for claim in claims:
        counts[claim["verdict"]] = counts.get(claim["verdict"], 0) + 1
    return counts


def _run_view(run: Run) -> dict[str, Any]:
    """The claims, verdict counts and run details the pages show of one run (not its older runs)."""
    data, prov = run.data, run.data["provenance"]
    claims = [
        {
            "id": c["id"],
            "statement": c.get("statement", ""),
            "verdict": c["verdict"],
            "evidence": _evidence(c.get("evidence", {})),
            "criterion": c.get("criterion", ""),
            "kind": c.get("kind") or "unclassified",  # findings written before claims had kinds
            "revised": c.get("revised", "") if isinstance(c.get("revised", ""), str) else "",
        }
        for c in data["claims"]
    ]
    metrics = data["metrics"]
    headline = {k: v for k, v in metrics.items() if k not in TIMING_METRICS}
    config_rows, config_problem = _read_config(run.path)
    details = {
        "dir": str(run.path),
        "finished": run.finished_text,
        "preset": format_value(prov.get("preset", "?")),
        "seconds": format_seconds(prov["seconds"]) if _is_number(prov.get("seconds")) else "",
        "metrics": _numbers(metrics),
        "headline": _numbers(headline)[:INDEX_METRICS],
        "more_metrics": max(0, len(headline) - INDEX_METRICS),
        "config": config_rows,
        "config_problem": config_problem,
        "provenance": _provenance_rows(prov, run.finished_text),
        "versions": [{"name": k, "text": format_value(v)} for k, v in prov.get("versions", {}).items()],
    }
    return _split(claims) | {"run": details}


def _split(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings (and unclassified claims of older runs) lead; checks sit apart. Counts are of findings."""
    findings = [c for c in claims if c["kind"] != "check"]
    checks = [c for c in claims if c["kind"] == "check"]
    return {
        "claims": claims,
        "findings": findings,
        "checks": checks,
        "counts": _verdict_counts(findings),
        "check_counts": _verdict_counts(checks),
    }


def _note_entry(slug: str, note, run: Run | None, older: list[Run]) -> dict[str, Any]:
    """Everything the index card and the note page say about one note (figures are added later)."""
    title = note.title if note is not None else (run.data.get("title") or slug)
    entry: dict[str, Any] = {
        "slug": slug,
        "title": title,
        "href": f"notes/{quote(slug)}.html",
        "summary": note.summary if note is not None else "",
        "registered": note is not None,
        "run": None,
        "links": [],
        "backlinks": [],
        "figures": [],
        "thumbnail": None,
    }
    if run is None:
        entry["claims"] = [
            {
                "id": cid,
                "statement": statement,
                "verdict": "not run",
                "evidence": [],
                "criterion": "",
                "kind": note.kind(cid) or "unclassified",
                "revised": "",
            }
            for cid, statement in note.statements.items()
        ]
        entry.update(_split(entry["claims"]))
        entry["counts"], entry["check_counts"] = {}, {}
        return entry
    entry.update(run.view)
    entry["run"] = dict(
        run.view["run"], older=[{"dir": str(r.path), "finished": r.finished_text} for r in older]
    )
    if entry["run"]["config_problem"]:
        _warn(f"{run.path}: {entry['run']['config_problem']}")
    return entry


def _link(slug: str, entries: dict[str, dict[str, Any]], from_note_page: bool) -> dict[str, Any]:
    target = entries.get(slug)
    if target is None:
        return {"slug": slug, "title": slug, "href": None}
    href = f"{quote(slug)}.html" if from_note_page else target["href"]
    return {"slug": slug, "title": target["title"], "href": href}


# --- writing the site -----------------------------------------------------------------------------
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _check_paths(runs_dir: Path, out_dir: Path) -> None:
    if not runs_dir.is_dir():
        raise ConfigError(
            f"--runs: {runs_dir} is not a folder; run a note first (`nngarden run SLUG`) "
            "or name the folder that holds the run directories"
        )
    out_abs, runs_abs = out_dir.resolve(), runs_dir.resolve()
    if runs_abs == out_abs or runs_abs.is_relative_to(out_abs):
        raise ConfigError(
            f"--out: {out_dir} holds the runs folder {runs_dir}; rebuilding it would "
            "replace the runs, so choose another --out"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out: {out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise ConfigError(
            f"--out: {out_dir} is a non-empty folder that is not a garden built by "
            f"nngarden (no {MARKER} in it); choose a new or empty folder"
        )


def _write_site(
    site: Path, entries: dict[str, dict[str, Any]], scan: Scan, runs_dir: Path, runs: dict[str, Run]
) -> None:
    env = _environment()
    built = _readable_time(_dt.datetime.now())
    shutil.copyfile(HERE / "static" / "style.css", site / "style.css")
    (site / MARKER).write_text("built by `nngarden report`; the whole folder is replaced on a rebuild\n")
    notes_dir = site / "notes"
    notes_dir.mkdir()
    for slug, entry in entries.items():
        if slug in runs:
            entry["figures"] = copy_figures(runs[slug], entry["title"], notes_dir / slug, slug)
            images = [f for f in entry["figures"] if f["kind"] == "image"]
            if images:
                entry["thumbnail"] = {"src": f"notes/{images[0]['src']}", "alt": images[0]["alt"]}
    order = list(entries)
    for i, (slug, entry) in enumerate(entries.items()):
        neighbours = {
            "prev": _link(order[i - 1], entries, True) if i > 0 else None,
            "next": _link(order[i + 1], entries, True) if i + 1 < len(order) else None,
        }
        html = env.get_template("note.html").render(
            policy=PAGE_POLICY, note=entry, built=built, root="../", page_title=entry["title"], **neighbours
        )
        (notes_dir / f"{slug}.html").write_text(html, encoding="utf-8")
    totals = {"holds": 0, "fails": 0, "inconclusive": 0}  # of findings; checks are counted apart
    check_totals = {"holds": 0, "fails": 0, "inconclusive": 0}
    for entry in entries.values():
        for verdict, count in entry["counts"].items():
            totals[verdict] += count
        for verdict, count in entry.get("check_counts", {}).items():
            check_totals[verdict] += count
    html = env.get_template("index.html").render(
        policy=PAGE_POLICY,
        notes=list(entries.values()),
        totals=totals,
        check_totals=check_totals if any(check_totals.values()) else None,
        built=built,
        root="",
        page_title="nngarden",
        ran=sum(1 for e in entries.values() if e["run"] is not None),
        runs_dir=str(runs_dir),
        skipped=[{"dir": str(p), "reason": r} for p, r in scan.skipped],
    )
    (site / "index.html").write_text(html, encoding="utf-8")


def build_garden(runs_dir: Path, out_dir: Path, notes: dict | None = None) -> Path:
    """Build the static site from every run under ``runs_dir`` into ``out_dir``; return its index.html.

    ``notes`` (slug -> Note) defaults to the registry: registered notes are listed in its order, with
    their summaries and links, even before they have a run; runs of unregistered notes follow.
    """
    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    if notes is None:
        from ..notes import all_notes

        notes = all_notes()
    _check_paths(runs_dir, out_dir)
    scan = scan_runs(runs_dir, notes)
    slugs = list(notes) + sorted(s for s in scan.newest if s not in notes)
    entries = {
        slug: _note_entry(slug, notes.get(slug), scan.newest.get(slug), scan.older.get(slug, []))
        for slug in slugs
    }
    for slug, entry in entries.items():
        note = notes.get(slug)
        entry["links"] = [
            _link(s, entries, True) for s in (note.links if note is not None else ()) if s != slug
        ]
    for slug, entry in entries.items():  # "linked from": the other direction, so the web reads both ways
        entry["backlinks"] = [
            _link(other, entries, True)
            for other, e in entries.items()
            if other != slug
            and any(link["slug"] == slug for link in e["links"])
            and not any(link["slug"] == other for link in entry["links"])
        ]
    if not scan.newest:
        found = "no sound run directory" if scan.skipped else "no run directory (one holding findings.json)"
        _warn(f"{found} under {runs_dir}; every note shows as not run")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        os.chmod(building, 0o755)  # mkdtemp makes it private; a site is meant to be read
        _write_site(building, entries, scan, runs_dir, scan.newest)
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, retired / "site")
            os.replace(building, out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(building, out_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return out_dir / "index.html"
