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

# Sources of the Jobcenter forms (see tests/data/reference/nrw-reference-facts.md, which lists them). NRW has
# 53 Jobcenters since 1 January 2012: 18 zugelassene kommunale Träger (zkT), 35 gemeinsame Einrichtungen (gE).
SOURCE_LWL = (
    "LWL Statistik, „Optionskommunen in Nordrhein-Westfalen“ (18 Optionskommunen seit 01.01.2012, zwei Drittel "
    "in Westfalen-Lippe, das Münsterland vollständig)"
)
SOURCE_WZ = (
    "Westdeutsche Zeitung, „Zuschlag für Wuppertal und Solingen“ (die acht 2012 zugelassenen Kommunen; nicht "
    "zugelassen: Kreis Mettmann, Rhein-Kreis Neuss, Kreis Heinsberg, Leverkusen)"
)
SOURCE_TEXTBOOK = "Liste der 18 Optionskommunen in NRW in einem Lehrbuch zum Sozialrecht (zu § 6a SGB II)"
SOURCE_OBERBERG = (
    "Oberbergischer Kreis, Pressemitteilung vom 31.03.2011: das MAIS NRW (Staatssekretär Dr. Wilhelm Schäffer, "
    "Schreiben vom 30.03.2011) hat dem Kreis keinen der acht NRW-Plätze gegeben; Kreis und Arbeitsagentur führen "
    "das Jobcenter Oberberg gemeinsam weiter (mit einer Trägerversammlung)"
)

# zkT by the year of their admission (§ 6a SGB II); every other county forms a gE with the BA (§ 44b SGB II).
ZKT_SINCE_2005 = frozenset({
    "kreis-borken", "kreis-coesfeld", "kreis-dueren", "ennepe-ruhr-kreis", "stadt-hamm", "hochsauerlandkreis",
    "kreis-kleve", "kreis-minden-luebbecke", "stadt-muelheim-an-der-ruhr", "kreis-steinfurt",
})
ZKT_SINCE_2012 = frozenset({
    "stadt-essen", "kreis-guetersloh", "kreis-lippe", "stadt-muenster", "kreis-recklinghausen",
    "stadt-solingen", "kreis-warendorf", "stadt-wuppertal",
})
# gE whose form a source names explicitly (beyond "not among the 18").
GE_NAMED_BY = {
    "kreis-mettmann": (SOURCE_WZ,),
    "rhein-kreis-neuss": (SOURCE_WZ,),
    "kreis-heinsberg": (SOURCE_WZ,),
    "stadt-leverkusen": (SOURCE_WZ,),
    "oberbergischer-kreis": (SOURCE_OBERBERG,),
}


def form_source(county_key):
    """The note on a county's (and its Jobcenter's) form: what it is since when, and where that is written."""
    if county_key in ZKT_SINCE_2005:
        text, sources = "zugelassener kommunaler Träger (zkT) seit 01.01.2005", (SOURCE_LWL, SOURCE_TEXTBOOK)
    elif county_key in ZKT_SINCE_2012:
        text, sources = "zugelassener kommunaler Träger (zkT) seit 01.01.2012", (SOURCE_WZ, SOURCE_LWL, SOURCE_TEXTBOOK)
    else:
        text = "gemeinsame Einrichtung (gE) mit der Bundesagentur für Arbeit: nicht unter den 18 zkT in NRW"
        sources = (*GE_NAMED_BY.get(county_key, ()), SOURCE_LWL, SOURCE_TEXTBOOK)
    return f"Form des Jobcenters: {text}. Quellen: " + "; ".join(sources) + "."


SOURCE_STATE_PARTY = "Name und Anschrift: Angaben der Stelle; keine Quelle in den Referenzdaten hinterlegt."

