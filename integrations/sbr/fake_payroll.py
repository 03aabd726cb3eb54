"""Deterministic fake payroll returns (Loonaangifte) for tests, the demo and the source simulator.

Employees are made up from a seed: names, addresses, birth dates and BSNs that pass the elfproef
but belong to nobody known. The same employer (loonheffingennummer + seed) has the same staff in
every period, so a correction of March matches the March return generated earlier. Amounts follow
the shape of a real return (wage, wage tax, premiums, Zvw levy, whole-euro collective totals,
TotTeBet, saldi of corrections, TotGen); the rates are plausible, not the statutory tables.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

_CENT = Decimal("0.01")
_FIRST = ("Anna", "Bram", "Daan", "Emma", "Fleur", "Jesse", "Lotte", "Milan", "Noor", "Sem",
          "Sophie", "Thijs", "Yara", "Lucas", "Julia", "Ruben", "Sara", "Finn", "Eva", "Luuk")
_PREFIXES = (None, None, None, "de", "van", "van der", "van den", "ter")
_SURNAMES = ("Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters",
             "Hendriks", "Dekker", "Brouwer", "Vermeulen", "Kok", "Jacobs", "Willems", "Hoekstra")
_STREETS = ("Dorpsstraat", "Kerkstraat", "Molenweg", "Stationsweg", "Schoolstraat", "Beukenlaan")
_TOWNS = (("1011", "Amsterdam"), ("3511", "Utrecht"), ("5611", "Eindhoven"), ("9711", "Groningen"),
          ("6811", "Arnhem"), ("2511", "Den Haag"))
_EMPLOYERS = ("Bakkerij", "Installatiebedrijf", "Adviesgroep", "Transport", "Hoveniers")
# Premium rates (employer part) and a simple wage-tax scale: realistic magnitudes only.
_AOF, _WKO, _WHK, _AWF_LOW, _AWF_HIGH, _ZVW = (Decimal(r) for r in ("0.0618", "0.005", "0.0122",
                                                                      "0.0264", "0.0764", "0.0657"))
_MAX_PREMIUM_WAGE = Decimal("5800")  # per month, like the maximum premieloon
_TAX_SCALE = ((Decimal("2500"), Decimal("0.12")), (Decimal("3500"), Decimal("0.20")),
              (Decimal("5000"), Decimal("0.27")), (None, Decimal("0.33")))
_BONUS = Decimal("750.00")  # the forgotten bonus a generated correction adds


@dataclass(frozen=True, slots=True)
class FakeEmployee:
    """A made-up employee; the BSN is fake (elfproef-valid, generated from the seed)."""

    number: int
    bsn: str
    initials: str
    prefix: str | None
    surname: str
    birth_date: date
    gender: int
    street: str
    house_number: int
    postcode: str
    town: str
    start_date: date
    monthly_wage: Decimal
    indefinite: bool


@dataclass(frozen=True, slots=True)
class FakePeriod:
    """One period's figures: wage lines per employee and the collective totals in whole euros."""

    start: date
    end: date
    lines: tuple[tuple[FakeEmployee, dict[str, Decimal]], ...]
    totals: dict[str, int]

    @property
    def due(self) -> int:
        """TotTeBet: the wage tax, premiums and Zvw contributions of the period."""
        return self.totals["TotTeBet"]


@dataclass(frozen=True, slots=True)
class FakePayroll:
    """Everything a generated Loonaangifte states; render() gives the XML bytes."""

    lh_number: str
    employer: str
    kind: str  # "full" or "supplementary"
    current: FakePeriod
    corrections: tuple[tuple[FakePeriod, int], ...]  # (corrected period, saldo)
    software: str
    message_ref: str
    created_at: datetime
    namespace_year: int

    @property
    def amount_due(self) -> Decimal:
        """TotTeBet of the current period, as the parser should read it."""
        return Decimal(self.current.due)

    @property
    def amount_total(self) -> Decimal:
        """TotGen: TotTeBet plus the saldi of the corrections."""
        return Decimal(self.current.due + sum(saldo for _, saldo in self.corrections))

    @property
    def bsns(self) -> tuple[str, ...]:
        """Every employee BSN in the document (to check that none leaks)."""
        periods = [self.current, *(p for p, _ in self.corrections)]
        return tuple(sorted({e.bsn for p in periods for e, _ in p.lines}))


