"""A local emulator of Cloudflare's Realtime Kit livestream API (tests, benchmarks, `--emulator`).

    with Emulator() as emu:
        httpx.post(f"{emu.base_url}/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}/livestreams",
                   headers={"Authorization": f"Bearer {emu.token}"})
"""

from .faults import KINDS as FAULT_KINDS
from .faults import Fault, parse_fault_spec
from .server import Emulator, RecordedRequest, serve
from .state import DEMO_ACCOUNT_ID, DEMO_APP_ID, DEMO_TOKEN, RealtimeKitState

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_APP_ID",
    "DEMO_TOKEN",
    "FAULT_KINDS",
    "Emulator",
    "Fault",
    "RealtimeKitState",
    "RecordedRequest",
    "parse_fault_spec",
    "serve",
]