STATE_PARTIES = (
    {
        "key": "mais-nrw",
        "name": "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen",
        "short_name": "MAIS NRW",
        "kind": MINISTRY,
        "source": SOURCE_STATE_PARTY,
        "street": "Fürstenwall 25",
        "postal_code": "40219",
        "city": "Düsseldorf",
    },
    {
        "key": "rd-nrw",
        "name": "Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit",
        "short_name": "RD NRW",
        "kind": REGIONALDIREKTION,
        "source": SOURCE_STATE_PARTY,
        "street": "Josef-Gockeln-Straße 7",
        "postal_code": "40474",
        "city": "Düsseldorf",
    },
    {
        "key": "landkreistag-nrw",
        "name": "Landkreistag Nordrhein-Westfalen",
        "short_name": "LKT NRW",
        "kind": VERBAND,
        "source": SOURCE_STATE_PARTY,
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
        "source": SOURCE_STATE_PARTY,
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
    ("stadt-remscheid", "Stadt Remscheid", "RS", KREISFREIE_STADT, DUESSELDORF, GE),
    ("stadt-solingen", "Stadt Solingen", "SG", KREISFREIE_STADT, DUESSELDORF, ZKT),
    ("stadt-wuppertal", "Stadt Wuppertal", "W", KREISFREIE_STADT, DUESSELDORF, ZKT),
    ("kreis-kleve", "Kreis Kleve", "KLE", KREIS, DUESSELDORF, ZKT),
    ("kreis-mettmann", "Kreis Mettmann", "ME", KREIS, DUESSELDORF, GE),
    ("rhein-kreis-neuss", "Rhein-Kreis Neuss", "NE", KREIS, DUESSELDORF, GE),
    ("kreis-viersen", "Kreis Viersen", "VIE", KREIS, DUESSELDORF, GE),
    ("kreis-wesel", "Kreis Wesel", "WES", KREIS, DUESSELDORF, GE),
    # Regierungsbezirk Köln
    ("stadt-bonn", "Stadt Bonn", "BN", KREISFREIE_STADT, KOELN, GE),
    ("stadt-koeln", "Stadt Köln", "K", KREISFREIE_STADT, KOELN, GE),
    ("stadt-leverkusen", "Stadt Leverkusen", "LEV", KREISFREIE_STADT, KOELN, GE),
    ("staedteregion-aachen", "StädteRegion Aachen", "AC", KREIS, KOELN, GE),
    ("kreis-dueren", "Kreis Düren", "DN", KREIS, KOELN, ZKT),
    ("rhein-erft-kreis", "Rhein-Erft-Kreis", "BM", KREIS, KOELN, GE),
    ("kreis-euskirchen", "Kreis Euskirchen", "EU", KREIS, KOELN, GE),
    ("kreis-heinsberg", "Kreis Heinsberg", "HS", KREIS, KOELN, GE),
    ("oberbergischer-kreis", "Oberbergischer Kreis", "GM", KREIS, KOELN, GE),
    ("rheinisch-bergischer-kreis", "Rheinisch-Bergischer Kreis", "GL", KREIS, KOELN, GE),
    ("rhein-sieg-kreis", "Rhein-Sieg-Kreis", "SU", KREIS, KOELN, GE),
    # Regierungsbezirk Münster
    ("stadt-bottrop", "Stadt Bottrop", "BOT", KREISFREIE_STADT, MUENSTER, GE),
    ("stadt-gelsenkirchen", "Stadt Gelsenkirchen", "GE", KREISFREIE_STADT, MUENSTER, GE),
    ("stadt-muenster", "Stadt Münster", "MS", KREISFREIE_STADT, MUENSTER, ZKT),
    ("kreis-borken", "Kreis Borken", "BOR", KREIS, MUENSTER, ZKT),
    ("kreis-coesfeld", "Kreis Coesfeld", "COE", KREIS, MUENSTER, ZKT),
    ("kreis-recklinghausen", "Kreis Recklinghausen", "RE", KREIS, MUENSTER, ZKT),
    ("kreis-steinfurt", "Kreis Steinfurt", "ST", KREIS, MUENSTER, ZKT),
    ("kreis-warendorf", "Kreis Warendorf", "WAF", KREIS, MUENSTER, ZKT),
    # Regierungsbezirk Detmold
    ("stadt-bielefeld", "Stadt Bielefeld", "BI", KREISFREIE_STADT, DETMOLD, GE),
    ("kreis-guetersloh", "Kreis Gütersloh", "GT", KREIS, DETMOLD, ZKT),
    ("kreis-herford", "Kreis Herford", "HF", KREIS, DETMOLD, GE),
    ("kreis-hoexter", "Kreis Höxter", "HX", KREIS, DETMOLD, GE),
    ("kreis-lippe", "Kreis Lippe", "LIP", KREIS, DETMOLD, ZKT),
    ("kreis-minden-luebbecke", "Kreis Minden-Lübbecke", "MI", KREIS, DETMOLD, ZKT),
    ("kreis-paderborn", "Kreis Paderborn", "PB", KREIS, DETMOLD, GE),
    # Regierungsbezirk Arnsberg
    ("stadt-bochum", "Stadt Bochum", "BO", KREISFREIE_STADT, ARNSBERG, GE),
    ("stadt-dortmund", "Stadt Dortmund", "DO", KREISFREIE_STADT, ARNSBERG, GE),
    ("stadt-hagen", "Stadt Hagen", "HA", KREISFREIE_STADT, ARNSBERG, GE),
    ("stadt-hamm", "Stadt Hamm", "HAM", KREISFREIE_STADT, ARNSBERG, ZKT),
    ("stadt-herne", "Stadt Herne", "HER", KREISFREIE_STADT, ARNSBERG, GE),
    ("ennepe-ruhr-kreis", "Ennepe-Ruhr-Kreis", "EN", KREIS, ARNSBERG, ZKT),
    ("hochsauerlandkreis", "Hochsauerlandkreis", "HSK", KREIS, ARNSBERG, ZKT),
    ("maerkischer-kreis", "Märkischer Kreis", "MK", KREIS, ARNSBERG, GE),
    ("kreis-olpe", "Kreis Olpe", "OE", KREIS, ARNSBERG, GE),
    ("kreis-siegen-wittgenstein", "Kreis Siegen-Wittgenstein", "SI", KREIS, ARNSBERG, GE),
    ("kreis-soest", "Kreis Soest", "SO", KREIS, ARNSBERG, GE),
    ("kreis-unna", "Kreis Unna", "UN", KREIS, ARNSBERG, GE),
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
        source = form_source(key)
        county = {
            "key": key, "name": name, "short_name": short_name, "kind": kind, "region": region,
            "jobcenter_form": form, "source": source,
        }
        jc_name, jc_short = JOBCENTER_NAMES.get(key, (f"Jobcenter {_place(name)}", f"JC {short_name}"))
        jobcenter = {
            "key": jobcenter_key(key),
            "name": jc_name,
            "short_name": jc_short,
            "kind": JOBCENTER,
            "parent": key,
            "region": region,
            "jobcenter_form": form,
            "source": source,
        }
        yield county
        yield jobcenter


# Parents come before their children, so the loader can resolve "parent" in one pass.
PARTIES = STATE_PARTIES + tuple(_county_parties())

SOURCE_VORLAGE = (
    "Wortlaut aus der Vorlage 50/015/2012 des Kreises Mettmann (Sozialausschuss, 21.05.2012), Abschnitt zu den "
    "rechtlichen Grundlagen"
)


def law_source(paragraph, law="sgb_2"):
    """Link to the consolidated text on gesetze-im-internet.de (Bundesministerium der Justiz)."""
    return f"Gesetzestext: https://www.gesetze-im-internet.de/{law}/__{paragraph}.html"


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
        "source": SOURCE_VORLAGE + "; " + law_source("48b"),
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
        "source": SOURCE_VORLAGE,
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
        "source": SOURCE_VORLAGE,
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
        "source": law_source("6"),
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
        "source": law_source("44b"),
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
        "source": law_source("48a"),
        "order": 60,
    },
)

