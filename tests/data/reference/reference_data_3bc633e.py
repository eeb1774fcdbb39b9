"""Reference data loaded by ``manage.py load_reference``: parties, legal bases, § 48a indicators.

Plain Python on purpose: the tables can be read and reviewed without Django, and the loader is the only
place that knows about models. Each record names only the fields the reference data vouches for; a field
left out is not managed by the loader, so an admin may fill it in and it survives the next load.

Keys (``Party.key``, ``LegalBasis.citation``, ``Indicator.code``) are written out literally instead of
being derived from the names: correcting a name must never create a second row.
"""

# Values of Party.Kind, Party.Region and Party.JobcenterForm; repeated here to keep Django out.
MINISTRY = "ministerium"
KREIS = "kreis"
KREISFREIE_STADT = "kreisfreie_stadt"
JOBCENTER = "jobcenter"
REGIONALDIREKTION = "regionaldirektion"
VERBAND = "verband"

ARNSBERG = "arnsberg"
DETMOLD = "detmold"
DUESSELDORF = "duesseldorf"
KOELN = "koeln"
MUENSTER = "muenster"

GE = "gE"
ZKT = "zkT"
# The form of the remaining Jobcenters is not recorded here because it could not be confirmed from a
# source at hand (design.md counts 18 zkT in NRW since 2012, only 16 are listed below). An admin must
# confirm and enter them; the loader leaves a blank form alone, so that entry is not overwritten.
UNKNOWN = ""

STATE_PARTIES = (
    {
        "key": "mais-nrw",
        "name": "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen",
        "short_name": "MAIS NRW",
        "kind": MINISTRY,
        "street": "Fürstenwall 25",
        "postal_code": "40219",
        "city": "Düsseldorf",
    },
    {
        "key": "rd-nrw",
        "name": "Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit",
        "short_name": "RD NRW",
        "kind": REGIONALDIREKTION,
        "street": "Josef-Gockeln-Straße 7",
        "postal_code": "40474",
        "city": "Düsseldorf",
    },
    {
        "key": "landkreistag-nrw",
        "name": "Landkreistag Nordrhein-Westfalen",
        "short_name": "LKT NRW",
        "kind": VERBAND,
        "street": "Kavalleriestraße 8",
        "postal_code": "40213",
        "city": "Düsseldorf",
    },
    {
        "key": "liga-nrw",
        "name": (
            "Landesarbeitsgemeinschaft der Spitzenverbände der Freien Wohlfahrtspflege NRW "
            "(Liga der Wohlfahrtsverbände)"
        ),
        "short_name": "Liga der Wohlfahrtsverbände",
        "kind": VERBAND,
    },
)

