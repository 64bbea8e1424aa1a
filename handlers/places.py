"""Where a report is: from the message's slots, else the resident's binding (绑定)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cases.models import Resident
from cases.org import Address, OrgTree


@dataclass(frozen=True)
class Place:
    courtyard: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.courtyard and self.building)

    def merged(self, other: Place) -> Place:
        """Fields of `self`, with gaps filled from `other`; a new courtyard drops old rooms,
        and another building the unit and room of `other`'s (the resident's own flat is not
        in the building they report about)."""
        if other.courtyard and self.courtyard and other.courtyard != self.courtyard:
            return self
        if other.building and self.building and other.building != self.building:
            return replace(self, courtyard=self.courtyard or other.courtyard)
        return replace(
            self,
            courtyard=self.courtyard or other.courtyard,
            building=self.building or other.building,
            unit=self.unit or other.unit,
            room=self.room or other.room,
        )

    def address(self, org: OrgTree) -> Address | None:
        return org.address(self.courtyard, self.building) if self.courtyard else None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "courtyard": self.courtyard,
            "building": self.building,
            "unit": self.unit,
            "room": self.room,
        }


def place_of_slots(slots: object) -> Place:
    return Place(
        courtyard=getattr(slots, "courtyard", None),
        building=getattr(slots, "building", None),
        unit=getattr(slots, "unit", None),
        room=getattr(slots, "room", None),
    )


def place_of_resident(resident: Resident) -> Place:
    return Place(resident.courtyard, resident.building, resident.unit, resident.room)


def describe(org: OrgTree, place: Place) -> str:
    """'铝厂小区3号楼2单元501' for wording."""
    if not place.courtyard:
        return ""
    text = org.unit("courtyard", place.courtyard).name
    if place.building:
        text += f"{place.building}号楼"
    if place.unit:
        text += f"{place.unit}单元"
    if place.room:
        text += place.room
    return text
