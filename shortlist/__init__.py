"""shortlist: score, rank and shortlist applicants' self-assessments against a role.

The Python API (see the README): load a role, run a sift, read or write its outputs::

    from shortlist import find_role, run_sift, write_output
    sift = run_sift(find_role("secou-ds"), ["applications.xlsx"], anonymise=True)
    write_output(sift, "shortlist.xlsx")
"""

__version__ = "0.1.0"

# The version is set first: the modules below read it.
from .batch import BatchResult, Plan, load_plan, run_batch
from .errors import ShortlistError
from .explain import explain
from .exporters import FORMATS
from .impact import ImpactReport, impact
from .readers import Applications, read_applications
from .role import Role, find_role, load_role
from .save import write_output
from .sift import Sift, run_sift

__all__ = [
    "FORMATS",
    "Applications",
    "BatchResult",
    "ImpactReport",
    "Plan",
    "Role",
    "ShortlistError",
    "Sift",
    "__version__",
    "explain",
    "find_role",
    "impact",
    "load_plan",
    "load_role",
    "read_applications",
    "run_batch",
    "run_sift",
    "write_output",
]