# (key, official name, vehicle registration code as short name, kind, Regierungsbezirk, Jobcenter form)
COUNTIES = (
    # Regierungsbezirk Düsseldorf
    ("stadt-duesseldorf", "Stadt Düsseldorf", "D", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-duisburg", "Stadt Duisburg", "DU", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-essen", "Stadt Essen", "E", KREISFREIE_STADT, DUESSELDORF, ZKT),
    ("stadt-krefeld", "Stadt Krefeld", "KR", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-moenchengladbach", "Stadt Mönchengladbach", "MG", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-muelheim-an-der-ruhr", "Stadt Mülheim an der Ruhr", "MH", KREISFREIE_STADT, DUESSELDORF, ZKT),
    ("stadt-oberhausen", "Stadt Oberhausen", "OB", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-remscheid", "Stadt Remscheid", "RS", KREISFREIE_STADT, DUESSELDORF, UNKNOWN),
    ("stadt-solingen", "Stadt Solingen", "SG", KREISFREIE_STADT, DUESSELDORF, UNKNOWN),
    ("stadt-wuppertal", "Stadt Wuppertal", "W", KREISFREIE_STADT, DUESSELDORF, UNKNOWN),
    ("kreis-kleve", "Kreis Kleve", "KLE", KREIS, DUESSELDORF, ZKT),
    ("kreis-mettmann", "Kreis Mettmann", "ME", KREIS, DUESSELDORF, GE),
    ("rhein-kreis-neuss", "Rhein-Kreis Neuss", "NE", KREIS, DUESSELDORF, GE),
    ("kreis-viersen", "Kreis Viersen", "VIE", KREIS, DUESSELDORF, UNKNOWN),
    ("kreis-wesel", "Kreis Wesel", "WES", KREIS, DUESSELDORF, UNKNOWN),
    # Regierungsbezirk Köln
    ("stadt-bonn", "Stadt Bonn", "BN", KREISFREIE_STADT, KOELN, GE),
    ("stadt-koeln", "Stadt Köln", "K", KREISFREIE_STADT, KOELN, GE),
    ("stadt-leverkusen", "Stadt Leverkusen", "LEV", KREISFREIE_STADT, KOELN, GE),
    ("staedteregion-aachen", "StädteRegion Aachen", "AC", KREIS, KOELN, GE),
    ("kreis-dueren", "Kreis Düren", "DN", KREIS, KOELN, ZKT),
    ("rhein-erft-kreis", "Rhein-Erft-Kreis", "BM", KREIS, KOELN, UNKNOWN),
    ("kreis-euskirchen", "Kreis Euskirchen", "EU", KREIS, KOELN, UNKNOWN),
    ("kreis-heinsberg", "Kreis Heinsberg", "HS", KREIS, KOELN, UNKNOWN),
    ("oberbergischer-kreis", "Oberbergischer Kreis", "GM", KREIS, KOELN, ZKT),
    ("rheinisch-bergischer-kreis", "Rheinisch-Bergischer Kreis", "GL", KREIS, KOELN, UNKNOWN),
    ("rhein-sieg-kreis", "Rhein-Sieg-Kreis", "SU", KREIS, KOELN, UNKNOWN),
    # Regierungsbezirk Münster
    ("stadt-bottrop", "Stadt Bottrop", "BOT", KREISFREIE_STADT, MUENSTER, UNKNOWN),
    ("stadt-gelsenkirchen", "Stadt Gelsenkirchen", "GE", KREISFREIE_STADT, MUENSTER, GE),
    ("stadt-muenster", "Stadt Münster", "MS", KREISFREIE_STADT, MUENSTER, GE),
    ("kreis-borken", "Kreis Borken", "BOR", KREIS, MUENSTER, ZKT),
    ("kreis-coesfeld", "Kreis Coesfeld", "COE", KREIS, MUENSTER, ZKT),
    ("kreis-recklinghausen", "Kreis Recklinghausen", "RE", KREIS, MUENSTER, UNKNOWN),
    ("kreis-steinfurt", "Kreis Steinfurt", "ST", KREIS, MUENSTER, ZKT),
    ("kreis-warendorf", "Kreis Warendorf", "WAF", KREIS, MUENSTER, ZKT),
    # Regierungsbezirk Detmold
    ("stadt-bielefeld", "Stadt Bielefeld", "BI", KREISFREIE_STADT, DETMOLD, GE),
    ("kreis-guetersloh", "Kreis Gütersloh", "GT", KREIS, DETMOLD, ZKT),
    ("kreis-herford", "Kreis Herford", "HF", KREIS, DETMOLD, ZKT),
    ("kreis-hoexter", "Kreis Höxter", "HX", KREIS, DETMOLD, UNKNOWN),
    ("kreis-lippe", "Kreis Lippe", "LIP", KREIS, DETMOLD, ZKT),
    ("kreis-minden-luebbecke", "Kreis Minden-Lübbecke", "MI", KREIS, DETMOLD, ZKT),
    ("kreis-paderborn", "Kreis Paderborn", "PB", KREIS, DETMOLD, UNKNOWN),
    # Regierungsbezirk Arnsberg
    ("stadt-bochum", "Stadt Bochum", "BO", KREISFREIE_STADT, ARNSBERG, GE),
    ("stadt-dortmund", "Stadt Dortmund", "DO", KREISFREIE_STADT, ARNSBERG, GE),
    ("stadt-hagen", "Stadt Hagen", "HA", KREISFREIE_STADT, ARNSBERG, UNKNOWN),
    ("stadt-hamm", "Stadt Hamm", "HAM", KREISFREIE_STADT, ARNSBERG, ZKT),
    ("stadt-herne", "Stadt Herne", "HER", KREISFREIE_STADT, ARNSBERG, UNKNOWN),
    ("ennepe-ruhr-kreis", "Ennepe-Ruhr-Kreis", "EN", KREIS, ARNSBERG, ZKT),
    ("hochsauerlandkreis", "Hochsauerlandkreis", "HSK", KREIS, ARNSBERG, ZKT),
    ("maerkischer-kreis", "Märkischer Kreis", "MK", KREIS, ARNSBERG, UNKNOWN),
    ("kreis-olpe", "Kreis Olpe", "OE", KREIS, ARNSBERG, UNKNOWN),
    ("kreis-siegen-wittgenstein", "Kreis Siegen-Wittgenstein", "SI", KREIS, ARNSBERG, UNKNOWN),
    ("kreis-soest", "Kreis Soest", "SO", KREIS, ARNSBERG, UNKNOWN),
    ("kreis-unna", "Kreis Unna", "UN", KREIS, ARNSBERG, UNKNOWN),
)

# Jobcenters whose own name is not "Jobcenter <place>": (name, short name).
JOBCENTER_NAMES = {
    "kreis-mettmann": ("Jobcenter ME-aktiv", "JC ME-aktiv"),
    "rhein-kreis-neuss": ("Jobcenter Rhein-Kreis Neuss", "JC NE"),
}


def jobcenter_key(county_key):
    return f"jobcenter-{county_key}"


def _place(county_name):
    # "Jobcenter Köln", not "Jobcenter Stadt Köln"; Kreise keep their full name ("Jobcenter Kreis Olpe").
    return county_name.removeprefix("Stadt ")


def _county_parties():
    for key, name, short_name, kind, region, form in COUNTIES:
        county = {"key": key, "name": name, "short_name": short_name, "kind": kind, "region": region}
        jc_name, jc_short = JOBCENTER_NAMES.get(key, (f"Jobcenter {_place(name)}", f"JC {short_name}"))
        jobcenter = {
            "key": jobcenter_key(key),
            "name": jc_name,
            "short_name": jc_short,
            "kind": JOBCENTER,
            "parent": key,
            "region": region,
        }
        if form:
            county["jobcenter_form"] = form
            jobcenter["jobcenter_form"] = form
        yield county
        yield jobcenter


# Parents come before their children, so the loader can resolve "parent" in one pass.
PARTIES = STATE_PARTIES + tuple(_county_parties())

LEGAL_BASES = (
    {
        "citation": "§ 48b SGB II",
        "title": "Zielvereinbarungen",
        "text": (
            "§ 48b SGB II enthält die rechtlichen Grundlagen für den Abschluss von Zielvereinbarungen als "
            "umfassendes Steuerungselement. Vereinbarungspartner sind hier das Bundesministerium für Arbeit "
            "und Soziales (BMAS), die Bundesagentur für Arbeit (BA), die zuständigen Landesbehörden, die "
            "kommunalen Träger, die Jobcenter und die zugelassenen kommunalen Träger."
        ),
        "order": 10,
    },
    {
        "citation": "§ 2a AG-SGB II NRW",
        "title": "Zielvereinbarungen zwischen Land und kommunalen Trägern in gemeinsamen Einrichtungen",
        "text": (
            "Das AG-SGB II NRW bestimmt in § 2a, dass „zwischen dem zuständigen Ministerium und den "
            "kommunalen Trägern, die eine gemeinsame Einrichtung nach § 44b SGB II gebildet haben, "
            "Zielvereinbarungen zur Umsetzung der Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II abgeschlossen "
            "werden sollen“."
        ),
        "order": 20,
    },
    {
        "citation": "§ 1 AG-SGB II NRW",
        "title": "Pflichtaufgabe zur Erfüllung nach Weisung",
        "text": (
            "Die kommunalen Aufgaben gem. § 6 Abs. 1 Nr. 2 SGB II werden durch die Kreise und kreisfreien "
            "Städte als kommunale Träger als Pflichtaufgabe zur Erfüllung nach Weisung wahrgenommen "
            "(§ 1 AG-SGB II NRW)."
        ),
        "order": 30,
    },
    {
        "citation": "§ 6 Abs. 1 Nr. 2 SGB II",
        "title": "Kommunale Aufgaben der kommunalen Träger",
        "text": (
            "Nach § 6 Abs. 1 Nr. 2 SGB II sind die Kreise und kreisfreien Städte als kommunale Träger "
            "zuständig für die kommunalen Leistungen der Grundsicherung für Arbeitsuchende, insbesondere "
            "für die Leistungen für Unterkunft und Heizung und die kommunalen Eingliederungsleistungen "
            "nach § 16a SGB II."
        ),
        "order": 40,
    },
    {
        "citation": "§ 44b SGB II",
        "title": "Gemeinsame Einrichtung",
        "text": (
            "Nach § 44b SGB II bilden die Bundesagentur für Arbeit und der kommunale Träger zur "
            "einheitlichen Durchführung der Grundsicherung für Arbeitsuchende eine gemeinsame Einrichtung "
            "(Jobcenter), soweit der kommunale Träger nicht nach § 6a SGB II zugelassen ist."
        ),
        "order": 50,
    },
    {
        "citation": "§ 48a SGB II",
        "title": "Vergleich der Leistungsfähigkeit (Kennzahlen)",
        "text": (
            "Nach § 48a SGB II wird die Leistungsfähigkeit der örtlichen Aufgabenwahrnehmung der Jobcenter "
            "anhand von Kennzahlen verglichen: Verringerung der Hilfebedürftigkeit (K1), Verbesserung der "
            "Integration in Erwerbstätigkeit (K2) und Vermeidung von langfristigem Leistungsbezug (K3)."
        ),
        "order": 60,
    },
)

# § 48a indicators are published as rates (change on the previous year, or a share), hence "%" throughout;
# an amount in Euro or a number of people belongs on the goal, which has its own unit.
# Sub-indicators get a description only to name a domain term (KdU): a paraphrase of the official
# definition would be ours, not the law's, and an admin may enter the published one.
PERCENT = "%"

INDICATORS = (
    {
        "code": "K1",
        "name": "Verringerung der Hilfebedürftigkeit",
        "description": "Veränderung der Summe der Leistungen zum Lebensunterhalt",
        "unit": PERCENT,
        "order": 100,
    },
    {
        "code": "K1E1",
        "name": "Veränderung der Summe der Leistungen für Unterkunft und Heizung",
        "description": "Kosten der Unterkunft und Heizung (KdU)",
        "parent": "K1",
        "unit": PERCENT,
        "order": 110,
    },
    {
        "code": "K1E2",
        "name": "Veränderung der Zahl der erwerbsfähigen Leistungsberechtigten",
        "parent": "K1",
        "unit": PERCENT,
        "order": 120,
    },
    {
        "code": "K2",
        "name": "Verbesserung der Integration in Erwerbstätigkeit",
        "description": "Integrationsquote",
        "unit": PERCENT,
        "order": 200,
    },
    {
        "code": "K2E1",
        "name": "Veränderung der Zahl der Integrationen",
        "parent": "K2",
        "unit": PERCENT,
        "order": 210,
    },
    {
        "code": "K2E2",
        "name": "Bedarfsdeckende Integrationen",
        "parent": "K2",
        "unit": PERCENT,
        "order": 220,
    },
    {
        "code": "K2E3",
        "name": "Nachhaltigkeit der Integrationen",
        "parent": "K2",
        "unit": PERCENT,
        "order": 230,
    },
    {
        "code": "K2E4",
        "name": "Integrationsquote der Alleinerziehenden",
        "parent": "K2",
        "unit": PERCENT,
        "order": 240,
    },
    {
        "code": "K3",
        "name": "Vermeidung von langfristigem Leistungsbezug",
        "description": "Veränderung des Bestands an Langzeitleistungsbeziehern",
        "unit": PERCENT,
        "order": 300,
    },
    {
        "code": "K3E1",
        "name": "Integrationsquote der Langzeitleistungsbezieher",
        "parent": "K3",
        "unit": PERCENT,
        "order": 310,
    },
    {
        "code": "K3E2",
        "name": "Aktivierungsquote der Langzeitleistungsbezieher",
        "parent": "K3",
        "unit": PERCENT,
        "order": 320,
    },
)