def fake_bsn(rng: random.Random) -> str:
    """A 9-digit number that passes the BSN elfproef: 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11)."""
    while True:
        digits = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def fake_staff(lh_number: str, count: int, seed: int) -> tuple[FakeEmployee, ...]:
    """The employer's staff: the same for every period of the same (lh_number, seed)."""
    rng = random.Random(f"staff:{seed}:{lh_number}")
    staff, seen = [], set()
    for number in range(1, count + 1):
        bsn = fake_bsn(rng)
        while bsn in seen:
            bsn = fake_bsn(rng)
        seen.add(bsn)
        postcode, town = rng.choice(_TOWNS)
        staff.append(FakeEmployee(
            number=number, bsn=bsn,
            initials=rng.choice(_FIRST)[0] + rng.choice("ABCDEGHJKLMPRSTW"),
            prefix=rng.choice(_PREFIXES), surname=rng.choice(_SURNAMES),
            birth_date=date(1960, 1, 1) + timedelta(days=rng.randrange(16_000)),
            gender=rng.choice((1, 2)), street=rng.choice(_STREETS), house_number=rng.randint(1, 180),
            postcode=f"{postcode}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPRST')}", town=town,
            start_date=date(2005, 1, 1) + timedelta(days=rng.randrange(5_000)),
            monthly_wage=Decimal(rng.randrange(210_000, 680_000)) / 100, indefinite=rng.random() < 0.8,
        ))
    return tuple(staff)


def fake_period(staff: Sequence[FakeEmployee], start: date, end: date, seed: int, *,
                bonus: Decimal = Decimal(0)) -> FakePeriod:
    """Wages and totals of one period; `bonus` is added to the first employee's wage."""
    rng = random.Random(f"period:{seed}:{start.isoformat()}")
    months = Decimal((end - start).days + 1) * 12 / 365  # a month ≈ 1, a quarter ≈ 3
    lines = []
    # Only who was employed by the end of the period is in the return.
    for index, employee in enumerate(e for e in staff if e.start_date <= end):
        extra = Decimal(rng.randrange(0, 500)) / 10_000  # overtime: 0–5 %
        wage = _cents(employee.monthly_wage * months * (1 + extra) + (bonus if index == 0 else 0))
        lines.append((employee, _wage_line(wage, months, employee.indefinite)))
    return FakePeriod(start, end, tuple(lines), _collective([line for _, line in lines]))


def fake_payroll(lh_number: str, period_start: date, period_end: date, *, employees: int = 20,
                 kind: str = "full", corrections: Sequence[tuple[date, date]] = (), seed: int = 0,
                 software: str = "sbrflow-simulator 1.0", message_ref: str | None = None,
                 created_at: datetime | None = None, namespace_year: int | None = None) -> FakePayroll:
    """Build the figures of a Loonaangifte; each correction adds a forgotten bonus to that period."""
    if kind not in ("full", "supplementary"):
        raise ValueError(f"kind must be 'full' or 'supplementary', not {kind!r}")
    staff = fake_staff(lh_number, employees, seed)
    fixed = []
    for start, end in corrections:
        as_filed = fake_period(staff, start, end, seed)
        corrected = fake_period(staff, start, end, seed, bonus=_BONUS if staff else Decimal(0))
        fixed.append((corrected, corrected.due - as_filed.due))
    return FakePayroll(
        lh_number=lh_number, employer=f"{random.Random(lh_number).choice(_EMPLOYERS)} {lh_number[:4]} B.V.",
        kind=kind, current=fake_period(staff, period_start, period_end, seed), corrections=tuple(fixed),
        software=software, message_ref=message_ref or f"LH-{lh_number}-{period_start:%Y%m%d}-{seed}",
        created_at=created_at or datetime.combine(period_end + timedelta(days=8), time(9, 30)),
        namespace_year=namespace_year or period_start.year,
    )


