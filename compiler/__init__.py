"""gw config compiler: YAML manifests and `x-portkey-config` headers to frozen, hashed Specs.

compile_paths(paths)            read *.yaml/*.yml recursively and compile (the only I/O)
compile_sources(files)          compile manifest texts keyed by display path
compile_header_config(text, g)  compile a Portkey JSON config (or a route id) against a gateway
format_diagnostics(diags, fmt)  render as text, json or GitHub annotations
"""

from __future__ import annotations

from compiler.diagnostics import CODES, Diagnostic
from compiler.driver import CompileResult, compile_paths, compile_sources
from compiler.format import format_diagnostics, summary_line
from compiler.portkey import HEADER_ROUTE_ID, HeaderCompileResult, compile_header_config
from compiler.specs import CompiledGateway

__all__ = [
    "CODES",
    "HEADER_ROUTE_ID",
    "CompileResult",
    "CompiledGateway",
    "Diagnostic",
    "HeaderCompileResult",
    "compile_header_config",
    "compile_paths",
    "compile_sources",
    "format_diagnostics",
    "summary_line",
]
