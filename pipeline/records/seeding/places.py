"""Static data for synthetic US commerce records: states, cities, company sites and name parts.

Every person and shop built from these lists is fictitious: given names, surnames and shop words
are combined at random, so no real purchaser or dealer is described.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsState:
    """A US state (or DC): postal code, ATF region digit used in synthetic licence numbers, cities."""

    code: str
    region: int
    cities: tuple[str, ...]


def _state(code: str, region: int, cities: str) -> UsState:
    return UsState(code, region, tuple(c.strip() for c in cities.split(",")))


US_STATES: tuple[UsState, ...] = (
    _state("AL", 1, "Birmingham, Huntsville, Mobile, Montgomery"),
    _state("AK", 9, "Anchorage, Fairbanks, Juneau"),
    _state("AZ", 9, "Phoenix, Tucson, Mesa, Yuma, Nogales, Glendale, Douglas, Flagstaff"),
    _state("AR", 5, "Little Rock, Fort Smith, Fayetteville"),
    _state("CA", 9, "Los Angeles, San Diego, Fresno, Sacramento, Bakersfield, El Centro, Riverside, Chula Vista"),
    _state("CO", 5, "Denver, Colorado Springs, Pueblo, Grand Junction"),
    _state("CT", 6, "Hartford, New Haven, Bridgeport"),
    _state("DE", 8, "Wilmington, Dover"),
    _state("DC", 8, "Washington"),
    _state("FL", 1, "Miami, Orlando, Tampa, Jacksonville, Hialeah"),
    _state("GA", 1, "Atlanta, Savannah, Augusta, Macon, Dalton"),
    _state("HI", 9, "Honolulu, Hilo"),
    _state("ID", 9, "Boise, Nampa, Idaho Falls"),
    _state("IL", 3, "Chicago, Aurora, Rockford, Springfield"),
    _state("IN", 3, "Indianapolis, Fort Wayne, Evansville"),
    _state("IA", 3, "Des Moines, Cedar Rapids, Davenport"),
    _state("KS", 5, "Wichita, Topeka, Kansas City, Dodge City"),
    _state("KY", 4, "Louisville, Lexington, Bowling Green"),
    _state("LA", 5, "New Orleans, Baton Rouge, Shreveport, Lafayette"),
    _state("ME", 6, "Portland, Bangor"),
    _state("MD", 8, "Baltimore, Frederick, Rockville"),
    _state("MA", 6, "Boston, Worcester, Springfield"),
    _state("MI", 3, "Detroit, Grand Rapids, Lansing"),
    _state("MN", 3, "Minneapolis, Saint Paul, Duluth"),
    _state("MS", 1, "Jackson, Gulfport, Hattiesburg"),
    _state("MO", 4, "Kansas City, Saint Louis, Springfield"),
    _state("MT", 9, "Billings, Missoula, Great Falls"),
    _state("NE", 5, "Omaha, Lincoln"),
    _state("NV", 9, "Las Vegas, Reno, Henderson"),
    _state("NH", 6, "Manchester, Nashua, Concord"),
    _state("NJ", 6, "Newark, Jersey City, Trenton"),
    _state("NM", 5, "Albuquerque, Las Cruces, Santa Fe, Deming, Roswell"),
    _state("NY", 6, "Buffalo, Rochester, Albany, Syracuse"),
    _state("NC", 1, "Charlotte, Raleigh, Greensboro, Fayetteville"),
    _state("ND", 3, "Fargo, Bismarck"),
    _state("OH", 4, "Columbus, Cleveland, Cincinnati, Dayton"),
    _state("OK", 5, "Oklahoma City, Tulsa, Lawton, Norman"),
    _state("OR", 9, "Portland, Salem, Eugene, Medford"),
    _state("PA", 8, "Philadelphia, Pittsburgh, Allentown, Harrisburg"),
    _state("RI", 6, "Providence, Warwick"),
    _state("SC", 1, "Columbia, Charleston, Greenville"),
    _state("SD", 3, "Sioux Falls, Rapid City"),
    _state("TN", 1, "Nashville, Memphis, Knoxville, Chattanooga"),
    _state(
        "TX",
        5,
        "Houston, San Antonio, Dallas, El Paso, Laredo, McAllen, Brownsville, Austin, Fort Worth, Eagle Pass, "
        "Del Rio, Corpus Christi",
    ),
    _state("UT", 9, "Salt Lake City, Provo, Ogden, St. George"),
    _state("VT", 6, "Burlington, St. Albans, Rutland"),
    _state("VA", 8, "Richmond, Virginia Beach, Norfolk, Roanoke"),
    _state("WA", 9, "Seattle, Spokane, Tacoma, Yakima"),
    _state("WV", 8, "Charleston, Huntington, Morgantown"),
    _state("WI", 3, "Milwaukee, Madison, Green Bay"),
    _state("WY", 9, "Cheyenne, Casper"),
)

STATES_BY_CODE: dict[str, UsState] = {s.code: s for s in US_STATES}

# States where, since 2011, two or more semi-automatic rifles above .22 calibre sold together are reported.
RIFLE_REPORT_STATES = frozenset({"AZ", "CA", "NM", "TX"})

# Where the US makers and importers of the vocabulary hold their licences (state, city). Makers or importers
# missing here get a state drawn from the seeder's Random.
COMPANY_SITES: dict[str, tuple[str, str]] = {
    "COLT": ("CT", "West Hartford"),
    "SMITH_WESSON": ("MA", "Springfield"),
    "STURM_RUGER": ("NH", "Newport"),
    "CENTURY_ARMS": ("VT", "Georgia"),
    "BUSHMASTER": ("NY", "Ilion"),
    "BARRETT": ("TN", "Murfreesboro"),
    "SPRINGFIELD": ("IL", "Geneseo"),
    "SIG_SAUER": ("NH", "Newington"),
    "PALMETTO_STATE_ARMORY": ("SC", "Columbia"),
    "ANDERSON": ("KY", "Hebron"),
    "DPMS": ("MN", "St. Cloud"),
    "KEL_TEC": ("FL", "Cocoa"),
    "HI_POINT": ("OH", "Mansfield"),
    "MOSSBERG": ("CT", "North Haven"),
    "REMINGTON": ("NY", "Ilion"),
    "WINCHESTER": ("CT", "New Haven"),
    "MARLIN": ("CT", "North Haven"),
    "DANIEL_DEFENSE": ("GA", "Black Creek"),
    "COBRAY": ("GA", "Atlanta"),
    "INTRATEC": ("FL", "Miami"),
    # importers
    "GLOCK_INC": ("GA", "Smyrna"),
    "TAURUS_USA": ("GA", "Bainbridge"),
    "BERETTA_USA": ("MD", "Accokeek"),
    "FN_AMERICA": ("VA", "McLean"),
    "BROWNING_ARMS": ("UT", "Morgan"),
    "IMPORT_SPORTS": ("NJ", "Wanaque"),
    "INTERARMS": ("VA", "Alexandria"),
    "EAGLE_IMPORTS": ("NJ", "Ocean"),
    "WALTHER_ARMS": ("AR", "Fort Smith"),
    "HK_USA": ("GA", "Columbus"),
    "CZ_USA": ("KS", "Kansas City"),
}

GIVEN_NAMES: tuple[str, ...] = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Christopher",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin", "Brian",
    "Jose", "Juan", "Luis", "Carlos", "Jesus", "Miguel", "Francisco", "Alejandro", "Jorge", "Ricardo",
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Maria", "Susan", "Jessica", "Sarah", "Karen",
    "Guadalupe", "Veronica", "Ashley", "Brenda", "Monica", "Amanda", "Stephanie", "Laura", "Diana", "Rosa",
)
SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres",
    "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Morales", "Cruz", "Ortiz", "Gutierrez", "Chavez",
    "Ramos", "Ruiz", "Alvarez", "Mendoza", "Castillo", "Vasquez", "Salazar", "Herrera", "Medina", "Aguilar",
)
MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"
STREETS: tuple[str, ...] = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset", "Mesquite",
    "Rio Grande", "Cactus", "Mission", "Ranch", "Border", "Alamo", "Camino Real", "Santa Fe", "Frontier",
    "Lincoln", "Jefferson", "Highland", "Valley", "Canyon", "Desert View", "Palo Verde", "Juniper", "Magnolia",
)
STREET_KINDS: tuple[str, ...] = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Trl", "Hwy")

SHOP_WORDS: tuple[str, ...] = (
    "Lone Star", "Desert", "Frontier", "Border", "Patriot", "Liberty", "Eagle", "Canyon", "Mesa", "Big Bend",
    "Sun Country", "Copper State", "Golden Bear", "Red River", "Trailhead", "Pioneer", "Rio", "Saguaro",
    "Mountain", "Gulf Coast", "Bluebonnet", "Maverick", "Sidewinder", "Cottonwood", "Ironwood", "Summit",
)
SHOP_KINDS: tuple[str, ...] = (
    "Guns & Ammo", "Firearms", "Sporting Goods", "Pawn", "Outfitters", "Gun Shop", "Shooting Supply",
    "Tactical", "Trading Post", "Guns", "Hunting & Fishing", "Pawn & Gun",
)
WHOLESALE_KINDS: tuple[str, ...] = (
    "Distributors", "Wholesale Sports", "Sports Supply", "Distribution Co.", "Shooting Sports Wholesale",
)
THEFT_NOTES: tuple[str, ...] = (
    "Burglary of licensed premises",
    "Missing at inventory count",
    "Armed robbery of licensed premises",
    "Smash-and-grab theft from display case",
    "Employee theft",
)
