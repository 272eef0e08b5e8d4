"""What a check found wrong, as data: the controller turns each into a translated message."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
	code: str
	row: int | None = None
	values: dict = field(default_factory=dict)
