"""Page numbers of a paged list: read from the query, checked, and turned into LIMIT/OFFSET. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from node.services.errors import ServiceError

PER_PAGE = 30
# A page number this large is a typo or a probe, never a real list (30 x 10,000 rows).
MAX_PAGE = 10_000


class BadPage(ServiceError):
    """`?page=` is not a whole number from 1 up: a 400 with a message, never a silent other page."""

    status = 400


def page_number(raw: str | None) -> int:
    """The 1-based page a query asked for; no value (or an empty one) is page 1."""
    if raw is None or raw.strip() == "":
        return 1
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise BadPage("find.bad_page")
    number = int(text)
    if number < 1 or number > MAX_PAGE:
        raise BadPage("find.bad_page")
    return number


@dataclass(frozen=True)
class Page:
    """One page of a list: which page, how many rows a page has, how many rows there are in all."""

    number: int
    total: int
    size: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def beyond(self) -> bool:
        """A page after the last one (the list got shorter, or the number was made up)."""
        return self.number > self.last

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and a few around this one; None is a gap."""
        wanted = {1, self.last} | set(range(max(1, self.number - around), min(self.last, self.number + around) + 1))
        shown: list[int | None] = []
        for n in sorted(wanted):
            if shown and n - (shown[-1] or 0) > 1:
                shown.append(None)
            shown.append(n)
        return shown


def query_for(params: dict[str, str], number: int) -> str:
    """The query string of another page of the same list (filters and sort kept, page 1 left out);
    empty when nothing is left, so the link is the bare path."""
    kept = {k: v for k, v in params.items() if k != "page" and v != ""}
    if number > 1:
        kept["page"] = str(number)
    return "?" + urlencode(kept) if kept else ""


def check(page: Page) -> Page:
    """A page after the last one is not found (page 1 of an empty list is fine: it says so)."""
    if page.number > 1 and page.beyond:
        raise PageBeyond("find.page_beyond", last=page.last)
    return page


class PageBeyond(ServiceError):
    status = 404


@dataclass(frozen=True)
class Link:
    number: int | None  # None: a gap between page numbers
    href: str
    current: bool


@dataclass(frozen=True)
class Nav:
    """What the pagination macro in paging.html shows: previous, the numbers, next."""

    page: Page
    previous: str | None
    next: str | None
    links: list[Link]

    @property
    def shown(self) -> bool:
        return self.page.last > 1


def nav(page: Page, path: str, params: dict[str, str]) -> Nav:
    def href(n: int) -> str:
        return path + query_for(params, n)

    return Nav(
        page=page,
        previous=href(page.number - 1) if page.number > 1 else None,
        next=href(page.number + 1) if page.number < page.last else None,
        links=[Link(n, href(n) if n else "", n == page.number) for n in page.numbers()],
    )


def of_request(raw: str | None, total: int, path: str, params: dict[str, str], size: int = PER_PAGE) -> Nav:
    """The checked page a query asked for, with its navigation (BadPage / PageBeyond when wrong)."""
    page = check(Page(page_number(raw), total, size))
    return nav(page, path, params)
