"""`forum seed-demo`: a deterministic, realistic demo corpus, fast enough for load benchmarks.

Two steps. `plan_corpus()` is pure: from the taxonomy already in the database, the first free id of
each table and a seed, it returns every row (members, tags, threads and their taxonomy links, posts
with their revisions) without touching the database; the same arguments give the same rows.
`seed_demo()` writes that plan with Core bulk inserts, a batch of posts per transaction.

Choices that make it fast and repeatable:

- Ids are assigned here, in chronological order (threads by creation time, posts by time across
  all threads), starting after the largest id of each table, so the materialised paths and thread
  counters are computed before anything is inserted. PostgreSQL sequences are moved past them at
  the end.
- Times are spread over six years ending at the fixed `EPOCH_END` (2026-11-01 00:00 UTC), never the
  wall clock.
- Every post's text comes from its own `random.Random`, seeded from the corpus seed and the post's
  position, so a post's text does not depend on how the posts are batched.
- Every member gets the same password hash, computed once: the demo password below. That hash is
  the one value that differs between two runs with the same seed (argon2 salts are random).
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate, islice

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.service import handle_base
from app.cache import bump
from app.db import Database
from app.forum.models import (
    Post,
    PostRevision,
    PostState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.sanitize import render_markdown
from app.search import index as search_index
from app.security import hash_password
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag
from app.taxonomy.service import normalise_tag, slugify

DEMO_PASSWORD = "demo passphrase 2026"  # noqa: S105 - printed on purpose: it is the demo's sign-in
EPOCH_END = datetime(2026, 11, 1)
SPAN_DAYS = 6 * 365
EPOCH_START = EPOCH_END - timedelta(days=SPAN_DAYS)
POST_BATCH = 2000
MAX_POSTS_PER_THREAD = 1200

# --- Vocabulary ----------------------------------------------------------------------------------

# fmt: off


def _names(words: str) -> list[str]:
    """Names separated by spaces; an underscore joins a name of two words ("de_Vries")."""
    return [word.replace("_", " ") for word in words.split()]


# (first names, family names) per naming tradition; COUNTRY_NAMES says which countries use which.
NAMES: dict[str, tuple[list[str], list[str]]] = {
    "west_africa": (
        _names(
            "Amina Kwame Ngozi Chinedu Fatou Abdoulaye Aïssatou Kofi Adwoa Oluwaseun Moussa Mariama "
            "Ibrahima Yaw Efua Chiamaka Seydou Awa Babajide Folake"
        ),
        _names(
            "Diallo Mensah Okafor Adeyemi Ndiaye Traoré Boateng Owusu Diop Sow Kouassi Bamba Okonkwo Eze "
            "Asante Camara Keïta Adebayo Sarr Coulibaly"
        ),
    ),
    "east_south_africa": (
        _names(
            "Wanjiru Otieno Achieng Kamau Nyambura Thandiwe Sipho Tendai Chipo Baraka Neema Tsegaye Mekdes "
            "Lindiwe Musa Grace Joseph Faith Brian Zanele"
        ),
        _names(
            "Odhiambo Wambui Kiptoo Mutua Nkosi Dlamini Moyo Banda Phiri Mwale Tesfaye Haile Ndlovu Chanda "
            "Njoroge Kariuki Ochieng Mugisha Mwangi Shikongo"
        ),
    ),
    "francophone": (
        _names("Camille Julien Élodie Mathieu Sophie Antoine Claire Nicolas Hélène Laurent Margaux Thibault"),
        _names(
            "Dubois Lefèvre Moreau Girard Rousseau Fontaine Mercier Bonnet Lambert Dupont Leclerc Gauthier"
        ),
    ),
    "hispanic": (
        _names(
            "Lucía Alejandro María_José Diego Valentina Santiago Camila Andrés Gabriela Javier Carolina "
            "Mateo Paula Fernando Isabel"
        ),
        _names(
            "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera "
            "Gómez Díaz Vargas Castillo Morales Ortiz Rojas Mendoza"
        ),
    ),
    "lusophone": (
        _names("João Rafael Beatriz Tiago Mariana Pedro Inês Luís Fernanda Helena Carlos Joana"),
        _names("Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Carvalho Ribeiro Lopes Monteiro"),
    ),
    "germanic": (
        _names("Anna Lukas Katharina Jan Sabine Matthias Eva Stefan Femke Pieter Annelies Jonas"),
        _names(
            "Müller Schmidt Schneider Fischer Weber Wagner Becker de_Vries van_den_Berg Jansen Bakker Huber"
        ),
    ),
    "nordic": (
        _names("Ingrid Lars Sigrid Erik Astrid Mikkel Aino Johan Freya Henrik Linnea Oskar"),
        _names(
            "Andersson Johansson Hansen Nielsen Larsen Virtanen Korhonen Lindqvist Berg Eriksen Nyström Holm"
        ),
    ),
    "anglo": (
        _names("Sarah James Emily Thomas Rachel David Catherine Michael Fiona Andrew Siobhan Patrick"),
        _names("Thompson O'Brien Walsh Campbell Morgan Bennett Hughes Murphy Stewart Clarke Fitzgerald Reid"),
    ),
    "mediterranean": (
        _names("Giulia Marco Francesca Alessandro Chiara Nikos Eleni Dimitris Sofia Luca Maria Giorgos"),
        _names(
            "Rossi Russo Ferrari Esposito Bianchi Romano Papadopoulos Georgiou Borg Camilleri Conti Ioannou"
        ),
    ),
    "eastern_europe": (
        _names(
            "Agnieszka Tomasz Katarzyna Piotr Jana Martin Zsófia Gábor Ioana Andrei Elena Ivan Milena Marko "
            "Olena Dmytro Rūta Jānis Kristi Bogdan"
        ),
        _names(
            "Kowalski Nowak Wiśniewska Novák Svoboda Horváth Nagy Popescu Ionescu Dimitrov Petrova Horvat "
            "Kovačević Petrović Shevchenko Kazlauskas Bērziņš Tamm Rusu Hoxha"
        ),
    ),
    "arabic": (
        _names(
            "Youssef Fatima Omar Layla Karim Nour Hassan Salma Tarek Rania Khaled Mariam Ahmed Huda "
        "Samir"
        ),
        _names(
            "El_Amrani Benali Haddad Mansour Khalil Nasser Al-Sayed Farouk Saleh Hamdan Al-Mansoori Aziz "
            "Ibrahim Bennani Chaouch"
        ),
    ),
    "turkic": (
        _names("Elif Mehmet Zeynep Emre Ayşe Dinara Nurlan Aigerim Timur Gulnara Rustam Selin"),
        _names(
            "Yılmaz Kaya Demir Şahin Çelik Abdullayev Karimov Aliyeva Nurlanova Tashkentov Öztürk Sadykov"
        ),
    ),
    "south_asia": (
        _names(
            "Priya Arjun Ananya Rahul Sanjana Imran Ayesha Farhan Nimali Suresh Kavya Rohan Tahmina Bilal "
            "Deepa"
        ),
        _names(
            "Sharma Patel Iyer Reddy Khan Chowdhury Perera Fernando Shrestha Gupta Rahman Qureshi Nair Menon "
            "Siddiqui"
        ),
    ),
    "southeast_asia": (
        _names("Siti Budi Nurul Ahmad Maria Jose Somchai Suda Lan Minh Dewi Rizal Sokha Thu Hafiz"),
        _names(
            "Santoso Wijaya Abdullah Reyes Cruz Santos Srisuk Chaiyaporn Nguyen Tran Pham Tan Lim Hashim "
            "Mendoza"
        ),
    ),
    "east_asia": (
        _names("Wei Li_Na Jun Yuki Haruto Min-jun Ji-woo Seo-yeon Hiroshi Mei Xiaoming Aiko Oyuna Hyun-woo"),
        _names("Wang Li Zhang Chen Liu Tanaka Suzuki Sato Kim Park Lee Choi Yamamoto Batbayar Zhao"),
    ),
    "caribbean": (
        _names("Keisha Andre Marsha Dwayne Shanice Kareem Nadia Marlon Simone Garfield"),
        _names("Campbell Williams Brown Baptiste Joseph Charles Persaud Ramdial Thompson Greaves"),
    ),
}
COUNTRY_NAMES: dict[str, str] = {}
for _pool, _codes in {
    "west_africa": "NG GH SN CI CM BJ TG BF ML NE SL LR GM GN",
    "east_south_africa": "KE TZ UG RW ET ZM MW ZW ZA BW NA",
    "francophone": "FR BE LU",
    "hispanic": "ES MX CO PE AR CL EC BO PY UY CR PA GT DO",
    "lusophone": "BR PT AO MZ CV",
    "germanic": "DE AT NL CH",
    "nordic": "SE NO DK FI",
    "anglo": "GB IE US CA AU NZ",
    "mediterranean": "IT GR MT CY",
    "eastern_europe": "PL CZ SK HU RO BG HR SI RS UA LT LV EE MD AL MK",
    "arabic": "MA DZ TN EG JO LB SA AE QA OM KW BH",
    "turkic": "TR AZ KZ UZ KG",
    "south_asia": "IN PK BD LK NP",
    "southeast_asia": "ID MY PH TH VN KH SG",
    "east_asia": "CN JP KR MN",
    "caribbean": "JM TT BB BS GY",
}.items():
    for _code in _codes.split():
        COUNTRY_NAMES[_code] = _pool

# Country names that read better with an article in running text ("in the Netherlands").
WITH_ARTICLE = {"US", "GB", "NL", "PH", "GM", "BS", "DO", "AE"}

ORGANISATIONS = [
    ("Public Prosecution Service of {country}", "prosecution"),
    ("Office of the Director of Public Prosecutions, {country}", "odpp"),
    ("Customs Administration of {country}", "customs"),
    ("Ministry of Justice of {country}", "justice"),
    ("National Police of {country}, Legal Affairs Division", "police"),
    ("Supreme Court of {country}", "judiciary"),
    ("High Court of {country}", "judiciary"),
    ("Attorney General's Office of {country}", "ag"),
    ("Medicines Regulatory Authority of {country}", "medicines"),
    ("Financial Intelligence Unit of {country}", "fiu"),
    ("Anti-Counterfeit Agency of {country}", "aca"),
    ("Revenue Authority of {country}", "revenue"),
]
INTERNATIONAL_ORGANISATIONS = [
    ("UNODC, Global Programme on Crimes that Affect the Environment", "unodc.example"),
    ("INTERPOL Illicit Goods and Global Health Programme", "interpol.example"),
    ("World Customs Organization, Compliance and Facilitation Directorate", "wco.example"),
    ("Eurojust", "eurojust.example"),
    ("WHO FCTC Secretariat", "who.example"),
    ("Council of Europe, MEDICRIME Committee", "coe.example"),
]

REGION_COURTS = {
    "european-union": "the Court of Justice of the European Union",
    "ecowas": "the ECOWAS Community Court of Justice",
    "council-of-europe": "the European Court of Human Rights",
    "andean-community": "the Andean Court of Justice",
    "caricom": "the Caribbean Court of Justice",
}


@dataclass(frozen=True)
class SectorWords:
    goods: list[str]
    offences: list[str]
    units: list[str]
    acts: list[str]
    agencies: list[str]
    instruments: list[str]  # slugs, most relevant first
    tags: list[str]


SECTOR_WORDS: dict[str, SectorWords] = {
    "medical-products": SectorWords(
        [
            "falsified antimalarial tablets", "substandard antibiotics", "unregistered diagnostic test kits",
            "counterfeit insulin pens", "falsified oncology medicines", "unlicensed slimming pills",
            "falsified vaccines",
        ],
        [
            "manufacturing falsified medical products",
            "supplying medicines without a marketing authorisation", "selling falsified medicines online",
            "endangering public health through falsified medicines",
        ],
        ["packs", "boxes", "kilograms", "blister packs"],
        ["the Medicines Act", "the Pharmacy and Poisons Act", "the Public Health Code"],
        ["the medicines regulator", "the national pharmacy board", "the health inspectorate"],
        ["medicrime", "untoc", "trips"],
        ["falsified medicines", "online pharmacies", "public health", "laboratory analysis"],
    ),
    "tobacco": SectorWords(
        [
            "illicit cigarettes", "cheap whites", "unmanufactured tobacco", "counterfeit cigarettes",
            "waterpipe tobacco",
        ],
        [
            "smuggling tobacco products", "manufacturing tobacco products without a licence",
            "evading excise duty on cigarettes", "trading in counterfeit cigarettes",
        ],
        ["master cases", "cartons", "kilograms of raw leaf", "containers"],
        ["the Tobacco Control Act", "the Excise Act", "the Customs and Excise Act"],
        ["the revenue authority", "the tobacco licensing office", "customs"],
        ["fctc-protocol", "untoc"],
        ["excise duty", "track and trace", "licensing", "free trade zones"],
    ),
    "alcohol-excisable-goods": SectorWords(
        [
            "counterfeit spirits", "methanol-contaminated alcohol", "undeclared wine consignments",
            "illicit beer",
        ],
        [
            "producing alcohol without a licence", "selling methanol-contaminated spirits",
            "evading excise duty on alcohol", "forging excise stamps",
        ],
        ["litres", "bottles", "pallets", "tankers"],
        ["the Excise Act", "the Liquor Licensing Act", "the Food Safety Act"],
        ["the excise office", "the food safety authority", "customs"],
        ["untoc", "trips"],
        ["excise duty", "tax stamps", "methanol poisoning", "licensing"],
    ),
    "food-beverages": SectorWords(
        [
            "mislabelled olive oil", "counterfeit infant formula", "adulterated honey",
            "falsified wine labels", "expired meat",
        ],
        [
            "placing unsafe food on the market", "food fraud by misrepresentation of origin",
            "relabelling expired food", "infringing protected geographical indications",
        ],
        ["tonnes", "cartons", "kilograms", "containers"],
        ["the Food Safety Act", "the Consumer Protection Act", "the Geographical Indications Act"],
        ["the food safety authority", "the agriculture inspectorate", "the consumer protection agency"],
        ["trips", "untoc"],
        ["food fraud", "labelling", "geographical indications", "public health"],
    ),
    "pesticides-agrochemicals": SectorWords(
        ["illegal pesticides", "counterfeit herbicides", "unregistered fungicides", "banned insecticides"],
        [
            "importing unregistered pesticides", "trading in counterfeit plant protection products",
            "placing banned pesticides on the market",
        ],
        ["litres", "drums", "kilograms", "containers"],
        ["the Plant Protection Act", "the Pesticides Control Act", "the Environmental Code"],
        ["the plant protection service", "the environment agency", "customs"],
        ["rotterdam", "untoc", "trips"],
        ["pesticides", "environmental crime", "labelling", "parallel imports"],
    ),
    "hazardous-chemicals": SectorWords(
        ["ozone-depleting refrigerants", "undeclared industrial chemicals", "mercury", "precursor solvents"],
        [
            "illegal trade in ozone-depleting substances",
            "importing hazardous chemicals without prior informed consent",
            "mislabelling hazardous chemicals",
        ],
        ["cylinders", "drums", "tonnes", "kilograms"],
        ["the Hazardous Substances Act", "the Environmental Management Act", "the Chemicals Act"],
        ["the environment agency", "the chemicals inspectorate", "customs"],
        ["rotterdam", "basel", "untoc"],
        ["environmental crime", "prior informed consent", "licensing", "expert evidence"],
    ),
    "hazardous-waste": SectorWords(
        [
            "end-of-life vehicles", "electronic waste", "used lead-acid batteries", "plastic waste",
            "ship-breaking waste",
        ],
        [
            "illegal shipment of hazardous waste", "exporting e-waste declared as second-hand goods",
            "illegal dumping of hazardous waste",
        ],
        ["containers", "tonnes", "shipments", "truckloads"],
        ["the Waste Management Act", "the Environmental Protection Act", "the Environmental Code"],
        ["the environment agency", "the port state control", "the waste inspectorate"],
        ["basel", "untoc"],
        ["environmental crime", "transboundary movements", "repatriation of waste", "corporate liability"],
    ),
    "firearms": SectorWords(
        ["unmarked pistols", "firearm parts", "converted alarm weapons", "3D-printed firearms", "ammunition"],
        [
            "trafficking in firearms", "illicit manufacturing of firearms", "altering firearm markings",
            "brokering firearms without authorisation",
        ],
        ["units", "rounds", "crates", "parcels"],
        ["the Firearms Act", "the Arms and Ammunition Act", "the Criminal Code"],
        ["the national firearms authority", "the ballistics laboratory", "the border police"],
        ["firearms-protocol", "untoc"],
        ["marking and tracing", "end-user certificates", "postal consignments", "organised crime group"],
    ),
    "narcotics-precursors": SectorWords(
        ["ephedrine", "acetic anhydride", "fentanyl analogues", "tramadol tablets", "cocaine precursors"],
        [
            "diverting precursor chemicals", "trafficking in narcotic drugs",
            "manufacturing synthetic drugs", "importing controlled substances without a licence",
        ],
        ["kilograms", "litres", "tablets", "barrels"],
        ["the Narcotic Drugs Act", "the Precursors Control Act", "the Criminal Code"],
        ["the drug control agency", "the forensic laboratory", "the precursor control unit"],
        ["drug-convention-1988", "untoc"],
        ["precursor chemicals", "controlled delivery", "darknet", "forensic testing"],
    ),
    "counterfeit-consumer-goods": SectorWords(
        [
            "counterfeit handbags", "fake sportswear", "counterfeit toys", "counterfeit cosmetics",
            "fake luxury watches",
        ],
        [
            "trademark counterfeiting on a commercial scale", "selling counterfeit goods online",
            "importing counterfeit goods", "placing unsafe toys on the market",
        ],
        ["pieces", "cartons", "containers", "pallets"],
        ["the Trade Marks Act", "the Anti-Counterfeit Act", "the Consumer Protection Act"],
        ["the anti-counterfeit agency", "the right-holders' association", "customs"],
        ["trips", "untoc"],
        ["trademark infringement", "online marketplaces", "e-commerce", "destruction of seized goods"],
    ),
    "electronics-spare-parts": SectorWords(
        [
            "counterfeit phone chargers", "fake aircraft parts", "counterfeit brake pads",
            "cloned integrated circuits",
        ],
        [
            "selling counterfeit spare parts", "supplying falsified safety-critical components",
            "importing electronics infringing trademarks",
        ],
        ["units", "pallets", "cartons", "containers"],
        ["the Trade Marks Act", "the Product Safety Act", "the Standards Act"],
        ["the standards bureau", "the civil aviation authority", "customs"],
        ["trips", "untoc"],
        ["product safety", "trademark infringement", "expert evidence", "e-commerce"],
    ),
    "fuel": SectorWords(
        ["adulterated diesel", "smuggled petrol", "marked kerosene", "stolen crude oil"],
        [
            "fuel smuggling", "adulterating fuel", "illegal bunkering",
            "evading fuel excise through laundering of marked fuel",
        ],
        ["litres", "tankers", "barrels", "tonnes"],
        ["the Petroleum Act", "the Excise Act", "the Energy Regulation Act"],
        ["the energy regulator", "the revenue authority", "the navy"],
        ["untoc", "uncac"],
        ["excise duty", "fuel marking", "maritime interdiction", "tax evasion"],
    ),
    "wildlife-timber": SectorWords(
        ["ivory", "pangolin scales", "rosewood logs", "rhino horn", "live reptiles"],
        [
            "trafficking in protected species", "illegal logging and timber trade",
            "possessing specimens of protected species", "forging CITES permits",
        ],
        ["kilograms", "logs", "containers", "specimens"],
        ["the Wildlife Conservation Act", "the Forest Act", "the Environmental Code"],
        ["the wildlife service", "the forestry commission", "customs"],
        ["cites", "untoc", "uncac"],
        ["cites permits", "environmental crime", "dna analysis", "asset recovery"],
    ),
    "cross-sector": SectorWords(
        [
            "smuggled cash", "gold bars", "mis-invoiced goods",
            "luxury vehicles bought with illicit proceeds",
        ],
        [
            "laundering the proceeds of illicit trade", "participating in an organised criminal group",
            "bribing customs officials", "trade-based money laundering",
        ],
        ["accounts", "transactions", "shipments", "companies"],
        ["the Proceeds of Crime Act", "the Anti-Money Laundering Act", "the Criminal Code"],
        ["the financial intelligence unit", "the asset recovery office", "the anti-corruption commission"],
        ["untoc", "uncac"],
        ["money laundering", "asset recovery", "corruption", "joint investigation teams"],
    ),
}
GENERIC_WORDS = SectorWords(
    ["seized goods", "illicit goods", "counterfeit products"],
    ["illicit trade", "smuggling", "trading in counterfeit goods"],
    ["cartons", "containers", "kilograms"],
    ["the Criminal Code", "the Customs Act"],
    ["customs", "the police"],
    ["untoc"],
    ["smuggling", "customs seizure"],
)

# About sixty tags, normalised the way taxonomy.normalise_tag does.
TAG_VOCABULARY = [
    "sentencing", "mutual legal assistance", "extradition", "asset recovery", "confiscation",
    "controlled delivery", "online marketplaces", "free trade zones", "transit", "customs seizure",
    "chain of custody", "forensic testing", "expert evidence", "admissibility", "jurisdiction",
    "corporate liability", "precursor chemicals", "dual criminality", "joint investigation teams",
    "money laundering", "predicate offence", "trademark infringement", "criminal intent",
    "strict liability", "public health", "labelling", "licensing", "excise duty", "tax evasion",
    "smuggling", "organised crime group", "corruption", "victims", "destruction of seized goods",
    "e-commerce", "postal consignments", "container shipping", "risk profiling", "parallel imports",
    "plea agreements", "appeal", "legislative reform", "draft law", "penalties",
    "aggravating circumstances", "darknet", "cryptocurrency", "undercover operations",
    "electronic evidence", "laboratory analysis", "document fraud", "end-user certificates",
    "marking and tracing", "track and trace", "environmental crime", "falsified medicines",
    "online pharmacies", "food fraud", "geographical indications", "cites permits",
    "transboundary movements", "product safety", "fuel marking", "tax stamps",
]  # fmt: skip

TITLES = [
    "Is {offence} a predicate offence for money laundering in {J}?",
    "Sentencing for {offence}: recent case law from {J}",
    "Admissibility of laboratory reports on {goods} seized in {J}",
    "Mutual legal assistance requests involving {goods}: practice under {I}",
    "Criminal liability of online marketplaces for {goods}",
    "Transit seizures of {goods}: does the law of {J} apply?",
    "Implementing {I} in domestic law: gaps in {J}", "Corporate liability for {offence}",
    "Destruction of seized {goods} before trial",
    "Chain of custody for samples of {goods}: what courts in {J} require",
    "Proving knowledge in cases of {offence}", "Confiscation of proceeds from {offence}",
    "Joint investigation teams in cases of {offence}", "Draft law on {goods} in {J}: comments requested",
    "Expert evidence on {goods}: who may testify?", "{J}: appeal judgment on {offence} ({year})",
    "Extradition for {offence} without dual criminality?",
    "Controlled deliveries of {goods} through postal channels",
    "Free trade zones and {goods}: jurisdictional questions", "Compensating victims in cases of {offence}",
    "Penalties for {offence} compared across jurisdictions",
    "Using {I} as the legal basis for cooperation with {J2}", "Storage and disposal costs of seized {goods}",
    "Messaging-app evidence in cases of {offence}",
    "{goods_cap} declared as {cover}: which offence applies?",
]

OPENING_LEADS = [
    "We are prosecuting a case involving {qty} {unit} of {goods} seized at {place}.",
    "Our office has received a request from {J2} concerning {offence}, and I would welcome "
    "colleagues' views.",
    "In {J}, {offence} is punishable by up to {years} years' imprisonment under {act}, but courts rarely "
    "impose more than {years_low}.",
    "A recent seizure of {goods} at {place} has raised a question that our legislation does not "
    "clearly answer.",
    "I am preparing guidance for prosecutors in {J} on {offence} and would like to compare approaches.",
    "{court_j} has just delivered a judgment on {offence} that may interest colleagues.",
    "Customs officers in {J} intercepted {qty} {unit} of {goods} declared as {cover}.",
    "We are reviewing {act} in {J}, and the working group has asked how other jurisdictions deal "
    "with {issue}.",
    "This thread collects practice on {issue} in cases concerning {goods}.",
]
ANALYSIS = [
    "Article {art} of {I} requires States Parties to {obligation}.",
    "{court_j} held in {case} that {holding}.",
    "The central difficulty is proving {mental} on the part of {actor}.",
    "In practice, {evidence} proved decisive in most of our cases.", "The defence argues that {defence}.",
    "The question is whether {question}.",
    "Our legislation does not define {term}, so the courts have looked to {I} for guidance.",
    "Under {act}, the offence carries up to {years} years' imprisonment and a fine of up to {fine}.",
    "The investigation relied on {coop} with {J2}, which took almost {months} months.",
    "{agency_cap} has taken the view that {holding}.", "It is not settled whether {question}.",
    "The sentencing guidelines treat {aggravating} as an aggravating circumstance.",
    "In {year} the legislature amended {act} to cover {goods} expressly.",
    "Most of these cases are still prosecuted as customs or regulatory offences rather than under the "
    "criminal code.",
    "The trial court convicted {actor}, but the conviction was quashed on appeal for want of evidence of "
    "{mental}.", "Confiscation orders have so far been limited to the seized goods, not the proceeds.",
    "A parallel civil action by the right-holder is pending before {court_j}.",
    "The samples were analysed by {lab}, whose report concluded that {finding}.",
    "The goods were in transit to {J2}, which raises the question of our jurisdiction to prosecute.",
    "Seizures made under administrative customs powers cannot always be used as criminal evidence "
    "without a fresh warrant.",
]
REPLY_LEADS = [
    "Thank you, {pname}; our experience in {J} is similar.", "Thank you for raising this.",
    "I can confirm that the same issue arose in {case}.", "I respectfully see it differently.",
    "A short addition from {J}.", "This is a very useful summary.",
    "On {pname}'s point about {issue}, two remarks.", "We had almost the same facts last year.",
    "@{phandle}, in our jurisdiction the answer is different.", "I agree with most of the analysis above.",
    "A word on {issue}, since it came up above.", "Interesting case, {pname}.",
    "Just to add a practical angle.", "Our courts took the opposite view.",
]
REPLY_BODY = [
    "In {J}, {court} held in {case} that {holding}.",
    "We relied on {coop} with {J2}, and the evidence was admitted without difficulty.",
    "I would be careful with {evidence}: the defence will challenge it if {condition}.",
    "Our {act_bare} was amended in {year} precisely to address {issue}.",
    "The sentence imposed was {years_low}, which the appeal court found too lenient given {aggravating}.",
    "The better view, in my opinion, is that {holding}.", "It would help to know whether {question}.",
    "{agency_cap} published guidance on this in {year}; I can share it privately.",
    "We found {evidence} more persuasive to the court than expert testimony.",
    "Article {art} of {I} is often overlooked, but it gives a clear basis for cooperation.",
    "Could you share the reference of the judgment? It would help us with a pending appeal.",
    "The same reasoning should apply to {goods}, although I know of no decided case.",
    "In our system the prosecutor must first obtain {permission} before charging {actor}.",
    "The key point for us was that {holding}.", "We lost a similar case because {defence}.",
    "The court accepted {evidence} but gave little weight to {evidence2}.",
    "{coop_cap} worked well for us, but only once the request named the account holders.",
    "Penalties in {J} range from {years_low} to {years} years' imprisonment, and fines are rarely collected.",
]
CLOSINGS = [
    "Any comparative experience would be very welcome.", "I would be grateful for references to case law.",
    "Happy to share the judgment on request.", "I will report back once the court has ruled.",
    "Views from colleagues in {J2} would be particularly useful.", "Thank you in advance.",
]
LIST_INTROS = [
    "Points we are considering:", "The main questions are:", "The court took into account:", "In summary:",
    "What worked for us:", "Open questions:",
]
LIST_ITEMS = [
    "whether {question}", "{evidence} as the main evidence", "the role of {actor} in the supply chain",
    "the application of Article {art} of {I}", "confiscation of proceeds under {act}",
    "cooperation with {J2} through {coop}", "{aggravating} as an aggravating factor",
    "the cost of storing {goods} until trial", "a maximum penalty of {years} years' imprisonment",
    "proof of {mental}",
]
PROVISIONS = [
    "Each State Party shall adopt such legislative and other measures as may be necessary to establish as "
    "criminal offences, when committed intentionally, the conduct set forth in this article.",
    "States Parties shall afford one another the widest measure of mutual legal assistance in "
    "investigations, prosecutions and judicial proceedings.",
    "Each Party shall ensure that legal persons can be held liable for offences established in accordance "
    "with this Convention.",
    "Each Party shall take the necessary measures to enable it to seize and confiscate the proceeds of the "
    "offences, or property the value of which corresponds to such proceeds.",
    "Whoever imports, exports or transports the goods knowing them to be falsified shall be punished by "
    "imprisonment.",
    "The court may order the destruction of the seized goods once samples sufficient for analysis have "
    "been retained.",
]
EDIT_NOTES = [
    "**Update:** the court has scheduled judgment for {month} {year_next}.",
    "**Update:** the appeal was dismissed; the conviction stands.",
    "**Correction:** the correct reference is {case}.",
    "**Update:** {agency} has confirmed the laboratory results.",
    "**Edit:** the penalty range was changed by the {year} amendment; figures above corrected.",
]
EDIT_REASONS = [
    "Corrected the case number", "Added the citation of the appeal judgment", "Fixed the statute reference",
    "Updated after the hearing", "Clarified the penalty range", "Removed the name of a witness",
]
HIDDEN_REASONS = [
    "Confidential information: names a suspect in an ongoing investigation.",
    "Off-topic; please start a separate thread.", "Contains personal data of a witness.",
    "Duplicate of an earlier post.",
]

HOLDINGS = [
    "possession in commercial quantities gives rise to a rebuttable presumption of intent to supply",
    "a laboratory certificate is admissible without the analyst testifying unless the defence gives notice",
    "the customs declaration alone does not establish knowledge of the nature of the goods",
    "confiscation may extend to the vessel used to transport the goods",
    "the offence is complete at import even where the goods were declared in transit",
    "a complaint by the right-holder is not a precondition for prosecution",
    "sentences must reflect the risk to public health and not only the value of the goods",
    "communications intercepted abroad are admissible if lawfully obtained under the law of the "
    "requested State",
    "wilful blindness satisfies the knowledge requirement",
    "the company's compliance programme did not exclude its criminal liability",
    "a test purchase by investigators is not entrapment where the seller was already offering the goods",
    "samples taken without the owner present remain admissible if the chain of custody is documented",
]
QUESTIONS = [
    "the offence can be prosecuted where the goods never entered free circulation",
    "a company can be held liable when its manager acted outside his mandate",
    "an online advertisement alone amounts to an offer for sale",
    "seized samples may be destroyed before the defence has had an opportunity to test them",
    "the requested State may refuse assistance for lack of dual criminality",
    "the freight forwarder can be treated as the importer",
    "proceeds held in cryptocurrency can be frozen on the basis of a domestic order",
    "a conviction abroad bars a prosecution here for the same consignment",
    "administrative fines already paid prevent a criminal prosecution",
]
OBLIGATIONS = [
    "establish as criminal offences the conduct described in the instrument",
    "adopt measures enabling the confiscation of proceeds of crime",
    "afford one another the widest measure of mutual legal assistance",
    "ensure that legal persons can be held liable", "cooperate in the destruction of seized goods",
    "keep records enabling the tracing of goods",
    "provide for effective, proportionate and dissuasive sanctions",
]
MENTAL = [
    "knowledge that the goods were falsified", "intent to place the goods on the market",
    "awareness of the illicit origin of the funds", "recklessness as to the nature of the substance",
    "intent to evade duty",
]
ACTORS = [
    "the importer", "the freight forwarder", "the pharmacy owner", "the company directors", "the courier",
    "the registered consignee", "the customs broker", "the warehouse manager",
]
EVIDENCE = [
    "forensic laboratory analysis", "the right-holder's expert declaration",
    "the shipping manifests and bills of lading",
    "financial records obtained through mutual legal assistance",
    "messages extracted from the seized phones", "track-and-trace data",
    "the testimony of the customs officer who made the seizure", "CCTV footage from the warehouse",
    "test purchases made by investigators", "the packaging and batch numbers",
]
DEFENCES = [
    "the accused believed the goods were genuine parallel imports",
    "the search of the container was carried out without a valid warrant",
    "the laboratory was not accredited at the time of the analysis",
    "the goods were only in transit and never intended for the domestic market",
    "the evidence from abroad was not obtained through a formal request",
    "the seized samples were not representative of the whole consignment",
]
CONDITIONS = [
    "the chain of custody has a gap", "the analyst cannot attend the hearing",
    "the samples were taken without the owner present", "the request for assistance was sent informally",
    "the translation was not certified",
]
COOPERATION = [
    "a request for mutual legal assistance", "a joint investigation team",
    "a spontaneous exchange of information", "a European Investigation Order", "an INTERPOL notice",
    "customs-to-customs cooperation", "a controlled delivery",
]
AGGRAVATING = [
    "the risk to the health of children", "the involvement of an organised criminal group",
    "the abuse of a position of trust", "the scale of the operation", "repeat offending",
    "the corruption of public officials",
]
TERMS = ["falsified", "commercial scale", "placing on the market", "transit", "counterfeit", "trafficking"]
ISSUES = [
    "the destruction of seized goods", "transit cases", "corporate liability",
    "the admissibility of foreign evidence", "sentencing", "online sales", "the costs of storage",
    "the burden of proof", "confiscation of proceeds",
]
COURTS = [
    "the Court of Appeal", "the Supreme Court", "the High Court", "the Court of Cassation",
    "the Constitutional Court", "the regional court", "the criminal division of the High Court",
]
PLACES = [
    "the port of {port}", "{port} international airport", "a bonded warehouse", "a free trade zone",
    "the land border with {J2}", "a postal sorting centre", "an express courier hub",
]
PORTS = [
    "Mombasa", "Lagos", "Rotterdam", "Antwerp", "Jebel Ali", "Colón", "Tema", "Durban", "Santos",
    "Algeciras", "Piraeus", "Port Klang", "Felixstowe", "Hamburg", "Callao", "Manzanillo", "Lomé",
    "Djibouti", "Chittagong", "Karachi", "Valencia", "Genoa", "Dar es Salaam", "Cotonou",
]  # fmt: skip
LABS = ["the national forensic laboratory", "an accredited private laboratory", "the customs laboratory"]
FINDINGS = [
    "the active ingredient was absent", "the goods did not match the right-holder's specifications",
    "the concentration exceeded the legal limit", "the markings had been removed mechanically",
    "the samples contained a banned substance",
]
COVERS = ["spare parts", "household goods", "cosmetics", "food supplements", "textiles", "machine parts"]
PERMISSIONS = [
    "the consent of the Attorney General", "a complaint from the right-holder", "a customs referral",
]
MONTHS = ["January", "March", "May", "June", "September", "October", "December"]
# fmt: on


# --- Text ----------------------------------------------------------------------------------------


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


@dataclass
class _Context:
    """What a post's text may refer to: its thread's sector, jurisdictions, instruments, its parent."""

    words: SectorWords
    countries: list[str]  # display names, with an article where one is needed
    courts: list[str]  # courts of the thread's jurisdictions ("the Supreme Court of Kenya")
    instruments: list[str]
    all_countries: list[str]
    surnames: list[str]
    pname: str = ""
    phandle: str = ""


class _Slots(dict):
    """format_map() target: each placeholder is drawn when a template asks for it."""

    def __init__(self, rng: random.Random, ctx: _Context):
        super().__init__()
        self.rng = rng
        self.ctx = ctx

    def __missing__(self, key: str) -> str:
        value = _SLOT_MAKERS[key](self.rng, self.ctx, self)
        self[key] = value
        return value


def _country(rng: random.Random, ctx: _Context, _slots) -> str:
    return (
        rng.choice(ctx.countries) if ctx.countries and rng.random() < 0.85 else rng.choice(ctx.all_countries)
    )


def _other_country(rng: random.Random, ctx: _Context, slots) -> str:
    first = slots.get("J")
    for _ in range(4):
        choice = rng.choice(ctx.all_countries)
        if choice != first:
            return choice
    return choice


def _court_j(rng: random.Random, ctx: _Context, _slots) -> str:
    if ctx.courts and rng.random() < 0.8:
        return rng.choice(ctx.courts)
    return f"{rng.choice(COURTS)} of {rng.choice(ctx.all_countries)}"


def _case(rng: random.Random, ctx: _Context, _slots) -> str:
    year = rng.randint(2008, 2026)
    number = rng.randint(3, 2400)
    form = rng.randrange(5)
    if form == 0:
        return f"Case No. {number}/{year}"
    if form == 1:
        return f"Criminal Appeal No. {number} of {year}"
    if form == 2:
        return f"State v. {rng.choice(ctx.surnames)}"
    if form == 3:
        return f"Prosecutor v. {rng.choice(ctx.surnames)} and Others ({year})"
    return f"Judgment {number}/{year}"


def _instrument(rng: random.Random, ctx: _Context, _slots) -> str:
    if ctx.instruments and rng.random() < 0.85:
        return rng.choice(ctx.instruments)
    return "UNTOC"


_SLOT_MAKERS = {
    "J": _country,
    "J2": _other_country,
    "court_j": _court_j,
    "court": lambda rng, ctx, s: rng.choice(COURTS),
    "case": _case,
    "I": _instrument,
    "goods": lambda rng, ctx, s: rng.choice(ctx.words.goods),
    "goods_cap": lambda rng, ctx, s: _cap(rng.choice(ctx.words.goods)),
    "offence": lambda rng, ctx, s: rng.choice(ctx.words.offences),
    "unit": lambda rng, ctx, s: rng.choice(ctx.words.units),
    "act": lambda rng, ctx, s: rng.choice(ctx.words.acts),
    "act_bare": lambda rng, ctx, s: rng.choice(ctx.words.acts).removeprefix("the "),
    "agency": lambda rng, ctx, s: rng.choice(ctx.words.agencies),
    "agency_cap": lambda rng, ctx, s: _cap(rng.choice(ctx.words.agencies)),
    "qty": lambda rng, ctx, s: (
        f"{rng.choice((12, 40, 85, 120, 300, 640, 1200, 2500, 18000)) + rng.randint(0, 9):,}"
    ),
    "years": lambda rng, ctx, s: str(rng.choice((3, 5, 7, 8, 10, 12, 15, 20))),
    "years_low": lambda rng, ctx, s: rng.choice(
        ("a suspended sentence", "one year", "two years", "18 months")
    ),
    "fine": lambda rng, ctx, s: rng.choice(("EUR 50,000", "USD 100,000", "ten times the value of the goods")),
    "year": lambda rng, ctx, s: str(rng.randint(2012, 2025)),
    "year_next": lambda rng, ctx, s: str(rng.randint(2025, 2027)),
    "month": lambda rng, ctx, s: rng.choice(MONTHS),
    "months": lambda rng, ctx, s: str(rng.randint(4, 30)),
    "art": lambda rng, ctx, s: str(rng.randint(2, 34)),
    "place": lambda rng, ctx, s: rng.choice(PLACES).format_map(s),
    "port": lambda rng, ctx, s: rng.choice(PORTS),
    "cover": lambda rng, ctx, s: rng.choice(COVERS),
    "issue": lambda rng, ctx, s: rng.choice(ISSUES),
    "holding": lambda rng, ctx, s: rng.choice(HOLDINGS),
    "question": lambda rng, ctx, s: rng.choice(QUESTIONS),
    "obligation": lambda rng, ctx, s: rng.choice(OBLIGATIONS),
    "mental": lambda rng, ctx, s: rng.choice(MENTAL),
    "actor": lambda rng, ctx, s: rng.choice(ACTORS),
    "evidence": lambda rng, ctx, s: rng.choice(EVIDENCE),
    "evidence2": lambda rng, ctx, s: rng.choice(EVIDENCE),
    "defence": lambda rng, ctx, s: rng.choice(DEFENCES),
    "condition": lambda rng, ctx, s: rng.choice(CONDITIONS),
    "coop": lambda rng, ctx, s: rng.choice(COOPERATION),
    "coop_cap": lambda rng, ctx, s: _cap(rng.choice(COOPERATION)),
    "aggravating": lambda rng, ctx, s: rng.choice(AGGRAVATING),
    "term": lambda rng, ctx, s: f"“{rng.choice(TERMS)}”",
    "lab": lambda rng, ctx, s: rng.choice(LABS),
    "finding": lambda rng, ctx, s: rng.choice(FINDINGS),
    "permission": lambda rng, ctx, s: rng.choice(PERMISSIONS),
    "pname": lambda rng, ctx, s: ctx.pname or "colleagues",
    "phandle": lambda rng, ctx, s: ctx.phandle or "all",
}


def _fill(rng: random.Random, ctx: _Context, template: str) -> str:
    return _cap(template.format_map(_Slots(rng, ctx)))


def _sentences(rng: random.Random, ctx: _Context, templates: list[str], count: int, used: set[str]) -> str:
    """`count` sentences, avoiding the templates this post has used already (when it can)."""
    sentences = []
    for _ in range(count):
        template = rng.choice(templates)
        for _retry in range(3):
            if template not in used:
                break
            template = rng.choice(templates)
        used.add(template)
        sentences.append(_fill(rng, ctx, template))
    return " ".join(sentences)


def _key_sentence(rng: random.Random, ctx: _Context, opening: bool) -> tuple[str, str]:
    """The sentence a reply quotes, and its template: made from a random stream of its own, so that
    a reply can make its parent's again without making the whole parent."""
    template = rng.choice(ANALYSIS if opening else REPLY_BODY)
    return template, _fill(rng, ctx, template)


