"""The WSGI application that ``helpline serve`` (gunicorn) and ``runserver`` load."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")
application = get_wsgi_application()

# The cyclic garbage collector runs less often in a web process. A request allocates tens of
# thousands of objects (a 500-entry thread about 50,000), so with Python's thresholds
# (700, 10, 10) a web worker ran about four young collections per request, and every ~50
# requests a full one of ~50 ms of CPU with the GIL held, stalling every request of that
# worker. Metered with gc.callbacks at 1M tickets, per request: 1.5-1.75 ms of collector CPU
# and 3 full collections in 150 before; 0.6-0.9 ms and 1 in 150 with these. Garbage in
# reference cycles waits longer to be freed: at most about 10,000 young objects.
GC_THRESHOLDS = (10_000, 20, 20)
gc.set_threshold(*GC_THRESHOLDS)
