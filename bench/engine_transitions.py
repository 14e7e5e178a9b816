"""Benchmarks of the case engine.

1. Firing a transition with the one machine compiled per procedure version, against the
   naive way: building a ``transitions`` Machine for each case, then triggering it.
2. Memory drift over many transitions fired through the engine (SQLite in memory): the
   resident size after a warm-up, against the resident size at the end.

    python bench/engine_transitions.py [--cases 2000] [--transitions 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import time
from pathlib import Path

from transitions import Machine

from definitions.procedures import load_procedure
from engine import cases
from engine.catalogue import Runtime, publish
from engine.clock import FrozenClock
from engine.db import Base, make_engine, make_session_factory
from engine.models import Case
from engine.workflow import Actor, CompiledProcedure, may_act

ROOT = Path(__file__).resolve().parent.parent
LOOP = """
procedure: bench-loop
version: 1
title: Boucle
department: etat-civil
form:
  pages:
    - id: p
      title: Page
      fields:
        - {id: name, type: text, label: Nom, required: true}
workflow:
  states:
    - {id: received, label: Reçue}
    - {id: review, label: Instruction}
    - {id: done, label: Close, final: true}
  transitions:
    - {id: take, from: received, to: review, by: agent, if: "name != ''"}
    - {id: back, from: review, to: received, by: agent}
    - {id: close, from: review, to: done, by: agent}
"""


def naive_fire(procedure, actor: Actor, state: str, transition_id: str, context) -> str:
    """What a machine per case costs: build it around the case, check, then trigger."""
    workflow = procedure.workflow
    transition = workflow.transition(transition_id)
    assert may_act(transition, actor, department="etat-civil", owner_id=None,
                   tracking_token=None)
    if transition.guard is not None:
        assert transition.guard.holds(context)

    class CaseModel:
        pass

    model = CaseModel()
    Machine(model=model, states=[s.id for s in workflow.states], initial=state,
            transitions=[{"trigger": t.id, "source": list(t.sources), "dest": t.target}
                         for t in workflow.transitions], auto_transitions=False)
    model.trigger(transition_id)
    return model.state


def shared_fire(compiled: CompiledProcedure, actor: Actor, state: str, transition_id: str,
                context) -> str:
    """The engine's way: the version's machine says what leaves the state; checks follow."""
    transition = compiled.transition(transition_id)
    assert compiled.leaves(transition_id, state)
    assert may_act(transition, actor, department="etat-civil", owner_id=None,
                   tracking_token=None)
    if transition.guard is not None:
        assert transition.guard.holds(context)
    return transition.target


def bench_machines(procedure, rounds: int) -> None:
    compiled = CompiledProcedure(procedure, 1)
    actor = Actor("agent", None, frozenset({"etat-civil"}))
    context = {"name": "Martin", "today": dt.date.today()}
    start = time.perf_counter()
    for _ in range(rounds):
        naive_fire(procedure, actor, "received", "take", context)
    naive = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for _ in range(rounds):
        shared_fire(compiled, actor, "received", "take", context)
    shared = (time.perf_counter() - start) / rounds
    print(f"machine per case      : {naive * 1e6:8.1f} µs per transition")
    print(f"shared machine        : {shared * 1e6:8.1f} µs per transition "
          f"({naive / shared:.0f}x cheaper)")


def resident_bytes() -> int:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory(source: str, case_count: int, transitions: int) -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    runtime = Runtime()
    clock = FrozenClock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))
    agent = Actor("agent", None, frozenset({"etat-civil"}))
    with sessions() as session, session.begin():
        version = publish(session, runtime, source, clock=clock)
        ids = [cases.submit_answers(session, runtime, version, {"name": f"N{i}"},
                                    Actor("citizen"), clock).id for i in range(case_count)]
    fired = 0
    baseline = None
    warmup = transitions // 10
    start = time.perf_counter()
    while fired < transitions:
        with sessions() as session, session.begin():
            for case_id in ids:
                case = session.get(Case, case_id)
                cases.fire(session, runtime, case, "take" if case.state == "received" else "back",
                           agent, clock)
                fired += 1
        session.close()
        if baseline is None and fired >= warmup:
            gc.collect()
            baseline = resident_bytes()
    elapsed = time.perf_counter() - start
    gc.collect()
    drift = resident_bytes() - baseline
    print(f"{fired} transitions through the engine in {elapsed:.1f} s "
          f"({elapsed / fired * 1e3:.2f} ms each, SQLite in memory)")
    print(f"resident memory drift after the warm-up ({warmup} transitions): "
          f"{drift / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--transitions", type=int, default=100_000)
    args = parser.parse_args()
    path = ROOT / "var" / "bench-loop.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(LOOP, "utf-8")
    procedure, problems = load_procedure(path)
    assert not problems, problems
    bench_machines(procedure, args.rounds)
    bench_memory(LOOP, args.cases, args.transitions)


if __name__ == "__main__":
    main()
