#!/usr/bin/env python3
"""Generate a synthetic Codex CLI log corpus for parity tests against ccusage.

The output is a CODEX_HOME layout:

    <out>/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<uuid>.jsonl
    <out>/archived_sessions/...    (a few archived copies and archived-only rollouts)
    <out>/manifest.json            (case counts, and per UTC day the last_token_usage of the spaced
                                    token_count lines that ccusage skips; not a rollout, so ignored)

Each rollout starts with a session_meta line, then turns: a turn_context (payload.model), the user
message, response items (reasoning, function calls and their output, the assistant message) and
event_msg token_count lines. Cases mixed in:

- a token_count with info null before the first usage of a session (rate limits only);
- a token_count that repeats the previous total (a rate-limit refresh: adds nothing);
- token_count lines without last_token_usage (usage = difference of cumulative totals);
- sessions with no turn_context before their first usage (ccusage falls back to gpt-5);
- a model switch mid-session, resumed sessions appended to the same file hours or days later;
- forked sessions (session_meta.forked_from_id) that repeat the parent's events at the fork time;
- archived copies under the same relative path as in sessions/ (the sessions/ copy wins) and
  archived-only rollouts;
- folder dates in local time (UTC-7) while events are grouped by their own UTC timestamp;
- garbage and truncated lines, and token_count lines written with spaces (`"type": "event_msg"`),
  which ccusage 20.0.24 ignores. Truncation never ends a line right after a `"type":` key,
  because that makes ccusage 20.0.24 abort (see docs/ccusage-notes.md).

Output is a pure function of the arguments (same --seed, same bytes).

Example:
    python3 scripts/gen-codex-corpus.py --out /tmp/codex-small --seed 1 --events 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import string
from pathlib import Path

DEFAULT_MODELS = {"gpt-5-codex": 50, "gpt-5": 25, "gpt-5.1-codex": 15, "gpt-5-mini": 10}
FOLDER_UTC_OFFSET = dt.timedelta(hours=-7)  # Codex names folders and files in local time
CLI_VERSIONS = ["0.46.0", "0.53.0", "0.58.0"]

RATES = {
    "no_last_usage": 0.04,       # per token_count
    "repeated_total": 0.05,      # per token_count
    "spaced": 0.01,              # per token_count (only ones that carry last_token_usage)
    "no_turn_context": 0.05,     # per session
    "model_switch": 0.08,        # per turn
    "resume": 0.10,              # per session
    "fork": 0.06,                # per session (needs an earlier session)
    "archived_copy": 0.05,       # per session
    "archived_only": 0.03,       # per session
    "garbage": 0.003,            # per line
    "truncated": 0.003,          # per line
}
WORDS = ("read parse total usage token model session file cache price daily window rollout event "
         "reasoning function output shell patch apply test build cargo fix error line").split()


def compact(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"))


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def usage(i: int, cached: int, out: int, reasoning: int) -> dict:
    return {"input_tokens": i, "cached_input_tokens": cached, "output_tokens": out,
            "reasoning_output_tokens": reasoning, "total_tokens": i + out}


def add(a: dict, b: dict) -> dict:
    return {k: a[k] + b[k] for k in a}


ZERO = usage(0, 0, 0, 0)


class Corpus:
    """Stateful generator; every random draw goes through self.rng."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed)
        self.out = Path(args.out)
        self.target_events = args.events
        self.target_bytes = int(args.target_mb * 1024 * 1024)
        self.start = dt.datetime.combine(args.start, dt.time(), tzinfo=dt.timezone.utc)
        self.days = args.days
        if args.models:
            self.models = {m.strip(): 1 for m in args.models.split(",") if m.strip()}
        else:
            self.models = dict(DEFAULT_MODELS)
        self.events = 0
        self.bytes_emitted = 0
        self.files = 0
        self.cases = {name: 0 for name in RATES}
        self.cases.update(info_null=0, sessions=0, padding_lines=0)
        self.spaced_by_date: dict[str, dict[str, int]] = {}
        self.history: list[dict] = []  # finished sessions that can be forked

    # ---- helpers ----------------------------------------------------------------------------
    def uuid7ish(self, t: dt.datetime) -> str:
        ms = int(t.timestamp() * 1000)
        h = f"{ms:012x}{self.rng.getrandbits(80):020x}"
        return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-8{h[17:20]}-{h[20:32]}"

    def sentence(self, lo: int = 3, hi: int = 14) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))

    def pick_model(self) -> str:
        names = list(self.models)
        return self.rng.choices(names, weights=[self.models[n] for n in names])[0]

    def line(self, t: dt.datetime, kind: str, payload: dict) -> dict:
        return {"timestamp": iso(t), "type": kind, "payload": payload}

    def rate_limits(self) -> dict:
        return {"primary": {"used_percent": round(self.rng.uniform(0, 90), 1), "window_minutes": 300,
                            "resets_at": 1763941323},
                "secondary": {"used_percent": round(self.rng.uniform(0, 60), 1), "window_minutes": 10080,
                              "resets_at": 1764459345}}

    def token_count(self, t: dt.datetime, total: dict | None, last: dict | None) -> dict:
        info = None
        if total is not None:
            info = {"total_token_usage": total, "model_context_window": 272000}
            if last is not None:
                info["last_token_usage"] = last
        return self.line(t, "event_msg", {"type": "token_count", "info": info, "rate_limits": self.rate_limits()})

    def output_size(self) -> int:
        size = min(int(self.rng.lognormvariate(5.5, 1.2)) + 10, 40_000)
        if self.target_bytes:
            due = self.target_bytes * min(1.0, self.events / self.target_events) - self.bytes_emitted
            if due > self.rng.choice([8_000, 64_000, 400_000]):
                self.cases["padding_lines"] += 1
                size = int(min(due, 2_000_000))
        return size

    def emit(self, lines: list[dict], item: dict) -> None:
        lines.append(item)
        self.bytes_emitted += len(compact(item)) + 1

    # ---- sessions ---------------------------------------------------------------------------
    def turn(self, s: dict, lines: list[dict], t: dt.datetime) -> dt.datetime:
        """One user turn: several model requests, each reported by a token_count."""
        r = self.rng
        if s["turns"] > 0 or s["with_turn_context"]:
            if s["turns"] > 0 and r.random() < RATES["model_switch"]:
                self.cases["model_switch"] += 1
                s["model"] = self.pick_model()
            self.emit(lines, self.line(t, "turn_context", {
                "cwd": s["cwd"], "approval_policy": "on-request", "sandbox_policy": {"type": "workspace-write"},
                "model": s["model"], "effort": r.choice(["low", "medium", "high"]), "summary": "auto"}))
        s["turns"] += 1
        text = self.sentence(4, 30)
        self.emit(lines, self.line(t, "response_item", {"type": "message", "role": "user",
                                                         "content": [{"type": "input_text", "text": text}]}))
        self.emit(lines, self.line(t, "event_msg", {"type": "user_message", "message": text, "images": []}))
        if s["total"] is None:
            self.cases["info_null"] += 1
            self.emit(lines, self.token_count(t, None, None))
        for i in range(r.randint(1, 8)):
            t += dt.timedelta(seconds=r.uniform(2, 60))
            s["context"] = min(s["context"] + r.randint(500, 12_000), 250_000)
            out = min(int(r.lognormvariate(5.5, 1.0)) + 5, 30_000)
            last = usage(s["context"], int(s["context"] * r.uniform(0.7, 0.98)) if s["total"] else 0,
                         out, int(out * r.uniform(0, 0.8)))
            s["total"] = add(s["total"] or ZERO, last)
            self.emit(lines, self.line(t, "response_item", {
                "type": "reasoning", "summary": [{"type": "summary_text", "text": self.sentence()}],
                "content": None, "encrypted_content": "gAAAA" + "".join(r.choices(string.ascii_letters, k=120))}))
            call_id = "call_" + "".join(r.choices(string.ascii_letters + string.digits, k=24))
            self.emit(lines, self.line(t, "response_item", {
                "type": "function_call", "name": "shell", "call_id": call_id,
                "arguments": compact({"command": ["bash", "-lc", self.sentence(2, 6)]})}))
            tc = self.token_count(t, s["total"], last)
            repeat = r.random() < RATES["repeated_total"]
            self.style_token_count(s, tc, repeat)
            self.emit(lines, tc)
            self.events += 1
            if repeat:
                self.cases["repeated_total"] += 1
                self.emit(lines, self.token_count(t + dt.timedelta(milliseconds=r.randint(5, 900)), s["total"], last))
            t += dt.timedelta(seconds=r.uniform(0.2, 20))
            self.emit(lines, self.line(t, "response_item", {
                "type": "function_call_output", "call_id": call_id,
                "output": compact({"output": self.sentence(1, 3) * (self.output_size() // 60 + 1),
                                   "metadata": {"exit_code": 0, "duration_seconds": 0.4}})}))
        self.emit(lines, self.line(t, "response_item", {"type": "message", "role": "assistant",
                                                         "content": [{"type": "output_text", "text": self.sentence(5, 40)}]}))
        self.emit(lines, self.line(t, "event_msg", {"type": "agent_message", "message": self.sentence(5, 20)}))
        return t

    def style_token_count(self, s: dict, tc: dict, repeat: bool) -> None:
        """Mark a token_count as spaced or without last_token_usage, keeping ccusage's delta exact.

        A spaced line is invisible to ccusage. The next visible token_count must then carry
        last_token_usage (a difference of totals would pick the hidden usage up) and a spaced line
        is never followed by a repeat of its own total (ccusage would count the repeat instead).
        """
        r = self.rng
        if not repeat and r.random() < RATES["spaced"]:
            self.cases["spaced"] += 1
            tc["_style"] = "spaced"
            s["after_spaced"] = True
            last = tc["payload"]["info"]["last_token_usage"]
            day = self.spaced_by_date.setdefault(tc["timestamp"][:10], {
                "events": 0, "input": 0, "cached_input": 0, "output": 0, "reasoning": 0})
            day["events"] += 1
            day["input"] += last["input_tokens"]
            day["cached_input"] += last["cached_input_tokens"]
            day["output"] += last["output_tokens"]
            day["reasoning"] += last["reasoning_output_tokens"]
        elif not s["after_spaced"] and r.random() < RATES["no_last_usage"]:
            self.cases["no_last_usage"] += 1
            tc["_style"] = "no_last"
        else:
            s["after_spaced"] = False

    def new_session(self, t: dt.datetime, forked_from: dict | None = None) -> tuple[dict, list[dict]]:
        sid = self.uuid7ish(t)
        s = {"id": sid, "start": t, "cwd": f"/home/dev/src/{self.rng.choice(WORDS)}-{self.rng.randint(0, 9)}",
             "model": self.pick_model(), "total": None, "context": self.rng.randint(6_000, 14_000), "turns": 0,
             "after_spaced": False,
             "with_turn_context": self.rng.random() >= RATES["no_turn_context"]}
        if not s["with_turn_context"]:
            self.cases["no_turn_context"] += 1
        meta = {"id": sid, "timestamp": iso(t), "cwd": s["cwd"], "originator": "codex_cli_rs",
                "cli_version": self.rng.choice(CLI_VERSIONS), "instructions": None, "source": "cli",
                "model_provider": "openai"}
        lines: list[dict] = []
        if forked_from:
            meta["forked_from_id"] = forked_from["id"]
            s.update(model=forked_from["model"], cwd=forked_from["cwd"], with_turn_context=True,
                     context=forked_from["context"], total=forked_from["total"])
        self.emit(lines, self.line(t, "session_meta", meta))
        if forked_from:  # the fork repeats the parent's history, stamped within the fork's first second
            for i, item in enumerate(forked_from["lines"]):
                if item["type"] != "session_meta":  # copies keep the parent's _style, never get corrupted
                    self.emit(lines, dict(item, timestamp=iso(t + dt.timedelta(milliseconds=i % 1000)), _copy=True))
        return s, lines

    def finish(self, s: dict, lines: list[dict], t: dt.datetime) -> None:
        """Serialise, corrupt a little and write the rollout (plus any archived copy)."""
        text = [self.serialise(item) for item in lines]
        local = s["start"] + FOLDER_UTC_OFFSET
        rel = Path(local.strftime("%Y/%m/%d")) / f"rollout-{local.strftime('%Y-%m-%dT%H-%M-%S')}-{s['id']}.jsonl"
        body = "".join(ln + "\n" for ln in text)
        r = self.rng.random()
        if r < RATES["archived_only"]:
            self.cases["archived_only"] += 1
            self.write(self.out / "archived_sessions" / rel, body)
        else:
            self.write(self.out / "sessions" / rel, body)
            if r < RATES["archived_only"] + RATES["archived_copy"]:
                self.cases["archived_copy"] += 1
                self.write(self.out / "archived_sessions" / rel, body)
        self.history.append({"id": s["id"], "model": s["model"], "cwd": s["cwd"], "context": s["context"],
                             "total": s["total"], "lines": lines, "end": t})
        self.history = self.history[-20:]

    def serialise(self, item: dict) -> str:
        r = self.rng
        clean = {k: v for k, v in item.items() if not k.startswith("_")}
        style = item.get("_style")
        if style == "spaced":
            return json.dumps(clean)
        if style == "no_last":
            clean["payload"] = dict(clean["payload"], info=dict(clean["payload"]["info"]))
            del clean["payload"]["info"]["last_token_usage"]
        text = compact(clean)
        if item.get("_copy") or item["type"] == "session_meta":
            return text
        if r.random() < RATES["garbage"]:
            self.cases["garbage"] += 1
            text = r.choice(["", "garbage " + self.sentence(), "}{", "\x00\x00"]) + "\n" + text
        if r.random() < RATES["truncated"]:
            self.cases["truncated"] += 1
            cut = r.randint(1, len(text) - 2)
            while text[:cut].rstrip().endswith(('"type":', '"type":"', '"type" :')):
                cut -= 1
            text = text[:cut]
        return text

    def session(self) -> None:
        r = self.rng
        t = self.start + dt.timedelta(days=r.randrange(self.days), seconds=r.uniform(0, 86_400))
        parent = None
        if self.history and r.random() < RATES["fork"]:
            parent = r.choice(self.history)
            t = parent["end"] + dt.timedelta(minutes=r.uniform(1, 600))
            self.cases["fork"] += 1
        self.cases["sessions"] += 1
        s, lines = self.new_session(t, parent)
        for _ in range(r.randint(1, 10)):
            if self.events >= self.target_events:
                break
            t = self.turn(s, lines, t + dt.timedelta(seconds=r.uniform(10, 600)))
        if r.random() < RATES["resume"]:
            self.cases["resume"] += 1
            t += dt.timedelta(hours=r.uniform(2, 60))
            for _ in range(r.randint(1, 4)):
                t = self.turn(s, lines, t + dt.timedelta(seconds=r.uniform(10, 600)))
        self.finish(s, lines, t)

    def write(self, path: Path, body: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        self.files += 1

    def generate(self) -> dict:
        while self.events < self.target_events:
            self.session()
        manifest = {
            "generator": "gen-codex-corpus.py",
            "files": self.files,
            "token_count_events": self.events,
            "models": self.models,
            "folder_utc_offset_hours": FOLDER_UTC_OFFSET.total_seconds() / 3600,
            "cases": self.cases,
            "spaced_last_usage_by_date_utc": dict(sorted(self.spaced_by_date.items())),
        }
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (used as CODEX_HOME)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--events", type=int, default=500, help="approximate number of model requests (default 500)")
    ap.add_argument("--target-mb", type=float, default=0.0,
                    help="pad function-call outputs until the corpus reaches about this many MiB")
    ap.add_argument("--models", default="", help="comma-separated model ids to draw from uniformly "
                    f"(default: weighted {', '.join(DEFAULT_MODELS)})")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 10, 1),
                    help="first day of activity, UTC (default 2025-10-01)")
    ap.add_argument("--days", type=int, default=30, help="number of days activity is spread over (default 30)")
    args = ap.parse_args()
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        ap.error(f"{out} exists and is not empty")
    manifest = Corpus(args).generate()
    print(json.dumps({k: manifest[k] for k in ("files", "token_count_events")}))


if __name__ == "__main__":
    main()
