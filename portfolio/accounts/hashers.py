"""Password hashing: Argon2id at the cost OWASP recommends for a web login.

Django's own Argon2 hasher asks for 100 MiB and eight lanes per password check: on a
two-core web server that is 200-400 ms of every sign-in, and eight such checks at once
take 800 MiB. OWASP's Password Storage Cheat Sheet recommends Argon2id with 19 MiB of
memory, two passes and one lane as the minimum for a login, which costs about 30 ms here
and is still far beyond what a GPU farm can guess at scale. Hashes made with other
parameters (Django's defaults, PBKDF2) still verify, and are rewritten with these at the
user's next sign-in (`must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class CairnArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1: same "argon2" hashes, lighter parameters."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
