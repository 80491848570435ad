"""The reference docs generated from the code: the scenario reference from
the pydantic models (schema) and the check catalogue from the registry
(generate)."""
