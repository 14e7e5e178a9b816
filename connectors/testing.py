"""A test double: a connector that records what it is given, and can fail on demand.

Like ``httpx.MockTransport``, it ships with the package so that tests (and procedure
tests) never call the departments' real systems.
"""

from __future__ import annotations

from typing import Any

from .base import Connector, Delivery, DeliveryFailed


class RecordingConnector(Connector):
    type = "recorder"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"fail": {"enum": ["never", "retry", "permanently"]}},
    }

    def __init__(self, name: str, settings: dict[str, Any], *, storage=None):
        super().__init__(name, settings, storage=storage)
        self.delivered: list[Delivery] = []
        self.fail = settings.get("fail", "never")

    def deliver(self, delivery: Delivery) -> None:
        if self.fail == "retry":
            raise DeliveryFailed(f"{self.name} is down (test double)", retryable=True)
        if self.fail == "permanently":
            raise DeliveryFailed(f"{self.name} refuses the delivery (test double)", retryable=False)
        self.delivered.append(delivery)
