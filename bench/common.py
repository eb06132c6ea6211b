"""What every benchmark prints under its tables: when, on what, and how loaded the machine was."""

from __future__ import annotations

import datetime
import os
import platform


def machine_line() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{datetime.date.today()} · {platform.python_version()} · {os.cpu_count()} CPUs · "
            f"load average at the end {load} (the machine is shared)")
