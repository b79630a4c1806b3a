"""Corpus statistics: per platform, year, contact and source file, and the user's share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.corpus.store import Corpus


def _iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat() if ms is not None else None


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
    sources = []
    for s in db.execute("SELECT * FROM sources ORDER BY id"):
        kinds = {r["kind"]: r["n"] for r in db.execute(
            "SELECT kind, count(*) AS n FROM messages WHERE source_id = ? GROUP BY kind", (s["id"],))}
        span = db.execute("SELECT min(ts) AS first, max(ts) AS last FROM messages WHERE source_id = ?", (s["id"],)).fetchone()
        senders = [r[0] for r in db.execute(
            "SELECT DISTINCT sender_name FROM messages WHERE source_id = ? AND sender_name IS NOT NULL ORDER BY 1", (s["id"],))]
        sources.append({
            "path": s["path"], "format": s["format"], "sha256": s["sha256"], "imported_at": s["imported_at"],
            "messages_seen": s["messages_seen"], "messages_added": s["messages_added"], "by_kind": kinds,
            "senders": senders, "first": _iso(span["first"]), "last": _iso(span["last"]),
        })
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
