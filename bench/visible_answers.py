"""Benchmark: ``definitions.answers.visible_answers`` at 50 and 500 fields.

A procedure of N text fields (ten a page, each page with a ``when``, each field shown only
if the one before is not "cacher"): the time of one call at 50 and at 500 fields, whose
ratio is about 10 when the cost is linear (about 100 when quadratic), and the former
algorithm (a fresh context of every field built for each field, every expression given the
whole context) on the same procedure, in the same run.

    python bench/visible_answers.py [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from definitions.answers import expression_context, visible_answers  # noqa: E402
from definitions.expressions import _compiled_expression  # noqa: E402
from tests.wide_forms import wide_procedure  # noqa: E402 - a helper, not a test module

TODAY = dt.date(2026, 12, 2)


def former(procedure, answers, *, today):
    """visible_answers as it was: quadratic in the number of fields."""

    def holds(expression, context):
        try:
            return bool(_compiled_expression(expression.source)(**context))
        except (TypeError, ValueError, ArithmeticError):
            return False

    def rest(kept):
        return {k: v for k, v in answers.items() if k not in kept and k in procedure.fields}

    kept = {}
    for page in procedure.form.pages:
        context = expression_context(procedure.fields, kept | rest(kept), today=today)
        if page.when is not None and not holds(page.when, context):
            continue
        for field in page.fields:
            if not field.stores_value or answers.get(field.id) is None:
                continue
            context = expression_context(procedure.fields, kept | rest(kept), today=today)
            if field.visible_if is not None and not holds(field.visible_if, context):
                continue
            kept[field.id] = answers[field.id]
    return kept


def best(function, procedure, answers, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function(procedure, answers, today=TODAY)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for size in (50, 500):
        procedure, answers = wide_procedure(size)
        assert former(procedure, answers, today=TODAY) == visible_answers(
            procedure, answers, today=TODAY
        )
        results[size] = (
            best(visible_answers, procedure, answers, args.runs),
            best(former, procedure, answers, max(3, args.runs // 4)),
        )
    for size, (now, before) in results.items():
        print(f"{size:4d} fields: visible_answers {now * 1000:7.2f} ms   "
              f"former algorithm {before * 1000:7.2f} ms   ({before / now:.0f}x)")
    print(f"500 fields / 50 fields: {results[500][0] / results[50][0]:.1f}x "
          f"(former: {results[500][1] / results[50][1]:.1f}x; linear is about 10x)")


if __name__ == "__main__":
    main()