def render_payroll(payroll: FakePayroll) -> bytes:
    """The Loonaangifte XML of `payroll`, byte for byte the same for the same input."""
    p = payroll
    saldi = "".join(
        f"<SaldoCorrectiesVoorgaandTijdvak>{_dates(c)}<Saldo>{saldo}</Saldo>"
        "</SaldoCorrectiesVoorgaandTijdvak>"
        for c, saldo in p.corrections
    )
    wrapper = "VolledigeAangifte" if p.kind == "full" else "AanvullendeAangifte"
    current = (f"<{wrapper}><CollectieveAangifte>{_totals(p.current)}{saldi}<TotGen>{p.amount_total}</TotGen>"
               f"</CollectieveAangifte>{_employees(p.current)}</{wrapper}>")
    corrected = "".join(
        f"<TijdvakCorrectie>{_dates(c)}<CollectieveAangifte>{_totals(c)}</CollectieveAangifte>"
        f"{_employees(c, only_first=True)}</TijdvakCorrectie>"
        for c, _ in p.corrections
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Loonaangifte xmlns="http://xml.belastingdienst.nl/schemas/Loonaangifte/{p.namespace_year}/01" '
        'version="2.0">'
        f"<Bericht><IdBer>{escape(p.message_ref[:32])}</IdBer><DatTdAanm>{p.created_at:%Y-%m-%dT%H:%M:%S}"
        "</DatTdAanm><ContPers>J. de Boer</ContPers><TelNr>0201234567</TelNr><RelNr>SWO12345</RelNr>"
        f"<GebrSwPakket>{escape(p.software[:27])}</GebrSwPakket></Bericht>"
        f"<AdministratieveEenheid><LhNr>{escape(p.lh_number)}</LhNr><NmIP>{escape(p.employer)}</NmIP>"
        f"<TijdvakAangifte>{_dates(p.current)}{current}</TijdvakAangifte>{corrected}"
        "</AdministratieveEenheid></Loonaangifte>\n"
    )
    # Pretty enough to read in a diff, without a second pass over the text.
    return xml.replace("><", ">\n<").encode("utf-8")


def _wage_line(wage: Decimal, months: Decimal, indefinite: bool) -> dict[str, Decimal]:
    monthly = wage / months if months else wage
    premium_base = _cents(min(wage, _MAX_PREMIUM_WAGE * months))
    rate = next(r for limit, r in _TAX_SCALE if limit is None or monthly < limit)
    return {
        "LnLbPh": wage, "LnSV": wage, "PrlnAofAnwLg": premium_base,
        "PrlnAwfAnwLg": premium_base if indefinite else Decimal(0),
        "PrlnAwfAnwHg": Decimal(0) if indefinite else premium_base,
        "LnTabBB": Decimal(0), "OpgRchtVakBsl": _cents(wage * Decimal("0.08")), "LnInGld": wage,
        "IngLbPh": _cents(wage * rate), "PrAofLg": _cents(premium_base * _AOF),
        "OpslWko": _cents(premium_base * _WKO), "PrGediffWhk": _cents(premium_base * _WHK),
        "PrAwfLg": _cents(premium_base * _AWF_LOW) if indefinite else Decimal(0),
        "PrAwfHg": Decimal(0) if indefinite else _cents(premium_base * _AWF_HIGH),
        "BijdrZvw": Decimal(0), "WghZvw": _cents(premium_base * _ZVW),
        "VerrArbKrt": _cents(min(wage * Decimal("0.08"), Decimal(450) * months)),
    }


