"""The console's outbox: the messages not yet delivered, and replaying the dead ones."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from engine.models import (
    OutboxMessage,
)
from engine.outbox import replay

from ..audit import audit
from ..params import int_arg
from ..services import db, services
from .views import admin_required, bp

# -- outbox ------------------------------------------------------------------------------------


@bp.route("/outbox")
@admin_required
def outbox():
    session = db()
    counts = session.execute(
        sa.select(OutboxMessage.connector, OutboxMessage.status, sa.func.count())
        .group_by(OutboxMessage.connector, OutboxMessage.status)
        .order_by(OutboxMessage.connector, OutboxMessage.status)
    ).all()
    failing = list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(
                sa.or_(
                    OutboxMessage.status == "dead",
                    sa.and_(
                        OutboxMessage.status == "pending", OutboxMessage.last_error.is_not(None)
                    ),
                )
            )
            .order_by(OutboxMessage.connector, OutboxMessage.id)
            .limit(500)
        )
    )
    dead_connectors = sorted({m.connector for m in failing if m.status == "dead"})
    return render_template(
        "console/outbox.html", counts=counts, failing=failing, dead_connectors=dead_connectors
    )


@bp.route("/outbox/rejouer", methods=["POST"])
@admin_required
def replay_dead():
    session = db()
    connector = request.form.get("connector", "")
    query = sa.select(OutboxMessage.id).where(OutboxMessage.status == "dead")
    message = int_arg("message", 1, source=request.form)
    if message is not None:
        query = query.where(OutboxMessage.id == message)
    elif connector:
        query = query.where(OutboxMessage.connector == connector)
    else:
        abort(400)
    ids = list(session.scalars(query))
    done = replay(session, ids, services().clock.now()) if ids else 0
    audit("outbox.replay", connector=connector or None, messages=ids)
    session.commit()
    flash(_("%(number)d deliveries are queued again.", number=done), "success")
    return redirect(url_for("console.outbox"))
