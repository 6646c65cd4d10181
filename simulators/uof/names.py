"""The simulated world's cast: sports, categories, tournaments and invented competitors.

Every id is fixed here (a competitor's id is its sport's base plus its place in the list), so a
seed gives the same fixtures on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

SOCCER, BASKETBALL, TENNIS, COUNTER_STRIKE, DOTA2 = 1, 2, 5, 109, 111


@dataclass(frozen=True)
class Tournament:
    id: int
    name: str
    category_id: int
    category_name: str
    competitors: tuple[str, ...]


@dataclass(frozen=True)
class Sport:
    id: int
    name: str
    competitor_base: int
    tournaments: tuple[Tournament, ...]

    @property
    def urn(self) -> str:
        return f"sr:sport:{self.id}"

    def competitor_id(self, tournament: Tournament, index: int) -> int:
        before = self.tournaments[: self.tournaments.index(tournament)]
        offset = sum(len(t.competitors) for t in before)
        return self.competitor_base + offset + index


SPORTS: dict[int, Sport] = {
    SOCCER: Sport(
        SOCCER,
        "Soccer",
        910_000,
        (
            Tournament(
                90017,
                "Premier Championship",
                1,
                "England",
                (
                    "Ashford Rovers",
                    "Kingsbridge United",
                    "Harrowgate Town",
                    "Millbrook City",
                    "Westmoor Athletic",
                    "Castleford Albion",
                    "Redhill Wanderers",
                    "Eastbury Forest",
                    "Northgate Villa",
                    "Southport Harriers",
                    "Brackenridge FC",
                    "Lowfield Rangers",
                ),
            ),
            Tournament(
                90008,
                "Primera Liga",
                32,
                "Spain",
                (
                    "Real Valdemora",
                    "Atlético Sierranía",
                    "CD Puertollano",
                    "Deportivo Almarés",
                    "Racing Costa Brava",
                    "UD Montevera",
                    "Sporting Alcarria",
                    "CF Torreblanca",
                    "Real Sociedad Navarra",
                    "Celta Marina",
                ),
            ),
            Tournament(
                90035,
                "Erste Liga",
                30,
                "Germany",
                (
                    "FC Rheinstadt",
                    "SV Hohenwald",
                    "Borussia Elbtal",
                    "VfB Lindenau",
                    "TSV Bergheim",
                    "Eintracht Mainfeld",
                    "1. FC Ostheide",
                    "SC Fichtenberg",
                    "Fortuna Kranichfeld",
                    "Union Neuhafen",
                ),
            ),
            Tournament(
                90023,
                "Serie Nazionale",
                31,
                "Italy",
                (
                    "AC Valdoria",
                    "Sporting Ravenna Nord",
                    "US Collinetta",
                    "Atalanta Montana",
                    "FC Lagomare",
                    "Virtus Castelvecchio",
                    "Real Pietrasanta",
                    "AS Torrenova",
                    "Inter Marittima",
                    "Calcio Fontebella",
                ),
            ),
            Tournament(
                90034,
                "Ligue Nationale",
                7,
                "France",
                (
                    "Olympique Val-de-Loire",
                    "AS Montclair",
                    "Stade Beaurivage",
                    "FC Pontavert",
                    "Racing Grandmont",
                    "US Lac-Bleu",
                    "Girondins de Sablons",
                    "SC Côte d'Argent",
                ),
            ),
        ),
    ),
    TENNIS: Sport(
        TENNIS,
        "Tennis",
        920_000,
        (
            Tournament(
                92601,
                "Riverside Open",
                3,
                "ATP",
                (
                    "Moreau, Lucien",
                    "Kessler, Tobias",
                    "Ivashin, Dmitri",
                    "Castellano, Rafael",
                    "Whitfield, James",
                    "Okafor, Daniel",
                    "Lindqvist, Sven",
                    "Marchetti, Paolo",
                    "Tanaka, Kenji",
                    "Dubrovsky, Erik",
                    "Sorensen, Henrik",
                    "Albrecht, Jonas",
                    "Varga, Mate",
                    "Quintero, Sebastian",
                ),
            ),
            Tournament(
                92602,
                "Harbour Classic",
                6,
                "WTA",
                (
                    "Novikova, Alina",
                    "Bertrand, Camille",
                    "Hallström, Ida",
                    "Reyes, Valentina",
                    "Kowalczyk, Zofia",
                    "Mbeki, Naledi",
                    "Fischer, Lena",
                    "Okonkwo, Adaeze",
                    "Moretti, Giulia",
                    "Sato, Hana",
                    "Petrova, Mila",
                    "Larsen, Freja",
                ),
            ),
        ),
    ),
    BASKETBALL: Sport(
        BASKETBALL,
        "Basketball",
        930_000,
        (
            Tournament(
                93138,
                "Continental League",
                136,
                "International",
                (
                    "Harbor City Mariners",
                    "Valley Falcons",
                    "Northside Titans",
                    "Riverport Kings",
                    "Summit Bears",
                    "Coastline Sharks",
                    "Ironwood Miners",
                    "Lakeshore Storm",
                    "Granite Peaks",
                    "Redwood Lumberjacks",
                ),
            ),
            Tournament(
                93227,
                "National Basketball Division",
                15,
                "Spain",
                (
                    "Baloncesto Meridiano",
                    "CB Aldea Alta",
                    "Saski Bidasoa",
                    "Club Atlántico",
                    "Joventut Serrania",
                    "Basket Castellar",
                    "CB Ría Dorada",
                    "Unión Mediterránea",
                ),
            ),
        ),
    ),
    COUNTER_STRIKE: Sport(
        COUNTER_STRIKE,
        "Counter-Strike",
        940_000,
        (
            Tournament(
                94011,
                "Pro Circuit Series",
                1378,
                "International",
                (
                    "Nordic Wolves",
                    "Crimson Vanguard",
                    "Team Helix",
                    "Obsidian Five",
                    "Polar Union",
                    "Red Meridian",
                    "Iron Lynx",
                    "Vortex Syndicate",
                    "Eclipse Sector",
                    "Blue Horizon",
                ),
            ),
        ),
    ),
    DOTA2: Sport(
        DOTA2,
        "Dota 2",
        950_000,
        (
            Tournament(
                95012,
                "Ancient Masters",
                1379,
                "International",
                (
                    "Team Aegis",
                    "Radiant Pulse",
                    "Dire Omen",
                    "Jade Serpent",
                    "Storm Tide Gaming",
                    "Arcane Legion",
                    "Solar Eclipse",
                    "Moonlit Arcana",
                    "Phoenix Rising",
                    "Tidal Force",
                ),
            ),
        ),
    ),
}

# How often each sport appears among new events.
SPORT_WEIGHTS: tuple[tuple[int, float], ...] = (
    (SOCCER, 0.40),
    (TENNIS, 0.25),
    (BASKETBALL, 0.15),
    (COUNTER_STRIKE, 0.10),
    (DOTA2, 0.10),
)
