"""shortlist: score, rank and shortlist applicants' self-assessments against a role."""

__version__ = "0.1.0"
