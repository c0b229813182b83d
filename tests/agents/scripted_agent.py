"""A scripted coding agent for the Start Flow's tests, run as a `command` agent:
`python scripted_agent.py MODE`. It reads what contexten gives every agent (the prompt file, the issue kind,
the attempt) and does what its mode says:

- good: research writes findings; implementation writes each `WRITE path: text` line of the prompt
  (`\\n` for new lines) and commits (or, with `--leave`, leaves the change uncommitted for contexten).
- flaky: like good, but its first implementation attempt writes `BROKEN` instead of the text; given a
  restructuring prompt it writes the right text.
- never: always writes `BROKEN`.
- hang: writes a line, then sleeps (an agent that stalls); its child sleeps too (the group must be stopped).
- noop: exits 0 having changed nothing.
- flood: writes output without end.
- slow: like good, but its research first reads the FIFO named by $HOLD_FILE (a test holds it at work).

- weak (bug_fix_workflow): its reproduction writes a test that passes (`exit 0`): it reproduces nothing.
- cheat (bug_fix_workflow): its fix deletes the reproducing test.
- simplify / worsen (autonomous_refactoring): the hotspot's file becomes its `.simple` twin, or gets a
  more complex function.

Asked to plan (CONTEXTEN_ISSUE_KIND = planning), it answers as $PLAN_MODE says: valid, fix or never.
A reproduction writes each `TEST path: text` line of its sub-issue. With `--hold-byte`, any mode first
waits for one byte from the FIFO named by $HOLD_FILE; with `--hold-issue`, for the FIFO
$HOLD_FILE.<issue> to be written, if there is one.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@example.invalid",
       "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@example.invalid"}  # fmt: skip


def writes(prompt: str, word: str = "WRITE") -> list[tuple[str, str]]:
    # Only its own sub-issue's lines: the whole requirements follow in the prompt, other components included.
    own = prompt.split("## The sub-issue", 1)[-1].split("## The requirements", 1)[0]
    found = re.finditer(rf"^{word} (\S+): (.*)$", own, re.M)
    return [(m.group(1), m.group(2).replace("\\n", "\n") + "\n") for m in found]


def main() -> int:
    mode = sys.argv[1]
    leave = "--leave" in sys.argv
    prompt = Path(os.environ["CONTEXTEN_PROMPT_FILE"]).read_text()
    kind = os.environ["CONTEXTEN_ISSUE_KIND"]
    if mode == "noop":
        return 0  # not a word, not a change
    if kind == "planning":
        return plan(prompt, os.environ.get("PLAN_MODE", "valid"))
    print(f"agent {mode}: {os.environ['CONTEXTEN_ISSUE']} {kind} attempt {os.environ['CONTEXTEN_ATTEMPT']}", flush=True)
    if mode == "hang":
        # It and its child wait for a signal that only stopping them sends: a hang, without a clock.
        subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
        signal.pause()
    if mode == "flood":
        while True:
            sys.stdout.write("x" * 65536)
    if "--hold-byte" in sys.argv:
        # Held at work until whoever holds the FIFO named by $HOLD_FILE lets one byte through (a crash test
        # keeps agents busy this way, so its kills land while they run).
        fd = os.open(os.environ["HOLD_FILE"], os.O_RDONLY)
        os.read(fd, 1)
        os.close(fd)
    held = Path(f"{os.environ.get('HOLD_FILE', '')}.{os.environ['CONTEXTEN_ISSUE']}")
    if "--hold-issue" in sys.argv and held.exists():
        held.read_text()  # a FIFO of this issue's own: a test lets each issue go in the order it wants
    if mode == "slow" and kind == "research":
        Path(os.environ["HOLD_FILE"]).read_text()  # a FIFO: blocks until the test writes to it
    if kind == "research":
        Path(os.environ["CONTEXTEN_RESULT_FILE"]).write_text(f"Findings for {os.environ['CONTEXTEN_ISSUE']}: "
                                                             "the change goes at the root.\n")  # fmt: skip
        return 0
    if kind == "reproduction":
        # bug_fix_workflow: the TEST lines are the reproducing test ("weak": a test that proves nothing).
        for path, text in writes(prompt, "TEST"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text("exit 0\n" if mode == "weak" else text)
        commit(leave)
        return 0
    if mode in ("simplify", "worsen"):
        # autonomous_refactoring: the hotspot's file is replaced by its `.simple` twin, or made worse.
        target = Path(re.findall(r"in `([^`]+)` \(cyclomatic", prompt)[0])
        if mode == "simplify":
            target.write_text(Path(f"{target}.simple").read_text())
        else:
            branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(12))
            target.write_text(target.read_text() + f"\n\ndef tangle(x):\n{branches}    return -1\n")
        commit(leave)
        return 0
    if mode == "cheat":  # a "fix" that deletes the reproducing test
        for path, _ in writes(prompt, "TEST"):
            Path(path).unlink(missing_ok=True)
    broken = mode == "never" or (mode == "flaky" and kind != "restructuring")
    for path, text in writes(prompt):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("BROKEN\n" if broken else text)
    commit(leave)
    return 0


VALID_PLAN = {"title": "Greetings, planned", "notes": ["planned by the scripted agent"], "components": [
    {"title": "Greeter", "body": "WRITE greet.txt: hello", "accept": ["grep -q hello greet.txt"], "research": False},
]}  # fmt: skip


def plan(prompt: str, plan_mode: str) -> int:
    """Planning (the `agent` planner): PLAN_MODE valid; fix (invalid, then valid once told the errors);
    never (prose, never a plan). The answer goes to the result file, as the prompt asks."""
    told = "did not validate" in prompt
    if plan_mode == "valid" or (plan_mode == "fix" and told):
        answer = "Here is the plan:\n" + json.dumps(VALID_PLAN)
    elif plan_mode == "fix":
        answer = json.dumps({"title": "no components"})
    else:
        answer = "I would rather not plan."
    Path(os.environ["CONTEXTEN_RESULT_FILE"]).write_text(answer)
    return 0


def commit(leave: bool) -> None:
    if not leave:
        subprocess.run(["git", "add", "-A"], check=True, env=ENV)
        subprocess.run(
            ["git", "commit", "-qm", f"{os.environ['CONTEXTEN_ISSUE']}: agent's change"], check=True, env=ENV
        )


if __name__ == "__main__":
    sys.exit(main())
