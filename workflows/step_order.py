"""The order of a diagram's steps: the order work reaches them along the sequence flows.

Read code uses it wherever it asks how far a cycle has come (the dashboard) or lists the steps
(the step list a phone shows instead of the drawing), so it comes from the diagram, not a list.
"""

from __future__ import annotations

from typing import Any

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def main_path(process: Any) -> tuple[str, ...]:
    """The user tasks in the order work reaches them from the start events: each task's rank is
    the longest way to it along the sequence flows once every flow that loops back (a return, a
    reject) is left out; ties keep the document's order. Boundary events are not followed (their
    paths are escalations, not the work's way); a sub-process is passed through its own start and
    end events. User tasks reached by no way at all come last."""
    successors: dict[str, list[str]] = {}

    def link(source: str | None, target: str | None) -> None:
        if source and target:
            successors.setdefault(source, []).append(target)

    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        link(flow.get("sourceRef"), flow.get("targetRef"))
    for sub in process.iterfind(".//bpmn:subProcess", NS):
        after = [
            f.get("targetRef")
            for f in process.iterfind(".//bpmn:sequenceFlow", NS)
            if f.get("sourceRef") == sub.get("id")
        ]
        inner_starts = sub.findall("bpmn:startEvent", NS)
        if inner_starts:  # the work goes through the sub-process before it goes on
            successors[sub.get("id")] = []
        for start in inner_starts:
            link(sub.get("id"), start.get("id"))
        for end in sub.findall("bpmn:endEvent", NS):
            for target in after:
                link(end.get("id"), target)
    starts = [node.get("id") for node in process.findall("bpmn:startEvent", NS)]
    # Depth first from the starts; a flow to a node still on the way there loops back.
    forward: dict[str, list[str]] = {}
    finished: list[str] = []
    on_path: set[str] = set()
    seen: set[str] = set()
    for start in starts:
        if start in seen:
            continue
        seen.add(start)
        on_path.add(start)
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack[-1]
            following = successors.get(node, [])
            if index == len(following):
                stack.pop()
                on_path.discard(node)
                finished.append(node)
                continue
            stack[-1] = (node, index + 1)
            target = following[index]
            if target in on_path:
                continue  # loops back
            forward.setdefault(node, []).append(target)
            if target not in seen:
                seen.add(target)
                on_path.add(target)
                stack.append((target, 0))
    rank: dict[str, int] = dict.fromkeys(starts, 0)
    for node in reversed(finished):  # a topological order of the forward flows
        for target in forward.get(node, []):
            rank[target] = max(rank.get(target, 0), rank.get(node, 0) + 1)
    tasks = [node.get("id") for node in process.iterfind(".//bpmn:userTask", NS)]
    unreachable = 1 + max(rank.values(), default=0)
    placed = sorted(range(len(tasks)), key=lambda i: (rank.get(tasks[i], unreachable), i))
    return tuple(tasks[i] for i in placed)
