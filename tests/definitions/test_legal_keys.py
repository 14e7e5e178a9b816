"""What silence means on the legal clock, and the legal basis of the processing."""

from __future__ import annotations

import shutil
from pathlib import Path

from definitions.procedures import load_procedure

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    procedure, problems = load_procedure(EXAMPLES / name)
    assert not problems, problems
    return procedure


def test_a_financial_request_is_rejected_by_silence():
    procedure = load("subvention-association.yaml")
    assert procedure.workflow.clock.silence == "rejection"
    assert procedure.legal_basis == "public_task"


def test_the_terrace_permit_is_rejected_by_silence():
    assert load("occupation-domaine-public.yaml").workflow.clock.silence == "rejection"


def test_silence_means_acceptance_and_the_basis_is_public_task_by_default(tmp_path):
    source = (EXAMPLES / "occupation-domaine-public.yaml").read_text("utf-8")
    lines = [line for line in source.splitlines() if not line.strip().startswith("silence:")]
    path = tmp_path / "occupation-domaine-public.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    shutil.copytree(EXAMPLES / "templates", tmp_path / "templates")  # its arrêté's template
    procedure, problems = load_procedure(path)
    assert not problems, problems
    assert procedure.workflow.clock.silence == "acceptance"
    assert procedure.legal_basis == "public_task"


def test_the_site_config_takes_the_authority_s_legal_items(tmp_path):
    from definitions.folders import load_site_file

    path = tmp_path / "guichet.yaml"
    path.write_text(
        "authority: Commune de Test\n"
        "address: 1 place de la Mairie, 76000 Rouen\n"
        "phone: 02 35 00 00 00\n"
        "logo: static/logo.svg\n"
        "legal_notice: {publisher: Commune de Test, director: Le maire, host: OVH}\n"
        "dpo: {name: DPO mutualisé, email: dpo@example.org}\n"
        "accessibility: {status: partial, audit_date: '2026-06-01', audited_pages: [Accueil]}\n"
        "departments:\n  - {id: voirie, name: Voirie}\n",
        "utf-8",
    )
    site, problems = load_site_file(path, {}, {})
    assert problems == []
    assert site is not None
