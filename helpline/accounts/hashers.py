"""The password hasher: Argon2id with OWASP's recommended parameters for a small machine.

Django's Argon2 defaults (100 MiB of memory, 2 passes, 8 lanes) cost each login ~100 MB of
memory and ~370 ms of CPU in the web worker that checks it: on two cores with four threads
per worker, a few logins at once take a worker past its memory budget and stall every
request beside them. OWASP's Password Storage Cheat Sheet gives Argon2id with 19 MiB, 2
passes and 1 lane as its first configuration (~60 ms here). Hashes stored with other
parameters still verify, and are rewritten with these at the user's next login (Django's
``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # The algorithm stays "argon2": Django finds the hasher of a stored hash by that name,
    # so existing hashes are read by this class and upgraded to its parameters.
    memory_cost = 19_456  # KiB
    time_cost = 2
    parallelism = 1
