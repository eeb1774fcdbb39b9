"""PAdES signatures on the signed agreement PDF (issue 15), built on pyHanko.

Pure library code: no models, no views, no database access on import. The parts:

- keys.py: a party's signing key from a small configuration (PKCS#12 file or PKCS#11 token), secrets from the
  environment or a secret file, never from the database.
- pades.py: prepare the signature fields, sign one field (certify with the first), B-T or B-LTA.
- loop.py: pyHanko's synchronous calls made safe where an event loop runs.
- validation.py: a report per embedded signature and document timestamp, and the receipt rows (SHA-256 before
  and after each signature).
"""

from .errors import KeyConfigError, SigningError

__all__ = ["KeyConfigError", "SigningError"]
