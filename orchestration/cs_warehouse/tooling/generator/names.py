"""Japanese names and contact details from Faker('ja_JP'), seeded so that every run is reproducible.

Faker's own word lists change between Faker releases; identical bytes are promised for the same Faker
version (pinned in requirements.lock), not across upgrades.
"""

from __future__ import annotations

import re

from faker import Faker

from .catalog import MAJOR_PREFECTURES

_TITLES = {
    "admin": ("情報システム部 主任", "情報システム部 課長", "DX推進室 担当", "システム管理者"),
    "champion": ("営業企画部 課長", "経営企画部 マネージャー", "カスタマーサクセス部 リーダー", "事業企画部 主任"),
    "user": ("営業部", "マーケティング部", "カスタマーサポート部", "経理部", "人事部", "開発部"),
    "billing": ("経理部 担当", "総務部 担当", "財務部 課長"),
    "executive": ("代表取締役", "取締役 CTO", "執行役員", "事業部長"),
}


class NameSource:
    """All the random text of one generator run, from one seeded Faker instance."""

    def __init__(self, seed: int) -> None:
        self._fake = Faker("ja_JP")
        self._fake.seed_instance(seed)

    def company(self) -> str:
        return self._fake.company()

    def person(self) -> tuple[str, str, str]:
        """(last name kanji, first name kanji, romanised 'first.last') of one person."""
        last, _, last_roman = self._fake.last_name_pair()
        first, _, first_roman = self._fake.first_name_pair()
        return last, first, f"{first_roman}.{last_roman}".lower()

    def domain(self, index: int) -> str:
        """Per-account mail domain; `.example.jp` so that no real company's domain is produced."""
        word = re.sub(r"[^a-z0-9]", "", self._fake.last_romanized_name().lower()) or "corp"
        return f"{word}{index}.example.jp"

    def prefecture(self, u: float) -> str:
        """Billing prefecture: the big metropolitan areas by weight, anywhere else otherwise."""
        for name, weight in MAJOR_PREFECTURES:
            if u < weight:
                return name
            u -= weight
        return self._fake.prefecture()

    def title(self, role: str, pick: int) -> str:
        options = _TITLES[role]
        return options[pick % len(options)]
