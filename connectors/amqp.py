"""``amqp``: the event published to a RabbitMQ exchange, persistent, with publisher confirms.

The event id is the message id. A broker that cannot be reached, or that does not confirm,
is retried; a message no queue takes (unroutable) or an exchange that does not exist is a
dead letter, with the broker's reason.
"""

from __future__ import annotations

import json

import pika
from pika.exceptions import AMQPError, ChannelClosedByBroker, NackError, UnroutableError

from .base import Connector, Delivery, DeliveryFailed


class AmqpConnector(Connector):
    type = "amqp"
    settings_schema = {
        "type": "object",
        "required": ["url", "exchange"],
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": "string",
                "minLength": 1,
                "description": "amqp://user:password@host:port/vhost; write it env:NAME",
            },
            "exchange": {"type": "string"},
            "routing_key": {"type": "string"},
        },
    }

    def __init__(self, name, settings, *, storage=None):
        super().__init__(name, settings, storage=storage)
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def _channel(self):
        if self.channel is None or self.channel.is_closed:
            if self.connection is None or self.connection.is_closed:
                self.connection = pika.BlockingConnection(pika.URLParameters(self.settings["url"]))
            self.channel = self.connection.channel()
            self.channel.confirm_delivery()
        return self.channel

    def deliver(self, delivery: Delivery) -> None:
        body = json.dumps(delivery.payload, ensure_ascii=False).encode("utf-8")
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=delivery.event_id,
            type=str(delivery.payload.get("type", delivery.kind)),
        )
        try:
            self._channel().basic_publish(
                exchange=self.settings["exchange"],
                routing_key=self.settings.get("routing_key", ""),
                body=body,
                properties=properties,
                mandatory=True,
            )
        except UnroutableError as error:
            raise DeliveryFailed(
                f"no queue takes messages from the exchange "
                f"{self.settings['exchange']!r} with this routing key",
                retryable=False,
            ) from error
        except ChannelClosedByBroker as error:
            self.channel = None
            raise DeliveryFailed(
                f"the broker refused: {error.reply_text}",
                retryable=error.reply_code not in (403, 404),
            ) from error
        except NackError as error:
            raise DeliveryFailed("the broker did not confirm the message") from error
        except (AMQPError, OSError) as error:
            self.close()
            raise DeliveryFailed(f"cannot reach the broker: {error!r}") from error

    def close(self) -> None:
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except AMQPError:
            pass
        self.connection = self.channel = None
