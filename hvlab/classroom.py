"""The instructor's side of proof of work: seeds for a class, records verified, a class report.

    seeds(key, ["Alice Smith", "Bob"])            # [("Alice Smith", 2871956010), ...]
    verdicts = verify_files(paths, key=key)       # [(path, Verdict or why it is not a record)]
    summary(verdict)                              # the lines `hvlab verify` prints
    report_rows(verdicts)                         # one row per student and lesson (the CSV)
    report_html(verdicts)                         # the same as one self-contained HTML page

The replay itself is lab.session.verify's; this module reads the files, runs the replays
(in several processes with `jobs`: a replay takes as long as the guests' work it repeats)
and says what they found, in a table an instructor can sort, file or print.
"""

from __future__ import annotations

import csv
import html
import io
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lab.session.record import RecordError, read_record, student_seed
from lab.session.verify import LessonVerdict, Verdict, verify

REPORT_COLUMNS: Final = (
    "student",
    "file",
    "seed",
    "seed_check",
    "lesson",
    "title",
    "steps_done",
    "steps",
    "complete",
    "quizzes_right",
    "quizzes",
    "answers",
    "hints",
    "minutes",
    "runs",
    "refused_runs",
    "refusals",
)


@dataclass(frozen=True, slots=True)
class Checked:
    """One file: its verdict, or why it is not a record at all."""

    path: str
    verdict: Verdict | None
    problem: str = ""


def read_names(path: str | Path) -> list[str]:
    """A roster: one name or id a line; blank lines and lines starting with # are left out."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def seeds(key: str, names: Iterable[str]) -> list[tuple[str, int]]:
    """Each student's seed in the course whose key is `key` (lab.session.record.student_seed)."""
    return [(name, student_seed(key, name)) for name in names]


def _check(path: str, lessons_dir: str | None, key: str | None, roster: Sequence[str]) -> Checked:
    try:
        rec = read_record(path)
    except RecordError as exc:
        return Checked(path, None, str(exc))
    kwargs: dict[str, Any] = {"lessons_dir": lessons_dir} if lessons_dir else {}
    return Checked(path, verify(rec, source=path, key=key, roster=roster, **kwargs))


def verify_files(
    paths: Sequence[str | Path],
    *,
    lessons_dir: str | Path | None = None,
    key: str | None = None,
    roster: Sequence[str] = (),
    jobs: int = 1,
) -> list[Checked]:
    """Every file replayed (in `jobs` processes), in the order given."""
    args = [(str(p), str(lessons_dir) if lessons_dir else None, key, tuple(roster)) for p in paths]
    if jobs <= 1 or len(args) <= 1:
        return [_check(*a) for a in args]
    with ProcessPoolExecutor(max_workers=min(jobs, len(args))) as pool:
        return list(pool.map(_check, *zip(*args, strict=True)))


def record_files(folder: str | Path) -> list[Path]:
    """The records in a folder: its *.json files, sorted by name."""
    return sorted(p for p in Path(folder).glob("*.json") if p.is_file())


# ------------------------------------------------------------------ words


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def lesson_line(lv: LessonVerdict) -> str:
    done = f"{len(lv.done)}/{lv.steps} steps" + (", complete" if lv.complete else "")
    quizzes = f"quizzes {len(lv.right)}/{lv.quizzes} right in {lv.answers} answer(s)"
    hints = f"{lv.hints} hint(s)"
    return f"{lv.id}: {done}; {quizzes}; {hints}; {_minutes(lv.seconds)} min"


def summary(checked: Checked) -> list[str]:
    """What `hvlab verify` prints for one file."""
    verdict = checked.verdict
    if verdict is None:
        return [f"{checked.path}: not verified: {checked.problem}"]
    who = verdict.student or "(no name)"
    seed = "no seed" if verdict.seed is None else f"seed {verdict.seed}"
    check = {"": "", "ok": ", the course key's"}.get(verdict.seed_check, f": {verdict.seed_check}")
    lines = [f"{checked.path}: {who}, {seed}{check}"]
    lines += [f"  note: {note}" for note in verdict.notes]
    lines += [f"  {lesson_line(lv)}" for lv in verdict.lessons.values()]
    for run in verdict.refused:
        lines.append(f"  run {run.number} ({run.lesson}, {run.events} events) refused: {run.refused}")
    if not verdict.runs:
        lines.append("  the record holds no runs")
    return lines


