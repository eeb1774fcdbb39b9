"""pyHanko's synchronous API runs its coroutines with asyncio.run(), which refuses to start in a thread whose event
loop is already running: an async caller (an ASGI view run in the loop, a management command inside a notebook)
or, in the tests, Playwright's synchronous API. Such a call runs in a thread of its own, which has no loop; every
other call runs as it is. The functions wrapped here are pure (agreements/signing/: no database access), so the
other thread needs nothing but their arguments."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor


def outside_event_loop(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: the usual case
            return fn(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
            return pool.submit(fn, *args, **kwargs).result()

    return wrapper
