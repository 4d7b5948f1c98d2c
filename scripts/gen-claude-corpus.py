#!/usr/bin/env python3
"""Generate a synthetic Claude Code log corpus for parity tests against ccusage.

The output is a CLAUDE_CONFIG_DIR layout:

    <out>/projects/<project-dir>/<session>.jsonl
    <out>/projects/<project-dir>/<session>/subagents/agent-<id>.jsonl
    <out>/manifest.json            (case counts, and per UTC day the tokens of the spaced usage
                                    lines that ccusage skips; outside projects/, so readers ignore it)

Lines follow the shapes Claude Code 1.x/2.x writes (see docs/ccusage-notes.md): assistant lines
with message.usage, user prompts, tool results, summaries, file-history snapshots and nested
agent-progress lines. Hard cases are mixed in at fixed rates:

- resumed sessions that repeat earlier lines (same message.id + requestId) in a new file, some
  with a different token sum and some flagged isSidechain;
- subagent files that repeat parent lines as sidechain (same key, or same message.id with a new
  requestId), plus agent-progress lines in the parent that mirror subagent lines;
- one API response split over several lines with the same key (partial, then final usage);
- `<synthetic>` model lines, top-level costUSD, 1-hour cache writes, more than 200k tokens in
  one category of one line, usage.speed "fast", lines without message.id, an unknown model;
- malformed lines (truncated JSON, garbage, a truncated last line without newline) and usage
  lines written with spaces (`"usage": {`), which ccusage 20.0.24 ignores;
- sessions that cross midnight UTC.

Output is a pure function of the arguments (same --seed, same bytes).

Example:
    python3 scripts/gen-claude-corpus.py --out /tmp/cc-small --seed 1 --lines 2000
    python3 scripts/gen-claude-corpus.py --out /tmp/cc-big --seed 7 --lines 200000 --target-mb 260
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import string
from pathlib import Path

DEFAULT_MODELS = {
    "claude-sonnet-4-5-20250929": 50,
    "claude-haiku-4-5-20251001": 15,
    "claude-opus-4-1-20250805": 12,
    "claude-sonnet-4-20250514": 15,
    "claude-3-5-haiku-20241022": 8,
}
UNKNOWN_MODEL = "claude-nebula-7-20990101"
SMALL_MODEL = "claude-haiku-4-5-20251001"
VERSIONS = ["2.0.14", "2.0.31", "2.0.42", "1.0.98"]
LEGACY_VERSION = "1.0.3"  # the versions that still wrote costUSD

# Probability that one assistant API call is turned into each hard case.
RATES = {
    "synthetic": 0.005,
    "cost_usd": 0.01,
    "cache_1h": 0.06,
    "above_200k": 0.004,
    "speed_fast": 0.005,
    "no_message_id": 0.003,
    "unknown_model": 0.003,
    "spaced": 0.003,
    "split_response": 0.05,
}
GARBAGE_LINE_RATE = 0.002
TRUNCATED_LINE_RATE = 0.002
TRUNCATED_TAIL_RATE = 0.03  # files whose last line is cut off without a newline
RESUME_RATE = 0.15
SUBAGENT_RATE = 0.04  # per turn
MIDNIGHT_SESSION_RATE = 0.12

B62 = string.digits + string.ascii_letters
WORDS = (
    "fn let mut self impl struct enum match return async await pub use crate mod trait where "
    "Result Option Vec String HashMap Arc Mutex config parser token usage cost model session "
    "request response error value index cache reader writer buffer line file path json schema "
    "daily total price table window record entry batch stream chunk offset limit query"
).split()


def compact(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def spaced(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)


def is_spaced(line: str) -> bool:
    return '": ' in line[:40]


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Corpus:
    """Stateful generator; every random draw goes through self.rng."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed)
        self.out = Path(args.out)
        self.target_lines = args.lines
        self.target_bytes = int(args.target_mb * 1024 * 1024)
        self.start = dt.datetime.combine(args.start, dt.time(), tzinfo=dt.timezone.utc)
        self.days = args.days
        if args.models:
            self.models = {m.strip(): 1 for m in args.models.split(",") if m.strip()}
        else:
            self.models = dict(DEFAULT_MODELS)
        self.usage_calls = 0
        self.bytes_emitted = 0  # bytes of lines produced so far (drives --target-mb padding)
        self.bytes_written = 0
        self.files = 0
        self.cases = {name: 0 for name in RATES}
        self.cases.update(
            resumed_session=0, resume_copy=0, resume_copy_changed_sum=0, resume_copy_sidechain=0,
            subagent_file=0, subagent_replay_same_key=0, subagent_replay_new_request=0,
            agent_progress=0, garbage=0, truncated=0, truncated_tail=0, midnight_session=0,
            padding_lines=0,
        )
        self.spaced_by_date: dict[str, dict[str, int]] = {}
        self.spaced_uuids: set[str] = set()  # lines ccusage skips: never replay them as compact lines
        self.last_session: dict[str, list[str]] = {}  # project -> its last session's lines, uncorrupted
        self.filler = self._make_filler(1 << 20)

    # ---- ids and text -------------------------------------------------------------------
    def b62(self, n: int) -> str:
        return "".join(self.rng.choice(B62) for _ in range(n))

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def sentence(self, lo: int = 4, hi: int = 16) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))

    def _make_filler(self, size: int) -> str:
        parts, total = [], 0
        while total < size:
            indent = "    " * self.rng.randint(0, 3)
            s = indent + self.sentence(3, 12) + ";\n"
            parts.append(s)
            total += len(s)
        return "".join(parts)

    def filler_text(self, size: int) -> str:
        chunks, need = [], size
        while need > 0:
            off = self.rng.randrange(0, len(self.filler) - 1)
            piece = self.filler[off : off + need]
            chunks.append(piece)
            need -= len(piece)
        return "".join(chunks)

    # ---- token usage ------------------------------------------------------------------------
    def usage(self, first_call: bool) -> dict:
        r = self.rng
        cache_read = 0 if first_call else min(int(r.lognormvariate(10.0, 0.8)), 190_000)
        cache_write = 0
        if first_call or r.random() < 0.6:
            cache_write = min(int(r.lognormvariate(8.5, 1.2)), 150_000)
        return {
            "input_tokens": r.choice([1, 2, 3, 4, 5, 6, 8, 10]) if r.random() < 0.85 else r.randint(10, 20000),
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
            "output_tokens": min(int(r.lognormvariate(5.5, 1.1)) + 1, 32_000),
            "service_tier": "standard",
        }

    # ---- line builders ----------------------------------------------------------------------
    def envelope(self, s: dict, kind: str, t: dt.datetime, parent: str | None) -> dict:
        return {
            "parentUuid": parent,
            "isSidechain": s["sidechain"],
            "userType": "external",
            "cwd": s["cwd"],
            "sessionId": s["id"],
            "version": s["version"],
            "gitBranch": "main",
            "type": kind,
            "uuid": self.uuid(),
            "timestamp": iso(t),
        }

    def user_prompt(self, s: dict, t: dt.datetime, parent: str | None) -> dict:
        d = self.envelope(s, "user", t, parent)
        d["message"] = {"role": "user", "content": self.sentence(5, 30)}
        return d

    def tool_result(self, s: dict, t: dt.datetime, parent: str, tool_id: str, size: int) -> dict:
        d = self.envelope(s, "user", t, parent)
        text = self.filler_text(size)
        d["message"] = {
            "role": "user",
            "content": [{"tool_use_id": tool_id, "type": "tool_result", "content": text, "is_error": False}],
        }
        d["toolUseResult"] = {"stdout": text[:100], "stderr": "", "interrupted": False, "isImage": False}
        return d

    def assistant(self, s: dict, t: dt.datetime, parent: str | None, model: str, usage: dict,
                  tool_id: str | None) -> dict:
        d = self.envelope(s, "assistant", t, parent)
        content = [{"type": "text", "text": self.sentence(3, 20)}]
        if tool_id:
            content.append({"type": "tool_use", "id": tool_id,
                            "name": self.rng.choice(["Bash", "Read", "Edit", "Grep"]),
                            "input": {"command": self.sentence(2, 6)}})
        d["message"] = {
            "model": model,
            "id": "msg_01" + self.b62(22),
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": "tool_use" if tool_id else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        d["requestId"] = "req_011C" + self.b62(20)
        return d

    def apply_hard_cases(self, d: dict) -> bool:
        """Mutate one assistant line into hard cases; return True if it must be written spaced."""
        r, msg, u = self.rng, d["message"], d["message"]["usage"]
        if r.random() < RATES["synthetic"]:
            self.cases["synthetic"] += 1
            msg["model"] = "<synthetic>"
            d["isApiErrorMessage"] = True
            msg["content"] = [{"type": "text", "text": "API Error: 529 overloaded"}]
            if r.random() < 0.7:  # usually all zero, sometimes real tokens
                for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
                    u[k] = 0
                u["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
            return False
        if r.random() < RATES["unknown_model"]:
            self.cases["unknown_model"] += 1
            msg["model"] = UNKNOWN_MODEL
        if r.random() < RATES["cost_usd"]:
            self.cases["cost_usd"] += 1
            d["version"] = LEGACY_VERSION
            d["costUSD"] = round(r.uniform(0.0001, 0.5), 6)
        if r.random() < RATES["cache_1h"]:
            self.cases["cache_1h"] += 1
            total = u["cache_creation_input_tokens"] or r.randint(1000, 30000)
            one_h = total if r.random() < 0.5 else r.randint(0, total)
            u["cache_creation_input_tokens"] = total
            u["cache_creation"] = {"ephemeral_5m_input_tokens": total - one_h, "ephemeral_1h_input_tokens": one_h}
        if r.random() < RATES["above_200k"]:
            self.cases["above_200k"] += 1
            key = r.choice(["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens"])
            big = r.randint(200_001, 420_000) if key != "output_tokens" else r.randint(200_001, 260_000)
            u[key] = big
            if key == "cache_creation_input_tokens":  # keep the 5m/1h split consistent with the total
                one_h = min(u["cache_creation"]["ephemeral_1h_input_tokens"], big)
                u["cache_creation"] = {"ephemeral_5m_input_tokens": big - one_h, "ephemeral_1h_input_tokens": one_h}
        if r.random() < RATES["speed_fast"]:
            self.cases["speed_fast"] += 1
            u["speed"] = "fast"
        if r.random() < RATES["spaced"]:
            self.cases["spaced"] += 1
            self.record_spaced(d)
            return True
        if r.random() < RATES["no_message_id"]:
            self.cases["no_message_id"] += 1
            del msg["id"]
        return False

    def record_spaced(self, d: dict) -> None:
        self.spaced_uuids.add(d["uuid"])
        u = d["message"]["usage"]
        day = self.spaced_by_date.setdefault(
            d["timestamp"][:10], {"lines": 0, "input": 0, "output": 0, "cache_creation": 0, "cache_read": 0})
        day["lines"] += 1
        day["input"] += u["input_tokens"]
        day["output"] += u["output_tokens"]
        cc = u["cache_creation"]
        day["cache_creation"] += cc["ephemeral_5m_input_tokens"] + cc["ephemeral_1h_input_tokens"]
        day["cache_read"] += u["cache_read_input_tokens"]

    def split_response(self, d: dict) -> list[str]:
        """One API response written as 2-3 lines sharing message.id and requestId."""
        self.cases["split_response"] += 1
        parts = []
        n = self.rng.randint(2, 3)
        blocks = d["message"]["content"]
        for i in range(n):
            part = json.loads(compact(d))
            part["uuid"] = self.uuid()
            part["message"]["content"] = [blocks[min(i, len(blocks) - 1)]]
            if i < n - 1 and self.rng.random() < 0.5:  # early lines carry partial output tokens
                full = d["message"]["usage"]["output_tokens"]
                part["message"]["usage"]["output_tokens"] = self.rng.randint(1, max(1, full))
            parts.append(compact(part))
        return parts

    def maybe_corrupt(self, lines: list[str]) -> list[str]:
        """Insert garbage lines and truncate a few lines (never a spaced usage line)."""
        out = []
        for ln in lines:
            if self.rng.random() < GARBAGE_LINE_RATE:
                self.cases["garbage"] += 1
                out.append(self.rng.choice(["", "\x00\x00\x00", "not json " + self.b62(30), "}{", "[1,2", "null"]))
            if self.rng.random() < TRUNCATED_LINE_RATE and not is_spaced(ln):
                self.cases["truncated"] += 1
                ln = ln[: self.rng.randint(1, max(1, len(ln) - 2))]
            out.append(ln)
        return out

    # ---- sessions ---------------------------------------------------------------------------
    def emit(self, lines: list[str], *texts: str) -> None:
        for text in texts:
            lines.append(text)
            self.bytes_emitted += len(text) + 1

    def pick_model(self) -> str:
        names = list(self.models)
        return self.rng.choices(names, weights=[self.models[n] for n in names])[0]

    def small_model(self) -> str:
        """Model for quick side calls and subagents (Claude Code uses Haiku when it is available)."""
        return SMALL_MODEL if SMALL_MODEL in self.models else self.pick_model()

    def session_start(self) -> tuple[dt.datetime, bool]:
        day = self.start + dt.timedelta(days=self.rng.randrange(self.days))
        if self.rng.random() < MIDNIGHT_SESSION_RATE:
            return day + dt.timedelta(hours=23, minutes=self.rng.randint(20, 58), seconds=self.rng.random() * 60), True
        return day + dt.timedelta(seconds=self.rng.uniform(6 * 3600, 23 * 3600)), False

    def tool_output_size(self) -> int:
        """Size of the next tool result: ordinary, or large enough to stay on track for --target-mb."""
        size = min(int(self.rng.lognormvariate(5.0, 1.0)) + 20, 20_000)
        if self.target_bytes:
            due = self.target_bytes * min(1.0, self.usage_calls / self.target_lines) - self.bytes_emitted
            if due > self.rng.choice([4_000, 16_000, 64_000, 400_000]):
                self.cases["padding_lines"] += 1
                size = int(min(due, 3_000_000))
        return size

    def run_calls(self, s: dict, t: dt.datetime, parent: str | None, n_calls: int, model: str,
                  lines: list[str]) -> tuple[dt.datetime, str | None, list[dict]]:
        """Append n_calls assistant calls, each but the last followed by a tool result."""
        made = []
        for i in range(n_calls):
            t += dt.timedelta(seconds=self.rng.uniform(2, 90))
            use_tool = i < n_calls - 1
            tool_id = "toolu_01" + self.b62(22) if use_tool else None
            m = self.small_model() if self.rng.random() < 0.08 else model
            d = self.assistant(s, t, parent, m, self.usage(first_call=(i == 0 and parent is None)), tool_id)
            self.usage_calls += 1
            if self.apply_hard_cases(d):
                self.emit(lines, spaced(d))
            elif "id" in d["message"] and self.rng.random() < RATES["split_response"]:
                self.emit(lines, *self.split_response(d))
            else:
                self.emit(lines, compact(d))
            made.append(d)
            parent = d["uuid"]
            if use_tool:
                t += dt.timedelta(seconds=self.rng.uniform(0.5, 30))
                tr = self.tool_result(s, t, parent, tool_id, self.tool_output_size())
                self.emit(lines, compact(tr))
                parent = tr["uuid"]
        return t, parent, made

    def replayable(self, d: dict) -> bool:
        msg = d["message"]
        return "id" in msg and msg["model"] != "<synthetic>" and d["uuid"] not in self.spaced_uuids

    def subagent(self, s: dict, t: dt.datetime, parent_calls: list[dict], lines: list[str]) -> dt.datetime:
        """Write a subagent file; mirror some of it into the parent as agent-progress lines."""
        self.cases["subagent_file"] += 1
        sub = dict(s, sidechain=True)
        sub_lines: list[str] = []
        self.emit(sub_lines, compact(self.user_prompt(sub, t, None)))
        for d in parent_calls[-2:]:
            if not self.replayable(d) or self.rng.random() < 0.5:
                continue
            replay = json.loads(compact(d))
            replay["isSidechain"] = True
            replay["uuid"] = self.uuid()
            if self.rng.random() < 0.5:
                self.cases["subagent_replay_same_key"] += 1
                replay["message"]["usage"]["cache_read_input_tokens"] += self.rng.randint(1, 50_000)
            else:
                self.cases["subagent_replay_new_request"] += 1
                replay["requestId"] = "req_011C" + self.b62(20)
            self.emit(sub_lines, compact(replay))
        model = self.rng.choice([self.small_model(), s["model"]])
        t, _, made = self.run_calls(sub, t, None, self.rng.randint(2, 12), model, sub_lines)
        for d in made:
            if self.replayable(d) and self.rng.random() < 0.3:
                self.cases["agent_progress"] += 1
                self.emit(lines, compact({
                    "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": s["cwd"],
                    "sessionId": s["id"], "version": s["version"], "gitBranch": "main", "type": "progress",
                    "data": {"type": "agent_progress", "message": {
                        "type": "assistant", "timestamp": d["timestamp"], "requestId": d["requestId"],
                        "isSidechain": True, "message": d["message"]}},
                    "uuid": self.uuid(), "timestamp": d["timestamp"]}))
        name = f"agent-{self.b62(8).lower()}.jsonl"
        self.write(self.out / "projects" / s["project"] / s["id"] / "subagents" / name, self.maybe_corrupt(sub_lines))
        return t

    def resume_copy(self, prior: list[str], new_id: str, lines: list[str]) -> None:
        """Repeat a prefix of the predecessor's lines, as a resumed session does."""
        self.cases["resumed_session"] += 1
        for ln in prior[: self.rng.randint(1, len(prior))]:
            d = json.loads(ln)
            d["sessionId"] = new_id
            if is_spaced(ln):  # copied verbatim in style, so ccusage skips the copy too
                self.emit(lines, spaced(d))
                continue
            if d.get("type") == "assistant":
                self.cases["resume_copy"] += 1
                u = d["message"]["usage"]
                if self.rng.random() < 0.08:
                    self.cases["resume_copy_changed_sum"] += 1
                    u["output_tokens"] = max(1, u["output_tokens"] + self.rng.choice([-1, 1]) * self.rng.randint(1, 400))
                if self.rng.random() < 0.05:
                    self.cases["resume_copy_sidechain"] += 1
                    d["isSidechain"] = True
                    u["output_tokens"] += self.rng.randint(1, 400)
            self.emit(lines, compact(d))

    def session(self, project: str, cwd: str) -> None:
        sid = self.uuid()
        t, midnight = self.session_start()
        self.cases["midnight_session"] += midnight
        s = {"id": sid, "project": project, "cwd": cwd, "sidechain": False,
             "version": self.rng.choice(VERSIONS), "model": self.pick_model()}
        lines: list[str] = []
        prior = self.last_session.get(project)
        if prior and self.rng.random() < RESUME_RATE:
            self.resume_copy(prior, sid, lines)
        parent = None
        for _ in range(self.rng.randint(1, 12)):
            if self.usage_calls >= self.target_lines:
                break
            t += dt.timedelta(seconds=self.rng.uniform(20, 900))
            prompt = self.user_prompt(s, t, parent)
            self.emit(lines, compact(prompt))
            t, parent, made = self.run_calls(s, t, prompt["uuid"], self.rng.randint(1, 10), s["model"], lines)
            if self.rng.random() < SUBAGENT_RATE:
                t = self.subagent(s, t, made, lines)
            if self.rng.random() < 0.1:
                self.emit(lines, compact({"type": "file-history-snapshot", "messageId": self.uuid(),
                                          "snapshot": {"trackedFileBackups": {}, "timestamp": iso(t)},
                                          "isSnapshotUpdate": False}))
        self.emit(lines, compact({"type": "summary", "summary": self.sentence(3, 8), "leafUuid": parent or sid}))
        self.last_session[project] = lines
        lines = self.maybe_corrupt(lines)
        tail = None
        if self.rng.random() < TRUNCATED_TAIL_RATE and not is_spaced(lines[-1]):
            self.cases["truncated_tail"] += 1
            tail = lines.pop()
            tail = tail[: self.rng.randint(1, max(1, len(tail) - 2))]
        self.write(self.out / "projects" / project / f"{sid}.jsonl", lines, tail)

    def write(self, path: Path, lines: list[str], tail: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = ("".join(ln + "\n" for ln in lines) + (tail or "")).encode("utf-8")
        path.write_bytes(raw)
        self.bytes_written += len(raw)
        self.files += 1

    def generate(self, n_projects: int) -> dict:
        projects = []
        for i in range(n_projects):
            name = f"{self.rng.choice(WORDS)}-{self.rng.choice(WORDS)}-{i}"
            cwd = f"/home/dev/src/{name}"
            projects.append((cwd.replace("/", "-"), cwd))
        while self.usage_calls < self.target_lines:
            project, cwd = self.rng.choice(projects)
            self.session(project, cwd)
        manifest = {
            "generator": "gen-claude-corpus.py",
            "files": self.files,
            "bytes": self.bytes_written,
            "usage_calls": self.usage_calls,
            "models": self.models,
            "unknown_model": UNKNOWN_MODEL,
            "cases": self.cases,
            "spaced_usage_by_date_utc": dict(sorted(self.spaced_by_date.items())),
        }
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (used as CLAUDE_CONFIG_DIR)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--lines", type=int, default=2000, help="approximate number of assistant API calls (default 2000)")
    ap.add_argument("--target-mb", type=float, default=0.0,
                    help="pad with tool-result lines until the corpus reaches about this many MiB "
                    "(unpadded output is about 2 KB per API call)")
    ap.add_argument("--models", default="", help="comma-separated model ids to draw from uniformly "
                    f"(default: weighted {', '.join(DEFAULT_MODELS)})")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 10, 1),
                    help="first day of activity, UTC (default 2025-10-01)")
    ap.add_argument("--days", type=int, default=45, help="number of days activity is spread over (default 45)")
    ap.add_argument("--projects", type=int, default=0, help="number of projects (default: scales with --lines)")
    args = ap.parse_args()
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        ap.error(f"{out} exists and is not empty")
    n_projects = args.projects or max(3, min(40, args.lines // 5000 + 3))
    manifest = Corpus(args).generate(n_projects)
    print(json.dumps({k: manifest[k] for k in ("files", "bytes", "usage_calls")}))


if __name__ == "__main__":
    main()
