"""Says, at the end of every run, whether the llama.cpp comparisons ran live
or the golden fixtures stood in (tools/llamacpp_ref.py probes llama_cpp in a
child process)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "tools"))
import llamacpp_ref  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    live, why = llamacpp_ref.probe()
    if live:
        line = (f"llama.cpp reference: live ({why}, extra buffer types off, in child processes) "
                f"on {llamacpp_ref.cpu_description()}")
    else:
        line = (f"llama.cpp reference: cannot run here ({why}); the engine is compared with the golden "
                "fixtures only, the tokenizer comparisons are skipped")
    terminalreporter.write_line(line)