_COLLECTIVE = (("TotLnLbPh", "LnLbPh"), ("TotLnSV", "LnSV"), ("TotPrlnAofAnwLg", "PrlnAofAnwLg"),
               ("TotPrlnAwfAnwLg", "PrlnAwfAnwLg"), ("TotPrlnAwfAnwHg", "PrlnAwfAnwHg"),
               ("PrLnUFO", "PrlnAofAnwLg"), ("IngLbPh", "IngLbPh"), ("TotPrAofLg", "PrAofLg"),
               ("TotOpslWko", "OpslWko"), ("TotPrGediffWhk", "PrGediffWhk"), ("TotPrAwfLg", "PrAwfLg"),
               ("TotPrAwfHg", "PrAwfHg"), ("IngBijdrZvw", "BijdrZvw"), ("TotWghZvw", "WghZvw"))
_PAYABLE = ("IngLbPh", "TotPrAofLg", "TotOpslWko", "TotPrGediffWhk", "TotPrAwfLg", "TotPrAwfHg",
            "IngBijdrZvw", "TotWghZvw")


def _collective(lines: Sequence[dict[str, Decimal]]) -> dict[str, int]:
    # Collective totals are whole euros, cut off in the employer's favour (GS §4.1): int() truncates.
    totals = {total: int(sum((line[field] for line in lines), Decimal(0))) for total, field in _COLLECTIVE}
    totals["TotTeBet"] = sum(totals[name] for name in _PAYABLE)
    return totals


def _totals(period: FakePeriod) -> str:
    return "".join(f"<{name}>{value}</{name}>" for name, value in period.totals.items())


def _dates(period: FakePeriod) -> str:
    return f"<DatAanvTv>{period.start.isoformat()}</DatAanvTv><DatEindTv>{period.end.isoformat()}</DatEindTv>"


def _employees(period: FakePeriod, *, only_first: bool = False) -> str:
    lines = period.lines[:1] if only_first else period.lines
    return "".join(_employee(employee, line, period.start) for employee, line in lines)


def _employee(e: FakeEmployee, line: dict[str, Decimal], start: date) -> str:
    prefix = f"<Voorv>{escape(e.prefix)}</Voorv>" if e.prefix else ""
    wages = "".join(f"<{name}>{value}</{name}>" for name, value in line.items())
    return (
        f"<InkomstenverhoudingInitieel><NumIV>1</NumIV><DatAanv>{e.start_date.isoformat()}</DatAanv>"
        f"<PersNr>P{e.number:04d}</PersNr><NatuurlijkPersoon><SofiNr>{e.bsn}</SofiNr>"
        f"<Voorl>{e.initials}</Voorl>{prefix}<SignNm>{escape(e.surname)}</SignNm>"
        f"<Gebdat>{e.birth_date.isoformat()}</Gebdat><Nat>0001</Nat><Gesl>{e.gender}</Gesl>"
        f"<AdresBinnenland><Str>{escape(e.street)}</Str><HuisNr>{e.house_number}</HuisNr>"
        f"<Pc>{e.postcode}</Pc><Woonpl>{escape(e.town)}</Woonpl></AdresBinnenland></NatuurlijkPersoon>"
        f"<Inkomstenperiode><DatAanv>{max(e.start_date, start).isoformat()}</DatAanv><SrtIV>15</SrtIV>"
        f"<CdAard>1</CdAard><CAO>9999</CAO><IndArbovOnbepTd>{'J' if e.indefinite else 'N'}</IndArbovOnbepTd>"
        "<IndSchriftArbov>J</IndSchriftArbov><IndOprov>N</IndOprov><IndLhKort>J</IndLhKort><LbTab>010</LbTab>"
        "<IndWAO>J</IndWAO><IndWW>J</IndWW><IndZW>J</IndZW><CdZvw>K</CdZvw></Inkomstenperiode>"
        f"<Werknemersgegevens>{wages}</Werknemersgegevens></InkomstenverhoudingInitieel>"
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