# § 48a indicators as the Verordnung zur Festlegung der Kennzahlen nach § 48a SGB II defines them: three
# Kennzahlen with four Ergänzungsgrößen each, numbered in the order of the regulation (as the BA's statistics
# do). Every figure is a quotient, computed monthly per Jobcenter and published in percent, hence "%"; an
# amount in Euro or a number of people belongs on the goal, which has its own unit. Names as in the version
# of 2011 that the 2012 agreements cite ("Leistungsberechtigte", "Langzeitleistungsbezieher").
PERCENT = "%"
CHANGE = "veraenderung"  # Indicator.Computation: numerator in the month / the same in the month a year before
QUOTA = "quote"  # a quota: numerator / denominator (summed or averaged over the window, if there is one)
MEAN = "durchschnitt"  # the mean of the monthly quotients over the window
TWELVE = 12

FKV = (
    "Verordnung zur Festlegung der Kennzahlen nach § 48a SGB II (SGB2§48aFKV) vom 12.08.2010, BGBl. I 2010 "
    "S. 1152, in Kraft seit 23.08.2010"
)


def fkv_source(paragraph, where, note=""):
    return (
        f"{FKV}, § {paragraph} {where}{note}. Text: https://www.gesetze-im-internet.de/sgb2_48afkv/__{paragraph}.html"
    )


