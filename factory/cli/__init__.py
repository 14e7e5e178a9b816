"""The ``guichet`` command line: one module per group of commands.

- :mod:`.procedures`: ``check``, ``graph``, ``test``, ``schema`` (procedure files, no database);
- :mod:`.processes`: ``serve`` (the web application) and ``worker``;
- :mod:`.maintenance`: ``db upgrade``, ``drafts purge``, ``outbox list`` and ``replay``,
  ``config env``;
- :mod:`.users`: ``users create``;
- :mod:`.api_clients`: ``api-clients create``, ``list``, ``revoke`` (clients of the REST API);
- :mod:`.options`: the options and openings they share (database, site config).

The web layer never imports this package (``tests/test_architecture.py`` checks it).
"""

from __future__ import annotations

import click

from . import api_clients, gdpr, maintenance, procedures, processes, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guichet")
def main() -> None:
    """Guichet: online procedures for local authorities, described in YAML."""
    from definitions import fieldtypes

    try:
        fieldtypes.load_entry_points()  # plug-in field types, before any file is read
    except fieldtypes.FieldTypeError as error:
        raise click.ClickException(str(error)) from error


for _command in (
    procedures.check,
    procedures.graph,
    procedures.test_command,
    procedures.schema,
    maintenance.db,
    maintenance.config,
    maintenance.drafts,
    maintenance.outbox,
    gdpr.gdpr,
    processes.worker,
    processes.serve,
    users.users,
    api_clients.api_clients,
):
    main.add_command(_command)

__all__ = ["main"]
