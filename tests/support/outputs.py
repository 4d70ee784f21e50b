"""Comparing executed notebooks' outputs across runs."""

from __future__ import annotations


def merged_streams(outputs: list) -> list:
    """Outputs with consecutive pieces of one stream joined: how the kernel cuts a stream into messages depends on
    when its output thread flushes (a busy machine splits ``print``'s text from its newline), in either loop."""
    merged: list = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == output.get("name")):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + output["text"]}
        else:
            merged.append(output)
    return merged
