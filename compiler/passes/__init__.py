"""Compiler passes: pure functions from values to (value, diagnostics), run in order by the driver.

kinds      documents → typed raw manifests (kind dispatch, JSON Schema, raw structs)
names      ids unique across files → symbol table
providers  ProviderSpecs (secrets as env references only)
guardrails GuardrailSpecs (check ids and parameters against the check schemas)
routes     RouteSpecs (inheritance resolved onto leaves; conditions; lint of unreachable targets)
spend      BudgetSpecs and PriceSpecs
policy     PolicySpec
lint       unused providers and guardrails
"""
