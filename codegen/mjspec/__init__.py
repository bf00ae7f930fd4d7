"""mjspec: the spec-driven generator and conformance kit for POST /mj/task/list-by-condition."""

from mjspec.errors import GenerateError, MjspecError, SpecError, SpecProblem

__all__ = ["GenerateError", "MjspecError", "SpecError", "SpecProblem"]
