"""A grading kernel's message packer: jupyter_client's bytes for every message it can pack, U+FFFD for text that is
not Unicode, and a kernel that keeps its output when a student prints a lone surrogate."""

from __future__ import annotations

import json

import jupyter_client
from jupyter_client.session import json_packer

from coursetools.course.kernel import GRADED_KERNEL
from helpers.packing import pack


def test_what_jupyter_client_packs_is_packed_the_same():
    content = {"name": "stdout", "text": "café ∑ 🐍\n", "n": 1.5, "raw byte": "\udcff"}
    assert pack(content) == json_packer(content)


def test_a_lone_surrogate_becomes_the_replacement_character():
    packed = pack({"name": "stdout", "text": "\ud800 printed by the kernel"})
    assert json.loads(packed.decode("utf-8")) == {"name": "stdout", "text": "\ufffd printed by the kernel"}


def test_a_kernel_that_prints_a_lone_surrogate_keeps_its_output_and_its_stderr_clean():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3",
                                                     extra_arguments=[*GRADED_KERNEL, "--IPKernelApp.log_level=ERROR"])
    try:
        streams = []
        for cell, code in enumerate(("print('\\ud800 printed by the kernel')", "print('next cell')"), 1):
            msg_id = kc.execute(code)
            while True:
                msg = kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    streams.append((cell, msg["content"]["name"], msg["content"]["text"]))
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert streams == [(1, "stdout", "\ufffd printed by the kernel\n"), (2, "stdout", "next cell\n")]