def _body(rng: random.Random, ctx: _Context, opening: bool, key: tuple[str, str], quote: str | None) -> str:
    """Markdown of one post: a paragraph to several, sometimes a list, a quote, a footnote, a table."""
    blocks: list[str] = []
    used = {key[0]}
    if opening:
        paragraphs = rng.choices((1, 2, 3, 4, 5), (15, 30, 25, 18, 12))[0]
    else:
        paragraphs = rng.choices((1, 2, 3, 4), (42, 32, 17, 9))[0]
    if quote and rng.random() < 0.5:
        blocks.append(f"{ctx.pname or 'A colleague'} wrote:\n> {quote}")
    elif rng.random() < (0.08 if opening else 0.04):
        blocks.append(f"> {rng.choice(PROVISIONS)}")
    headings = opening and paragraphs >= 3 and rng.random() < 0.35
    leads = OPENING_LEADS if opening else REPLY_LEADS
    more = ANALYSIS if opening else REPLY_BODY
    first = _fill(rng, ctx, rng.choice(leads)) + " " + key[1]
    extra = rng.randint(0, 2)
    if extra:
        first += " " + _sentences(rng, ctx, more, extra, used)
    if headings:
        blocks.append("### Facts")
    blocks.append(first)
    footnote = rng.random() < 0.06
    for number in range(1, paragraphs):
        if headings and number == 1:
            blocks.append("### Analysis")
        paragraph = _sentences(rng, ctx, more if rng.random() < 0.8 else ANALYSIS, rng.randint(2, 4), used)
        if footnote and number == 1:
            paragraph += "[^1]"
        blocks.append(paragraph)
    if rng.random() < (0.18 if opening else 0.10):
        items = rng.sample(LIST_ITEMS, rng.randint(2, 4))
        marker = "1." if rng.random() < 0.3 else "-"
        blocks.append(
            _fill(rng, ctx, rng.choice(LIST_INTROS))
            + "\n\n"
            + "\n".join(f"{marker} {_fill(rng, ctx, item)}." for item in items)
        )
    if rng.random() < (0.08 if opening else 0.02):
        rows = "\n".join(
            f"| {name[:1].upper() + name[1:]} | {rng.choice(ctx.words.acts).removeprefix('the ')} | "
            f"{rng.choice((2, 3, 5, 7, 10, 15))} years |"
            for name in dict.fromkeys(rng.choice(ctx.all_countries) for _ in range(rng.randint(2, 4)))
        )
        blocks.append(f"| Jurisdiction | Legal basis | Maximum penalty |\n| --- | --- | ---: |\n{rows}")
    if opening and rng.random() < 0.6:
        blocks.append(_fill(rng, ctx, rng.choice(CLOSINGS)))
    if footnote:
        if paragraphs == 1:
            blocks[-1] += "[^1]"
        blocks.append(_fill(rng, ctx, "[^1]: {case}, {court_j}, judgment of {month} {year}."))
    return "\n\n".join(blocks)


