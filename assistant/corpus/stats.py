"""Corpus statistics: per platform, year, contact and source file, and the user's share."""

from __future__ import annotations

import json
from typing import Any

from assistant.corpus.store import Corpus


def compute_stats(corpus: Corpus) -> dict[str, Any]:
    db = corpus.db
    me = corpus.me()
    totals = db.execute(
        """SELECT count(*) AS messages, count(DISTINCT thread_id) AS threads,
                  coalesce(sum(p.is_me), 0) AS mine
           FROM messages m LEFT JOIN people p ON p.id = m.sender_id"""
    ).fetchone()
    by_platform = {
        r["platform"]: r["n"]
        for r in db.execute(
            "SELECT t.platform, count(*) AS n FROM messages m JOIN threads t ON t.id = m.thread_id GROUP BY 1 ORDER BY 2 DESC"
        )
    }
    by_year = [
        {"year": int(r["year"]), "messages": r["n"], "mine": r["mine"]}
        for r in db.execute(
            """SELECT strftime('%Y', m.ts / 1000, 'unixepoch') AS year, count(*) AS n,
                      coalesce(sum(p.is_me), 0) AS mine
               FROM messages m LEFT JOIN people p ON p.id = m.sender_id GROUP BY 1 ORDER BY 1"""
        )
    ]
    by_contact = [
        {"name": r["name"], "messages": r["n"], "excluded": r["consent"] == "exclude", "is_me": bool(r["is_me"])}
        for r in db.execute(
            """SELECT p.name, p.consent, p.is_me, count(*) AS n FROM messages m JOIN people p ON p.id = m.sender_id
               WHERE m.kind != 'system' GROUP BY p.id ORDER BY n DESC"""
        )
    ]
    # Each source's own report, kept at import: what the file held (also messages already in the corpus
    # from an earlier export) and the warnings it raised.
    sources = [
        {"path": s["path"], "format": s["format"], "sha256": s["sha256"], "imported_at": s["imported_at"],
         "messages_seen": s["messages_seen"], "messages_added": s["messages_added"], **json.loads(s["report"])}
        for s in db.execute("SELECT * FROM sources ORDER BY id")
    ]
    return {
        "messages": totals["messages"],
        "threads": totals["threads"],
        "me": me.name if me else None,
        "my_messages": totals["mine"],
        "my_share": round(totals["mine"] / totals["messages"], 4) if totals["messages"] else 0.0,
        "by_platform": by_platform,
        "by_year": by_year,
        "by_contact": by_contact,
        "sources": sources,
    }
