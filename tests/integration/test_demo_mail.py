"""The demo's loopback mail sink: notices sent by SMTP land as .eml files."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from service.cli.demo_mail import demo_mail_sink
from service.settings import Settings


def test_the_demo_sink_stores_each_message_and_points_the_scheduler_at_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STEWARD_SMTP_HOST", raising=False)
    before = dict(os.environ)
    with demo_mail_sink(tmp_path / "mail", Settings()) as (settings, sink):
        assert sink is not None
        assert settings.smtp_host == "127.0.0.1"
        port = settings.smtp_port
        assert sink == f"127.0.0.1:{port}"
        assert dict(os.environ) == before  # passed down in the settings, not the environment
        message = EmailMessage()
        message["From"] = "steward@localhost"
        message["To"] = "fin.analyst@demo.example"
        message["Subject"] = "Deprecation: sales.orders 2.0.0"
        message["Message-ID"] = "<notice-1@steward>"
        message.set_content("amount is removed")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(message)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    assert b"Deprecation: sales.orders 2.0.0" in files[0].read_bytes()


def test_a_configured_smtp_server_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_SMTP_HOST", "mail.example.com")
    with demo_mail_sink(tmp_path / "mail", Settings()) as (settings, sink):
        assert sink is None
        assert settings.smtp_host == "mail.example.com"
    assert not (tmp_path / "mail").exists()