ELB = "erwerbsfähigen Leistungsberechtigten"
LZB = "Langzeitleistungsbezieher"
LZB_DEFINITION = " (Langzeitleistungsbezieher: in den vergangenen 24 Monaten mindestens 21 Monate hilfebedürftig)"
MEAN_STOCK_ELB = f"Durchschnittlicher Bestand der {ELB} in den vergangenen zwölf Monaten"
INTEGRATION = (
    "Integration: Aufnahme einer sozialversicherungspflichtigen Beschäftigung, einer voll qualifizierenden "
    "beruflichen Ausbildung oder einer selbständigen Tätigkeit (auch gefördert mit Beschäftigung begleitenden "
    "Leistungen; öffentlich geförderte Beschäftigung zählt nicht)"
)

INDICATORS = (
    {
        "code": "K1",
        "name": "Veränderung der Summe der Leistungen zum Lebensunterhalt (ohne Leistungen für Unterkunft und Heizung)",
        "description": (
            "Kennzahl zum Ziel „Verringerung der Hilfebedürftigkeit“. Leistungen zum Lebensunterhalt: die für die "
            "Bedarfe nach den §§ 20, 21, 23 und 24 Abs. 1 SGB II erbrachten Leistungen."
        ),
        "numerator": "Summe der Leistungen zum Lebensunterhalt im Bezugsmonat",
        "denominator": "Summe der Leistungen zum Lebensunterhalt im Bezugsmonat des Vorjahres",
        "computation": CHANGE,
        "window_months": None,
        "unit": PERCENT,
        "order": 100,
        "source": fkv_source(4, "Abs. 1"),
    },
    {
        "code": "K1E1",
        "name": "Veränderung der Summe der Leistungen für Unterkunft und Heizung",
        "description": "Kosten der Unterkunft und Heizung (KdU)",
        "parent": "K1",
        "numerator": "Summe der Leistungen für Unterkunft und Heizung im Bezugsmonat",
        "denominator": "Summe der Leistungen für Unterkunft und Heizung im Bezugsmonat des Vorjahres",
        "computation": CHANGE,
        "window_months": None,
        "unit": PERCENT,
        "order": 110,
        "source": fkv_source(4, "Abs. 2 Nr. 1"),
    },
    {
        "code": "K1E2",
        "name": f"Veränderung der Zahl der {ELB}",
        "description": "",
        "parent": "K1",
        "numerator": f"Zahl der {ELB} im Bezugsmonat",
        "denominator": f"Zahl der {ELB} im Bezugsmonat des Vorjahres",
        "computation": CHANGE,
        "window_months": None,
        "unit": PERCENT,
        "order": 120,
        "source": fkv_source(4, "Abs. 2 Nr. 2"),
    },
    {
        "code": "K1E3",
        "name": f"Durchschnittliche Zugangsrate der {ELB}",
        "description": "",
        "parent": "K1",
        "numerator": f"Zahl der zugegangenen {ELB} im Bezugsmonat",
        "denominator": f"Zahl der {ELB} im Bezugsmonat",
        "computation": MEAN,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 130,
        "source": fkv_source(4, "Abs. 2 Nr. 3"),
    },
    {
        "code": "K1E4",
        "name": f"Durchschnittliche Abgangsrate der {ELB}",
        "description": "",
        "parent": "K1",
        "numerator": f"Zahl der abgegangenen {ELB} im Bezugsmonat",
        "denominator": f"Zahl der {ELB} im Vormonat",
        "computation": MEAN,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 140,
        "source": fkv_source(4, "Abs. 2 Nr. 4"),
    },
    {
        "code": "K2",
        "name": "Integrationsquote",
        "description": f"Kennzahl zum Ziel „Verbesserung der Integration in Erwerbstätigkeit“. {INTEGRATION}.",
        "numerator": "Summe der Integrationen in den vergangenen zwölf Monaten",
        "denominator": MEAN_STOCK_ELB,
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 200,
        "source": fkv_source(5, "Abs. 1"),
    },
    {
        "code": "K2E1",
        "name": "Quote der Eintritte in geringfügige Beschäftigung",
        "description": "",
        "parent": "K2",
        "numerator": "Summe der Eintritte in geringfügige Beschäftigung in den vergangenen zwölf Monaten",
        "denominator": MEAN_STOCK_ELB,
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 210,
        "source": fkv_source(5, "Abs. 2 Nr. 1"),
    },
    {
        "code": "K2E2",
        "name": "Quote der Eintritte in öffentlich geförderte Beschäftigung",
        "description": "",
        "parent": "K2",
        "numerator": "Summe der Eintritte in öffentlich geförderte Beschäftigung in den vergangenen zwölf Monaten",
        "denominator": MEAN_STOCK_ELB,
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 220,
        "source": fkv_source(5, "Abs. 2 Nr. 2"),
    },
    {
        "code": "K2E3",
        "name": "Nachhaltigkeit der Integrationen",
        "description": "",
        "parent": "K2",
        "numerator": (
            "Summe der Integrationen der vergangenen zwölf Monate, die zwölf Monate nach der Integration "
            "noch beschäftigt sind"
        ),
        "denominator": "Summe der Integrationen in den vergangenen zwölf Monaten",
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 230,
        "source": fkv_source(
            5, "Abs. 2 Nr. 3",
            " (seit der Änderung vom 15.03.2019, BGBl. I S. 339: „Kontinuierliche Beschäftigung nach Integration“)",
        ),
    },
    {
        "code": "K2E4",
        "name": "Integrationsquote der Alleinerziehenden",
        "description": "",
        "parent": "K2",
        "numerator": "Summe der Integrationen von Alleinerziehenden in den vergangenen zwölf Monaten",
        "denominator": f"Durchschnittlicher Bestand der alleinerziehenden {ELB} in den vergangenen zwölf Monaten",
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 240,
        "source": fkv_source(5, "Abs. 2 Nr. 4"),
    },
    {
        "code": "K3",
        "name": f"Veränderung des Bestands an {LZB}n",
        "description": f"Kennzahl zum Ziel „Vermeidung von langfristigem Leistungsbezug“{LZB_DEFINITION}.",
        "numerator": f"Zahl der {LZB} im Bezugsmonat",
        "denominator": f"Zahl der {LZB} im Bezugsmonat des Vorjahres",
        "computation": CHANGE,
        "window_months": None,
        "unit": PERCENT,
        "order": 300,
        "source": fkv_source(6, "Abs. 1"),
    },
    {
        "code": "K3E1",
        "name": f"Integrationsquote der {LZB}",
        "description": "",
        "parent": "K3",
        "numerator": f"Summe der Integrationen von {LZB}n in den vergangenen zwölf Monaten",
        "denominator": f"Durchschnittlicher Bestand der {LZB} in den vergangenen zwölf Monaten",
        "computation": QUOTA,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 310,
        "source": fkv_source(6, "Abs. 2 Nr. 1"),
    },
    {
        "code": "K3E2",
        "name": f"Aktivierungsquote der {LZB}",
        "description": "",
        "parent": "K3",
        "numerator": f"Zahl der {LZB} in einer Maßnahme der aktiven Arbeitsförderung im Bezugsmonat",
        "denominator": f"Zahl der {LZB} im Bezugsmonat",
        "computation": QUOTA,
        "window_months": None,
        "unit": PERCENT,
        "order": 320,
        "source": fkv_source(6, "Abs. 2 Nr. 2"),
    },
    {
        "code": "K3E3",
        "name": f"Durchschnittliche Zugangsrate der {LZB}",
        "description": "",
        "parent": "K3",
        "numerator": f"Zahl der zugegangenen {LZB} im Bezugsmonat",
        "denominator": f"Zahl der {LZB} im Bezugsmonat",
        "computation": MEAN,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 330,
        "source": fkv_source(6, "Abs. 2 Nr. 3"),
    },
    {
        "code": "K3E4",
        "name": f"Durchschnittliche Abgangsrate der {LZB}",
        "description": "",
        "parent": "K3",
        "numerator": f"Zahl der abgegangenen {LZB} im Bezugsmonat",
        "denominator": f"Zahl der {LZB} im Vormonat",
        "computation": MEAN,
        "window_months": TWELVE,
        "unit": PERCENT,
        "order": 340,
        "source": fkv_source(6, "Abs. 2 Nr. 4"),
    },
)

