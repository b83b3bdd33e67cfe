"""The service layer: every use case of the Bukti service, behind one container.

Handlers and commands call these; they hold the business rules and call the repositories
(:mod:`api.store`) and the log store. Nothing here knows about HTTP.
"""

from api.services.bootstrap import InitReport, initialize
from api.services.container import Services, build_services, open_services, system_clock
from api.services.roles import Principal, Role
from api.services.schedules import publish_file

__all__ = [
    "InitReport",
    "Principal",
    "Role",
    "Services",
    "build_services",
    "initialize",
    "open_services",
    "publish_file",
    "system_clock",
]