def verdict_json(checked: Checked) -> dict[str, Any]:
    """A file's verdict as JSON data (`hvlab verify --json`)."""
    verdict = checked.verdict
    if verdict is None:
        return {"file": checked.path, "problem": checked.problem}
    return {
        "file": checked.path,
        "student": verdict.student,
        "seed": verdict.seed,
        "seed_check": verdict.seed_check,
        "notes": verdict.notes,
        "lessons": [
            {
                "lesson": lv.id,
                "title": lv.title,
                "steps": lv.steps,
                "steps_done": sorted(lv.done),
                "complete": lv.complete,
                "quizzes": lv.quizzes,
                "quizzes_right": len(lv.right),
                "answers": lv.answers,
                "hints": lv.hints,
                "seconds": round(lv.seconds, 1),
                "runs": lv.runs,
                "refused_runs": lv.refused,
            }
            for lv in verdict.lessons.values()
        ],
        "runs": [
            {
                "run": r.number,
                "lesson": r.lesson,
                "seed": r.seed,
                "from_step": r.from_step,
                "events": r.events,
                "steps_done": sorted(r.done),
                "refused": r.refused,
            }
            for r in verdict.runs
        ],
    }


def accepted(checked: Checked) -> bool:
    """The file is a record, its seed is the student's (when checked) and every run counts."""
    v = checked.verdict
    return v is not None and v.seed_check in ("", "ok") and not v.refused


# ------------------------------------------------------------------ the class report


def report_rows(checked: Iterable[Checked]) -> list[dict[str, Any]]:
    """One row per student and lesson (a file that is not a record: one row saying why)."""
    rows: list[dict[str, Any]] = []
    for item in checked:
        verdict = item.verdict
        base = {k: "" for k in REPORT_COLUMNS}
        base["file"] = os.path.basename(item.path)
        if verdict is None:
            rows.append({**base, "refusals": f"not a record: {item.problem}"})
            continue
        base.update(
            student=verdict.student,
            seed="" if verdict.seed is None else verdict.seed,
            seed_check=verdict.seed_check or "not checked",
        )
        if not verdict.lessons:
            rows.append({**base, "refusals": "the record holds no runs"})
        for lv in verdict.lessons.values():
            reasons = [f"run {r.number}: {r.refused}" for r in verdict.refused if r.lesson == lv.id]
            rows.append(
                {
                    **base,
                    "lesson": lv.id,
                    "title": lv.title,
                    "steps_done": len(lv.done),
                    "steps": lv.steps,
                    "complete": "yes" if lv.complete else "no",
                    "quizzes_right": len(lv.right),
                    "quizzes": lv.quizzes,
                    "answers": lv.answers,
                    "hints": lv.hints,
                    "minutes": _minutes(lv.seconds),
                    "runs": lv.runs,
                    "refused_runs": lv.refused,
                    "refusals": " | ".join(reasons),
                }
            )
    return rows


def report_csv(checked: Iterable[Checked]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report_rows(checked))
    return out.getvalue()


@dataclass(slots=True)
class StudentTotals:
    """One student's line in the report's first table."""

    student: str
    file: str
    seed_check: str
    lessons_completed: int = 0
    steps_done: int = 0
    hints: int = 0
    answers: int = 0
    quizzes_right: int = 0
    minutes: int = 0
    refused_runs: int = 0
    problem: str = ""


