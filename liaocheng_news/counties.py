"""The counties, county-level city, districts and zones of Liaocheng: the one list of their names.

An article's ``channel`` is the county it concerns when its source says so (a county portal, a
county channel of an aggregator, a county page of an e-paper), written with the canonical name
below, so that consumers filter by county with one value per county (``channel = '临清市'``).
:func:`county_of` reads a label a page or a source gives (``今日临清``, ``临清``, ``茌平县``) as
the canonical name; it matches whole labels only, so a column such as ``高新区新闻`` of a
national site is not taken for Liaocheng's 高新区.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COUNTIES", "COUNTY_NAMES", "County", "county_of"]


@dataclass(frozen=True)
class County:
    name: str  # the canonical name (what articles carry)
    short: str  # the name without 市/县/区 (临清), as channel bars write it (今日临清)
    slug: str = ""  # pinyin, as in the county's own host names (linqing.gov.cn)
    aliases: tuple[str, ...] = ()  # other names: former ones (茌平县), full names of the zones


COUNTIES: tuple[County, ...] = (
    County("东昌府区", "东昌府", "dongchangfu"),
    County("临清市", "临清", "linqing"),
    County("阳谷县", "阳谷", "yanggu"),
    County("莘县", "莘县", "shenxian"),
    County("茌平区", "茌平", "chiping", ("茌平县",)),  # a district since 2019
    County("东阿县", "东阿", "donge"),
    County("冠县", "冠县", "guanxian"),
    County("高唐县", "高唐", "gaotang"),
    # the city's functional zones, as the city's own pages name them
    County("经济开发区", "经济开发区", aliases=("聊城经济技术开发区", "聊城经济开发区", "经济技术开发区")),
    County("高新区", "高新区", aliases=("聊城高新技术产业开发区", "聊城高新区")),
    County("度假区", "度假区", aliases=("江北水城旅游度假区", "聊城江北水城旅游度假区")),
)
COUNTY_NAMES: tuple[str, ...] = tuple(c.name for c in COUNTIES)

_BY_LABEL: dict[str, str] = {}
for _county in COUNTIES:
    for _label in (_county.name, _county.short, f"今日{_county.short}", *_county.aliases):
        _BY_LABEL.setdefault(_label, _county.name)


def county_of(label: str | None) -> str | None:
    """The canonical county a whole label names (``今日临清`` -> ``临清市``), else None."""
    if not label:
        return None
    return _BY_LABEL.get("".join(label.split()))
