"""Benchmark: load and check 500 procedures, against a bare C-accelerated YAML parse.

The procedures are generated from the examples (each with its own slug and labels), written
to a temporary folder with the reusable workflows and the site config. Both runs read the
same files from disk in the same process; the ratio is what matters.

    python bench/load_procedures.py [--count 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from definitions.folders import check_paths

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ENVIRON = {
    "GUICHET_WEBHOOK_SECRET": "bench",
    "GUICHET_REGISTRY_SECRET": "bench",
    "GUICHET_AMQP_URL": "amqp://bench",
    "GUICHET_SMTP_PASSWORD": "bench",
    "GUICHET_API_PARTICULIER_TOKEN": "bench",
}


def generate(folder: Path, count: int) -> list[Path]:
    sources = sorted(
        p
        for p in EXAMPLES.glob("*.yaml")
        if not p.name.endswith(".tests.yaml") and p.name != "guichet.yaml"
    )
    shutil.copytree(EXAMPLES / "workflows", folder / "workflows")
    shutil.copy(EXAMPLES / "guichet.yaml", folder / "guichet.yaml")
    files = []
    for index in range(count):
        source = sources[index % len(sources)]
        text = source.read_text("utf-8")
        text = re.sub(r"^procedure: (\S+)", rf"procedure: \1-{index}", text, count=1, flags=re.M)
        text = re.sub(r"^(\s+label: )([^{\[\n\"'>|].*)$", rf"\g<1>\2 (n°{index})", text, flags=re.M)
        path = folder / f"{source.stem}-{index}.yaml"
        path.write_text(text, "utf-8")
        files.append(path)
    return files


def bare_parse(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as stream:
            yaml.load(stream.read(), Loader=yaml.CSafeLoader)  # noqa: S506 - the safe C loader
    return time.perf_counter() - start


def guichet_check(folder: Path) -> tuple[float, int]:
    start = time.perf_counter()
    result = check_paths([folder], folder / "guichet.yaml", environ=ENVIRON)
    elapsed = time.perf_counter() - start
    if result.problems:
        raise SystemExit("\n".join(str(p) for p in result.problems[:20]))
    return elapsed, len(result.procedures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(folder, args.count)
        size = sum(p.stat().st_size for p in files)
        print(f"{len(files)} procedures, {size / 1024:.0f} KiB of YAML")
        first, loaded = guichet_check(folder)  # includes compiling the schemas once
        assert loaded == args.count, loaded
        bare = min(bare_parse(files) for _ in range(args.repeat))
        ours = min(guichet_check(folder)[0] for _ in range(args.repeat))
        print(f"bare CSafeLoader parse : {bare:.3f} s")
        print(f"guichet check (first)  : {first:.3f} s  ({first / bare:.2f}x the bare parse)")
        print(f"guichet check (best)   : {ours:.3f} s  ({ours / bare:.2f}x the bare parse)")


if __name__ == "__main__":
    main()