def student_totals(checked: Iterable[Checked]) -> list[StudentTotals]:
    out = []
    for item in checked:
        verdict = item.verdict
        name = os.path.basename(item.path)
        if verdict is None:
            out.append(StudentTotals("", name, "", problem=item.problem))
            continue
        lessons = verdict.lessons.values()
        out.append(
            StudentTotals(
                student=verdict.student,
                file=name,
                seed_check=verdict.seed_check or "not checked",
                lessons_completed=sum(1 for lv in lessons if lv.complete),
                steps_done=sum(len(lv.done) for lv in lessons),
                hints=sum(lv.hints for lv in lessons),
                answers=sum(lv.answers for lv in lessons),
                quizzes_right=sum(len(lv.right) for lv in lessons),
                minutes=_minutes(sum(lv.seconds for lv in lessons)),
                refused_runs=len(verdict.refused),
            )
        )
    return out


STYLE: Final = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem;
       color: #1b1f24; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #b42318; } .ok { color: #1a7f37; } .muted { color: #57606a; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; } th { background: #161b22; }
  th, td { border-color: #30363d; } .bad { color: #ff7b72; } .ok { color: #3fb950; }
  .muted { color: #8b949e; }
}
"""


def _cell(value: Any, *, numeric: bool = False, css: str = "") -> str:
    classes = " ".join(c for c in ("n" if numeric else "", css) if c)
    attr = f' class="{classes}"' if classes else ""
    return f"<td{attr}>{html.escape(str(value))}</td>"


def report_html(
    checked: Sequence[Checked], *, title: str = "hvlab: class report", generated: str = ""
) -> str:
    """The report as one HTML page: no script, no request, its style inside."""
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<p class="muted">Every record was replayed on this engine: a step counts when the replay '
        "completed it. Time spent comes from the student's clock (pauses over ten minutes cut short); "
        "it is shown, not proven." + (f" Generated {esc(generated)}." if generated else "") + "</p>",
        "<h2>Students</h2><table><thead><tr>",
        *(
            f"<th>{h}</th>"
            for h in (
                "Student",
                "File",
                "Seed",
                "Lessons completed",
                "Steps done",
                "Hints",
                "Answers",
                "Quizzes right",
                "Minutes",
                "Refused runs",
            )
        ),
        "</tr></thead><tbody>",
    ]
    for t in student_totals(checked):
        if t.problem:
            parts.append(
                f"<tr>{_cell('')}{_cell(t.file)}"
                f'<td colspan="8" class="bad">not a record: {esc(t.problem)}</td></tr>'
            )
            continue
        seed_css = "ok" if t.seed_check == "ok" else ("muted" if t.seed_check == "not checked" else "bad")
        parts.append(
            "<tr>"
            + _cell(t.student or "(no name)")
            + _cell(t.file)
            + _cell(t.seed_check, css=seed_css)
            + "".join(
                _cell(v, numeric=True)
                for v in (t.lessons_completed, t.steps_done, t.hints, t.answers, t.quizzes_right, t.minutes)
            )
            + _cell(t.refused_runs, numeric=True, css="bad" if t.refused_runs else "")
            + "</tr>"
        )
    parts.append("</tbody></table><h2>Lessons</h2><table><thead><tr>")
    heads = (
        "Student",
        "Lesson",
        "Steps",
        "Complete",
        "Quizzes right",
        "Answers",
        "Hints",
        "Minutes",
        "Refused",
    )
    parts += [f"<th>{h}</th>" for h in heads]
    parts.append("</tr></thead><tbody>")
    for row in report_rows(checked):
        if not row["lesson"]:
            continue
        parts.append(
            "<tr>"
            + _cell(row["student"] or row["file"])
            + _cell(row["title"] or row["lesson"])
            + _cell(f"{row['steps_done']}/{row['steps']}", numeric=True)
            + _cell(row["complete"], css="ok" if row["complete"] == "yes" else "")
            + _cell(f"{row['quizzes_right']}/{row['quizzes']}", numeric=True)
            + "".join(_cell(row[k], numeric=True) for k in ("answers", "hints", "minutes"))
            + _cell(row["refusals"], css="bad" if row["refusals"] else "")
            + "</tr>"
        )
    parts.append("</tbody></table></body></html>\n")
    return "\n".join(parts)
