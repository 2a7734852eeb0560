"""The two exceptions of suara_verify: a failed check, and input the caller gave that cannot be read."""


class VerificationError(Exception):
    """A proof, signature, note, checkpoint or bundle does not verify (or is malformed)."""


class MalformedInput(ValueError):
    """Input the caller controls (a verifier key, a trusted checkpoint, a path) cannot be parsed or read."""