# --- The plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    """The rows of the taxonomy the corpus refers to, as read from the database."""

    sectors: list[tuple[int, str]]  # (id, slug)
    jurisdictions: list[tuple[int, str, str, str]]  # (id, code, name, kind)
    instruments: list[tuple[int, str, str]]  # (id, slug, short name)
    tags: dict[str, int]  # existing tags, name → id


@dataclass(frozen=True)
class StartIds:
    """The first id free in each table."""

    user: int = 1
    tag: int = 1
    thread: int = 1
    post: int = 1
    revision: int = 1


class PostPlan:
    __slots__ = (
        "author", "created", "depth", "edit", "hidden_reason", "id", "local", "ordinal", "parent", "path",
        "state", "thread",
    )  # fmt: skip

    def __init__(self, thread: int, local: int, parent: int, author: int, created: int):
        self.thread = thread  # index in Corpus.threads
        self.local = local  # position in its thread
        self.parent = parent  # ordinal of the parent post, -1 for an opening post
        self.author = author  # index in Corpus.users
        self.created = created  # seconds after EPOCH_START
        self.ordinal = 0  # position in the corpus (id order)
        self.id = 0
        self.path = ""
        self.depth = 0
        self.state = PostState.visible.value
        self.hidden_reason = ""
        # (seconds after EPOCH_START, editor index, reason, note template) for edited posts.
        self.edit: tuple[int, int, str, str] | None = None


