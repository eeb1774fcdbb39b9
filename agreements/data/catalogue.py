"""What the demo case and the synthetic data both write: one copy, so that both describe the same NRW.

Plain values only: the synthetic generator must not import the demo, which pulls in the PDF renderer.
"""

from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

# The ministry's Themenschwerpunkte: the reference says there were seven, not what they were called.
TOPICS = (
    (1, "Alleinerziehende"),
    (2, "Langzeitleistungsbeziehende"),
    (3, "Öffentlich geförderte Beschäftigung"),
    (4, "Kommunale Eingliederungsleistungen § 16a SGB II"),
    (5, "Kosten der Unterkunft"),
    (6, "Junge Menschen / Übergang Schule–Beruf"),
    (7, "Menschen mit Migrationshintergrund"),
)

# The legal bases of an agreement between the ministry and a kommunaler Träger (citations as load_reference
# stores them); an agreement of a Kreis with its Jobcenter has no § 2a AG-SGB II NRW.
MINISTRY_LEGAL_BASES = ("§ 48b SGB II", "§ 2a AG-SGB II NRW", "§ 6 Abs. 1 Nr. 2 SGB II")
JOBCENTER_LEGAL_BASES = ("§ 48b SGB II", "§ 6 Abs. 1 Nr. 2 SGB II")

# The Beschlussvorschlag of a Vorlage that the committee only takes note of (Vorlage 50/015/2012's, verbatim).
NOTED_RESOLUTION = "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."