# What earlier releases of this file wrote and this one corrects: {(model, key): {field: {old values}}}. The
# loader replaces such a value on an installation loaded before it recorded what it wrote (reference_values
# empty); any other value there was entered by hand and is kept. Taken from the first release (commit 3bc633e).
EARLIER_VALUES = {
    **{
        ("party", key): {"jobcenter_form": {old}}
        for county, old in [("oberbergischer-kreis", ZKT), ("kreis-herford", ZKT), ("stadt-muenster", GE)]
        for key in (county, jobcenter_key(county))
    },
    ("indicator", "K1"): {
        "name": {"Verringerung der Hilfebedürftigkeit"},
        "description": {"Veränderung der Summe der Leistungen zum Lebensunterhalt"},
    },
    ("indicator", "K2"): {
        "name": {"Verbesserung der Integration in Erwerbstätigkeit"},
        "description": {"Integrationsquote"},
    },
    ("indicator", "K2E1"): {"name": {"Veränderung der Zahl der Integrationen"}},
    ("indicator", "K2E2"): {"name": {"Bedarfsdeckende Integrationen"}},
    ("indicator", "K3"): {
        "name": {"Vermeidung von langfristigem Leistungsbezug"},
        "description": {"Veränderung des Bestands an Langzeitleistungsbeziehern"},
    },
}


def record_for(model_name, key):
    """The reference record of one row ("party", "legalbasis" or "indicator" and its key), or None."""
    key_field, records = {
        "party": ("key", PARTIES), "legalbasis": ("citation", LEGAL_BASES), "indicator": ("code", INDICATORS),
    }[model_name]
    return next((r for r in records if r[key_field] == key), None)