@dataclass
class Corpus:
    seed: int
    users: list[dict]
    tags: list[dict]
    threads: list[dict]
    thread_jurisdictions: list[dict]
    thread_instruments: list[dict]
    thread_tags: list[dict]
    posts: list[PostPlan]
    revision_start: int
    contexts: list[_Context] = field(repr=False, default_factory=list)

    def _text_rng(self, ordinal: int, stream: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + ordinal) * 4 + stream)

    def _context(self, post: PostPlan) -> _Context:
        ctx = self.contexts[post.thread]
        if post.parent < 0:
            ctx.pname = ctx.phandle = ""
        else:
            parent_author = self.users[self.posts[post.parent].author]
            ctx.pname = parent_author["display_name"].split(" ")[0]
            ctx.phandle = parent_author["handle"]
        return ctx

    def key_sentence(self, post: PostPlan) -> tuple[str, str]:
        return _key_sentence(self._text_rng(post.ordinal, 0), self._context(post), post.parent < 0)

    def post_body(self, post: PostPlan) -> str:
        """The Markdown of a post as first written (revision 1)."""
        key = self.key_sentence(post)
        quote = self.key_sentence(self.posts[post.parent])[1] if post.parent >= 0 else None
        ctx = self._context(post)  # again: quoting the parent's text reset it to the parent's
        return _body(self._text_rng(post.ordinal, 1), ctx, post.parent < 0, key, quote)

    def iter_posts(self, render=render_markdown) -> Iterator[tuple[dict, list[dict]]]:
        """Each post's row (with its rendered HTML) and its revision rows, in id order."""
        revision_id = self.revision_start
        for post in self.posts:
            body = self.post_body(post)
            author_id = self.users[post.author]["id"]
            created = EPOCH_START + timedelta(seconds=post.created)
            revisions = [
                {
                    "id": revision_id,
                    "post_id": post.id,
                    "revision": 1,
                    "body": body,
                    "editor_id": author_id,
                    "reason": "",
                    "created_at": created,
                }
            ]
            revision_id += 1
            edited_at = None
            if post.edit is not None:
                edited, editor, reason, note = post.edit
                edited_at = EPOCH_START + timedelta(seconds=edited)
                ctx = self._context(post)
                body = body + "\n\n" + _fill(self._text_rng(post.ordinal, 2), ctx, note)
                revisions.append(
                    {
                        "id": revision_id,
                        "post_id": post.id,
                        "revision": 2,
                        "body": body,
                        "editor_id": self.users[editor]["id"],
                        "reason": reason,
                        "created_at": edited_at,
                    }
                )
                revision_id += 1
            row = {
                "id": post.id,
                "thread_id": self.threads[post.thread]["id"],
                "parent_id": self.posts[post.parent].id if post.parent >= 0 else None,
                "author_id": author_id,
                "body": body,
                "body_html": render(body),
                "revision": 2 if post.edit else 1,
                "state": post.state,
                "hidden_reason": post.hidden_reason if post.state == PostState.hidden else "",
                "created_at": created,
                "edited_at": edited_at,
                "path": post.path,
                "depth": post.depth,
            }
            yield row, revisions

    @property
    def revision_count(self) -> int:
        return len(self.posts) + sum(1 for p in self.posts if p.edit is not None)


