"""Notice batches written out after the answer: ASGI middleware over the whole app.

An operation that reaches many readers queues their notices as one batch row
(`service.usecases.notices.BATCH_FROM`) in its own transaction; this writes the batch's
outbox rows once the response has gone, in a worker thread, so the proposer does not wait
for them. Should the process stop first, the scheduler writes the batch out on its next
tick, and a read of the change request's notices does at once: nothing is lost, and the
rows carry the Message-IDs they would have had.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from service.store.db import Database
from service.store.outbox import expand_pending

log = logging.getLogger(__name__)


class WriteOutBatches:
    """ASGI middleware: after a response, write out the notice batches its operation queued."""

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, then (its response sent) write out what waits."""
        await self.app(scope, receive, send)
        if scope["type"] != "http" or not self.db.notice_batches.is_set():
            return
        self.db.notice_batches.clear()  # before: a batch committed meanwhile sets it again
        try:
            await run_in_threadpool(expand_pending, self.db)
        except Exception:  # the answer has gone; the scheduler writes the batch out instead
            log.exception("writing out notice batches failed; the scheduler will")