def _display_country(code: str, name: str) -> str:
    return f"the {name}" if code in WITH_ARTICLE else name


def _plan_users(
    rng: random.Random,
    count: int,
    taxonomy: Taxonomy,
    start: int,
    password_hash: str,
    taken_emails: set[str],
    taken_handles: set[str],
) -> list[dict]:
    countries = {code: name for _id, code, name, kind in taxonomy.jurisdictions if kind == "country"}
    codes = [code for code in COUNTRY_NAMES if code in countries] or sorted(countries) or ["FR"]
    moderators = max(2, count // 20)
    users: list[dict] = []
    emails, handles = set(taken_emails), set(taken_handles)
    for number in range(count):
        code = rng.choice(codes)
        firsts, lasts = NAMES.get(COUNTRY_NAMES.get(code, "anglo"), NAMES["anglo"])
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        country = countries.get(code, code)
        if rng.random() < 0.06:
            organisation, domain = rng.choice(INTERNATIONAL_ORGANISATIONS)
        else:
            template, word = rng.choice(ORGANISATIONS)
            organisation = template.format(country=_display_country(code, country))
            domain = f"{word}.{code.lower()}.example"
        base = handle_base(name)
        handle, suffix = base, 2
        while handle in handles or f"{handle}@{domain}" in emails:
            handle, suffix = f"{base}{suffix}", suffix + 1
        handles.add(handle)
        email = f"{handle}@{domain}"
        emails.add(email)
        joined = EPOCH_START - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
        users.append(
            {
                "id": start + number,
                "email": email,
                "display_name": name,
                "handle": handle,
                "organisation": organisation,
                "country": code,
                # The first members are the moderators: the command prints the first one's address.
                "role": "moderator" if number < moderators else "expert",
                "status": "active",
                "suspended_until": None,
                "suspension_reason": "",
                "password_hash": password_hash,
                "password_changed_at": joined,
                "created_at": joined,
                "mail_preference": "none",
                "digest_sent_at": None,
            }
        )
    return users


def _reply_counts(rng: random.Random, threads: int, replies: int) -> list[int]:
    """Replies per thread, heavy-tailed: many short threads, a few long ones."""
    weights = [rng.lognormvariate(0, 1.1) for _ in range(threads)]
    total = sum(weights)
    shares = [replies * w / total for w in weights]
    counts = [min(int(s), MAX_POSTS_PER_THREAD - 1) for s in shares]
    # The remainder goes to the largest fractional parts (ties by position), still under the cap.
    order = sorted(range(threads), key=lambda i: (counts[i] - shares[i], i))
    missing = replies - sum(counts)
    while missing > 0:
        progressed = False
        for i in order:
            if missing == 0:
                break
            if counts[i] < MAX_POSTS_PER_THREAD - 1:
                counts[i] += 1
                missing -= 1
                progressed = True
        if not progressed:  # every thread is full: lift the cap rather than lose posts
            counts[0] += missing
            missing = 0
    return counts


def _choose_parent(rng: random.Random, local: int) -> int:
    """A reply's parent among the earlier posts of its thread: the opening post or a recent one."""
    if local == 1:
        return 0
    draw = rng.random()
    if draw < 0.28:
        return 0
    if draw < 0.72:
        return local - 1  # answering the latest post: conversations go deep
    if draw < 0.9:
        return rng.randint(max(0, local - 5), local - 1)
    return rng.randrange(local)


def plan_corpus(
    threads: int,
    posts: int,
    seed: int,
    taxonomy: Taxonomy,
    start: StartIds = StartIds(),  # noqa: B008 - frozen
    password_hash: str = "",
    taken_emails: set[str] | frozenset[str] = frozenset(),
    taken_handles: set[str] | frozenset[str] = frozenset(),
) -> Corpus:
    """Every row of the corpus, decided without the database: same arguments, same rows."""
    if threads < 1:
        raise ValueError("--threads must be at least 1")
    if posts < threads:
        raise ValueError("--posts counts every post, opening posts included: it must be at least --threads")
    if not taxonomy.sectors or not taxonomy.jurisdictions:
        raise ValueError("the taxonomy is empty: run `forum db upgrade` first")
    rng = random.Random(seed)
    users = _plan_users(
        rng,
        max(20, threads // 50),
        taxonomy,
        start.user,
        password_hash,
        set(taken_emails),
        set(taken_handles),
    )
    activity = list(accumulate(min(rng.paretovariate(1.3), 40.0) for _ in users))
    by_country: dict[str, list[int]] = {}
    for index, user in enumerate(users):
        by_country.setdefault(user["country"], []).append(index)

    # Taxonomy weights. Jurisdictions: a few are busy, most are quiet; and each sector ignores
    # some countries altogether, so the coverage matrix has empty cells.
    # Countries where the demo has members' names, and the regional bodies: not Antarctica.
    jurisdictions = [j for j in taxonomy.jurisdictions if j[3] != "country" or j[1] in COUNTRY_NAMES]
    jurisdictions = jurisdictions or list(taxonomy.jurisdictions)
    order = list(range(len(jurisdictions)))
    rng.shuffle(order)
    base_weight = [0.0] * len(jurisdictions)
    for rank, index in enumerate(order):
        _id, code, _name, kind = jurisdictions[index]
        boost = 2.0 if kind == "region" else 1.0
        base_weight[index] = boost / (rank + 1) ** 0.6
    sector_cum_weights = []
    for _sector in taxonomy.sectors:
        weights = [
            0.0
            if rng.random() < 0.35 and jurisdictions[i][3] == "country"
            else w * rng.lognormvariate(0, 0.8)
            for i, w in enumerate(base_weight)
        ]
        sector_cum_weights.append(list(accumulate(weights)))
    sector_weights = list(accumulate(rng.uniform(0.4, 1.6) for _ in taxonomy.sectors))
    instrument_by_slug = {slug: (iid, short) for iid, slug, short in taxonomy.instruments}
    country_names = {code: _display_country(code, name) for _i, code, name, kind in jurisdictions}
    all_countries = [country_names[code] for code in COUNTRY_NAMES if code in country_names] or ["France"]
    surnames = sorted({last for _firsts, lasts in NAMES.values() for last in lasts})
    tag_names = [normalise_tag(name) for name in TAG_VOCABULARY]

    # Threads, in creation order: creation times grow denser towards the end (forums grow).
    span = SPAN_DAYS * 86400 - 2 * 86400
    starts = sorted(int(span * rng.random() ** 0.6) for _ in range(threads))
    reply_counts = _reply_counts(rng, threads, posts - threads)
    thread_rows: list[dict] = []
    links_j: list[dict] = []
    links_i: list[dict] = []
    links_t: list[dict] = []
    contexts: list[_Context] = []
    used_tags: dict[str, int] = {}
    next_tag = start.tag
    skeleton: list[PostPlan] = []
    for index in range(threads):
        thread_id = start.thread + index
        sector_index = rng.choices(range(len(taxonomy.sectors)), cum_weights=sector_weights)[0]
        sector_id, sector_slug = taxonomy.sectors[sector_index]
        words = SECTOR_WORDS.get(sector_slug, GENERIC_WORDS)
        cum = sector_cum_weights[sector_index]
        chosen: list[int] = []
        for _ in range(rng.choices((1, 2, 3), (60, 28, 12))[0]):
            pick = rng.choices(range(len(jurisdictions)), cum_weights=cum)[0] if cum[-1] > 0 else 0
            if pick not in chosen:
                chosen.append(pick)
        instruments: list[int] = []
        for _ in range(rng.choices((0, 1, 2), (30, 50, 20))[0]):
            slug = (
                rng.choice(words.instruments) if rng.random() < 0.75 else rng.choice(taxonomy.instruments)[1]
            )
            if slug in instrument_by_slug and slug not in instruments:
                instruments.append(slug)
        tags: list[str] = []
        for _ in range(rng.choices((0, 1, 2, 3, 4), (12, 25, 30, 20, 13))[0]):
            name = normalise_tag(rng.choice(words.tags)) if rng.random() < 0.4 else rng.choice(tag_names)
            if name not in tags:
                tags.append(name)

        codes = [jurisdictions[i][1] for i in chosen]
        ctx = _Context(
            words=words,
            countries=[
                country_names[jurisdictions[i][1]] for i in chosen if jurisdictions[i][3] == "country"
            ],
            courts=[
                REGION_COURTS[jurisdictions[i][1]]
                if jurisdictions[i][1] in REGION_COURTS
                else f"{COURTS[(index + i) % len(COURTS)]} of {country_names[jurisdictions[i][1]]}"
                for i in chosen
                if jurisdictions[i][3] == "country" or jurisdictions[i][1] in REGION_COURTS
            ],
            instruments=[_instrument_phrase(instrument_by_slug[s][1]) for s in instruments],
            all_countries=all_countries,
            surnames=surnames,
        )
        contexts.append(ctx)
        slots = _Slots(rng, ctx)
        slots["year"] = str(min(2026, (EPOCH_START + timedelta(seconds=starts[index])).year))
        template = rng.choice(TITLES)
        if rng.random() < 0.6 and not any(mark in template for mark in ("{J", "?", ":", "across")):
            template += rng.choice((" ({J})", " in {J}", ": the view from {J}", ": practice in {J}"))
        title = _cap(template.format_map(slots))[:200]

        # Author: often someone from one of the thread's countries.
        local_users = [u for c in codes for u in by_country.get(c, [])]
        if local_users and rng.random() < 0.5:
            author = rng.choice(local_users)
        else:
            author = rng.choices(range(len(users)), cum_weights=activity)[0]

        # Times: replies come quickly at first, then thin out; all before EPOCH_END.
        replies = reply_counts[index]
        created = starts[index]
        duration = min(max(rng.lognormvariate(12.5, 1.4), 3600.0), 2 * 365 * 86400.0)
        offsets = sorted(duration * rng.random() ** 1.8 for _ in range(replies))
        times = [created]
        for offset in offsets:
            times.append(max(created + int(offset), times[-1] + rng.randint(60, 900)))
        room = SPAN_DAYS * 86400 - 3600 - created
        if times[-1] - created > room:
            factor = room / (times[-1] - created)
            scaled = [created]
            for moment in times[1:]:
                scaled.append(max(created + int((moment - created) * factor), scaled[-1] + 1))
            times = scaled
        thread_posts = [PostPlan(index, 0, -1, author, times[0])]
        for local in range(1, replies + 1):
            parent_local = _choose_parent(rng, local)
            parent_author = thread_posts[parent_local].author
            reply_author = rng.choices(range(len(users)), cum_weights=activity)[0]
            if reply_author == parent_author:
                reply_author = rng.choices(range(len(users)), cum_weights=activity)[0]
            thread_posts.append(PostPlan(index, local, parent_local, reply_author, times[local]))
        for post in thread_posts[1:]:
            draw = rng.random()
            if draw < 0.008:
                post.state = PostState.hidden.value
                post.hidden_reason = rng.choice(HIDDEN_REASONS)
            elif draw < 0.013:
                post.state = PostState.deleted.value
        for post in thread_posts:
            if post.state == PostState.visible and rng.random() < 0.03:
                edited = min(post.created + rng.randint(300, 3 * 86400), SPAN_DAYS * 86400 - 1)
                editor = post.author
                reason = rng.choice(EDIT_REASONS)
                if rng.random() < 0.1:  # a moderator's edit
                    editor = rng.randrange(max(2, len(users) // 20))
                    reason = "Moderator: removed confidential details"
                post.edit = (edited, editor, reason, rng.choice(EDIT_NOTES))
        skeleton.extend(thread_posts)

        for i in chosen:
            links_j.append({"thread_id": thread_id, "jurisdiction_id": jurisdictions[i][0]})
        for slug in instruments:
            links_i.append({"thread_id": thread_id, "instrument_id": instrument_by_slug[slug][0]})
        for name in tags:
            if name in taxonomy.tags:
                tag_id = taxonomy.tags[name]
            elif name in used_tags:
                tag_id = used_tags[name]
            else:
                tag_id = used_tags[name] = next_tag
                next_tag += 1
            links_t.append({"thread_id": thread_id, "tag_id": tag_id})
        visible_replies = sum(1 for p in thread_posts[1:] if p.state == PostState.visible)
        thread_rows.append(
            {
                "id": thread_id,
                "title": title,
                "slug": slugify(title)[:120],
                "sector_id": sector_id,
                "author_id": users[author]["id"],
                "created_at": EPOCH_START + timedelta(seconds=created),
                "last_activity_at": EPOCH_START + timedelta(seconds=times[-1]),
                "last_post_id": None,  # known once posts are numbered, below
                "locked": rng.random() < 0.02,
                "pinned": False,
                "pinned_globally": False,
                "reply_count": visible_replies,
            }
        )
    # A few pinned threads, as moderators keep them: one or two in some sectors; in a corpus of
    # some size, the first of them is pinned on the whole site too (an administrator's pin).
    pinned = rng.sample(range(threads), max(1, threads // 4000 + (1 if threads >= 50 else 0)))
    for number, index in enumerate(pinned):
        thread_rows[index]["pinned"] = True
        thread_rows[index]["pinned_globally"] = number == 0 and threads >= 50

    # Number posts in time order across threads; parents always come first, so paths can follow.
    skeleton.sort(key=lambda p: (p.created, p.thread, p.local))
    first_of_thread = [0] * threads
    by_thread: list[list[int]] = [[] for _ in range(threads)]
    for ordinal, post in enumerate(skeleton):
        post.ordinal = ordinal
        post.id = start.post + ordinal
        by_thread[post.thread].append(ordinal)
    for ordinal, post in enumerate(skeleton):
        if post.local == 0:
            first_of_thread[post.thread] = ordinal
            post.parent = -1
            post.path = f"{post.id:010d}"
            post.depth = 0
        else:
            parent = skeleton[by_thread[post.thread][post.parent]]
            post.parent = parent.ordinal
            post.path = f"{parent.path}.{post.id:010d}"
            post.depth = parent.depth + 1
    for index, ordinals in enumerate(by_thread):
        thread_rows[index]["last_post_id"] = skeleton[ordinals[-1]].id
    tag_rows = [
        {"id": tag_id, "name": name} for name, tag_id in sorted(used_tags.items(), key=lambda kv: kv[1])
    ]
    return Corpus(
        seed=seed,
        users=users,
        tags=tag_rows,
        threads=thread_rows,
        thread_jurisdictions=links_j,
        thread_instruments=links_i,
        thread_tags=links_t,
        posts=skeleton,
        revision_start=start.revision,
        contexts=contexts,
    )


def _instrument_phrase(short_name: str) -> str:
    """ "UNTOC", but "the Basel Convention"."""
    return short_name if short_name.isupper() else f"the {short_name}"


# --- Writing -------------------------------------------------------------------------------------

# The tables whose ids the plan assigns, in the order in which they are filled.
NUMBERED = {"user": User, "tag": Tag, "thread": Thread, "post": Post, "revision": PostRevision}


def load_taxonomy(session: Session) -> Taxonomy:
    sectors = session.execute(
        select(Sector.id, Sector.slug).where(Sector.archived.is_(False)).order_by(Sector.position, Sector.id)
    ).all()
    jurisdictions = session.execute(
        select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.kind)
        .where(Jurisdiction.archived.is_(False))
        .order_by(Jurisdiction.id)
    ).all()
    instruments = session.execute(
        select(Instrument.id, Instrument.slug, Instrument.short_name)
        .where(Instrument.archived.is_(False))
        .order_by(Instrument.id)
    ).all()
    return Taxonomy(
        sectors=[tuple(row) for row in sectors],
        jurisdictions=[tuple(row) for row in jurisdictions],
        instruments=[tuple(row) for row in instruments],
        tags=dict(session.execute(select(Tag.name, Tag.id)).all()),
    )


def _first_free_id(session: Session, model, postgresql: bool) -> int:
    table = model.__table__
    highest = session.execute(select(func.max(table.c.id))).scalar() or 0
    if postgresql:
        # Ids handed out and rolled back still count: start after the sequence too.
        sequence = func.pg_get_serial_sequence(table.name, "id")
        last = session.execute(select(func.pg_sequence_last_value(sequence.cast(REGCLASS)))).scalar()
        highest = max(highest, last or 0)
    return highest + 1


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)


def seed_demo(database: Database, threads: int = 200, posts: int = 2000, seed: int = 1) -> dict:
    """Plan the corpus, then write it: members, tags and threads in one transaction, then the
    posts and their revisions in batches of POST_BATCH, one transaction each. Run it on a
    database nobody else is writing to: the ids are chosen before the batches are written."""
    postgresql = database.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        taxonomy = load_taxonomy(session)
        start = StartIds(
            **{key: _first_free_id(session, model, postgresql) for key, model in NUMBERED.items()}
        )
        taken = session.execute(select(User.email, User.handle)).all()
    corpus = plan_corpus(
        threads,
        posts,
        seed,
        taxonomy,
        start,
        # One hash for every demo member: argon2 is slow on purpose.
        password_hash=hash_password(DEMO_PASSWORD),
        taken_emails={email for email, _handle in taken},
        taken_handles={handle for _email, handle in taken},
    )
    planned = time.perf_counter()
    with database.unit_of_work() as session:
        _insert(session, User, corpus.users)
        _insert(session, Tag, corpus.tags)
        _insert(session, Thread, corpus.threads)
        _insert(session, ThreadJurisdiction, corpus.thread_jurisdictions)
        _insert(session, ThreadInstrument, corpus.thread_instruments)
        _insert(session, ThreadTag, corpus.thread_tags)
    revisions = 0
    rows = corpus.iter_posts()
    while batch := list(islice(rows, POST_BATCH)):
        with database.unit_of_work() as session:
            _insert(session, Post, [post for post, _revisions in batch])
            revision_rows = [revision for _post, post_revisions in batch for revision in post_revisions]
            _insert(session, PostRevision, revision_rows)
            revisions += len(revision_rows)
            # Searchable at once, in the same transaction as the posts.
            search_index.update_posts(session.connection(), [post["id"] for post, _revisions in batch])
            bump(session)  # counts kept by running servers are recomputed
    if postgresql:
        # The ids were chosen here, not drawn from the sequences: move them past what was written.
        with database.unit_of_work() as session:
            for model in NUMBERED.values():
                table = model.__table__
                session.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, "id"),
                            select(func.max(table.c.id)).scalar_subquery(),
                        )
                    )
                )
    moderator = next(user for user in corpus.users if user["role"] == "moderator")
    return {
        "users": len(corpus.users),
        "moderators": sum(1 for user in corpus.users if user["role"] == "moderator"),
        "tags": len(corpus.tags),
        "threads": len(corpus.threads),
        "posts": len(corpus.posts),
        "revisions": revisions,
        "thread_jurisdictions": len(corpus.thread_jurisdictions),
        "thread_instruments": len(corpus.thread_instruments),
        "thread_tags": len(corpus.thread_tags),
        "moderator_email": moderator["email"],
        "plan_seconds": round(planned - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
