"""Every text of the later mails to a data subject, one block per language (English, German, Estonian): the
confirmation of a request the operator recorded, the export link, the extension, the erasure receipt and its final
update, the restriction and objection mails and the answer to a correction.  Full texts in each language, never an
intro followed by English; the replies to privacy@ mail and the verification mail are in `texts`, whose regime
periods, dates and signature lines these mails share.  Nothing here names a store (the `Sender` signs) or does I/O.

Placeholders: {ref} the request's reference, {what} a request type, {how} the channel it came by, {received} the day
it was received, {deadline} a date with its legal period, {date} a date, {period} a legal period, {url} a link,
{until} an expiry, {reason} the operator's reason, {since} when a restriction began, {told} the companies told,
{categories} cookie categories, {count}/{kind} a number of records of a kind, {why} the legal reason to keep them,
{name}/{role}/{state} a company, its role and where its erasure stands, {labels} field names, {order} an order,
{group}/{label} an address and its field.  The English texts are those the mails always had (tests assert them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import Regime
from chalicelib.mail.texts import date_in


@dataclass(frozen=True)
class NoticeTexts:
    iso_moments: bool  # a moment (a link's expiry, a restriction's start) as ISO 8601 (English, as it always was)
    moment: str  # otherwise: "{date}" and "{time}" (HH:MM, UTC)
    extended_periods: dict[Regime, str]  # a regime's period once extended, with its reference
    deadline: str  # "{date} ({period})"
    child_deadline: str
    # the confirmation of a request recorded by the operator (letter, phone, in person, agent)
    types: dict[str, str]
    any_type: str
    channels: dict[str, str]
    any_channel: str
    confirmation_subject: str
    confirmation: str
    # the export link
    export_subject: str
    export_ready: str
    # the extension
    extension_subject: str
    extension: str
    # the erasure receipt and its final update
    receipt_subject: str
    receipt_intro: str
    deleted_heading: str
    deleted_line: str
    exports_line: str
    kept_heading: str
    kept_nothing: str
    kept_line: str
    key_destroyed: str
    processors_heading: str
    processors_none: str
    processor_line: str
    write_again: str
    record_kinds: dict[str, str]  # what erasure counts (English: the kind as stored)
    roles: dict[str, str]  # a recipient's role (English: the role with spaces)
    states: dict[str, str]  # where a company's erasure stands
    update_subject: str
    update_intro: str
    update_outro: str
    # restriction and objection
    restricted_subject: str
    restricted: str
    restricted_nobody: str
    lifting_subject: str
    lifting: str
    objection_subject: str
    objection: str
    objection_none_granted: str
    objection_nobody: str
    categories: dict[str, str]  # cookie categories (English: their names)
    # the answer to a correction
    corrected_subject: str
    correction_tasks_subject: str
    correction_intro: str
    corrected_heading: str
    left_heading: str
    nothing_further: str
    labels: dict[str, str]  # the fields a correction may change
    address_label: str  # "{group} address: {label}"
    address_groups: dict[str, str]
    task_email: str
    task_store: dict[str, str]  # a change the store did not take, by the relay's outcome
    task_order: str


EN = NoticeTexts(
    iso_moments=True,
    moment="{date} {time} UTC",
    extended_periods={
        Regime.GDPR: "one month extended by two further months, GDPR Art. 12(3)",
        Regime.UK_GDPR: "one month extended by two further months, UK GDPR Art. 12(3)",
        Regime.CCPA: "45 days extended by 45 further days, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
        Regime.STRICTEST: ("the earlier of one month extended by two further months (GDPR Art. 12(3)) and 45 days "
                           "extended by 45 further days (CCPA, Cal. Civ. Code § 1798.130(a)(2))")},
    deadline="{date} ({period})",
    child_deadline="{date} (a request about a child's data is acted on at once)",
    types={"access": "a copy of your data", "deletion": "the deletion of your data",
           "correction": "the correction of your data", "opt_out": "an opt-out of marketing",
           "restriction": "the restriction of the processing of your data",
           "objection": "your objection to the processing of your data"},
    any_type="your data",
    channels={"letter": "by letter", "phone": "by telephone", "in_person": "in person",
              "agent": "through your authorised agent"},
    any_channel="from you",
    confirmation_subject="We received your privacy request",
    confirmation=("We received your request for {what} {how} on {received}.\nReference: {ref}\n"
                  "We will answer by {deadline} at the latest.\n\n"
                  "If you did not make this request, reply to this message.\n"),
    export_subject="Your data export is ready",
    export_ready=("Your data export for request {ref} is ready.\n\n"
                  "Download it here (the link works until {until}; each visit gives a fresh download valid for 15 "
                  "minutes):\n{url}\n\n"
                  "The export contains a machine-readable JSON file and a readable HTML page of everything we hold "
                  "about you, with the purposes, recipients and retention periods.\n"),
    extension_subject="We need more time for your privacy request",
    extension=("We need more time to complete your request {ref}.\n\nReason: {reason}\nNew deadline: {deadline}\n\n"
               "The law allows one extension of this kind; we will answer by the new deadline at the latest.\n"),
    receipt_subject="Your data has been erased",
    receipt_intro="Your data has been erased (request {ref}).",
    deleted_heading="Deleted:",
    deleted_line="  - {count} {kind} record(s)",
    exports_line="  - {count} export file(s)",
    kept_heading="Kept because the law requires it (anonymised, without your name or contact details):",
    kept_nothing="  - nothing",
    kept_line="  - {count} {kind} record(s) until {until}: {why}",
    key_destroyed=("Your encryption key was destroyed, so no copy of your personal data (backups included) can be "
                   "read again."),
    processors_heading="Other companies that received your data, and where their erasure stands:",
    processors_none="  - none",
    processor_line="  - {name} ({role}): {state}",
    write_again="We will write to you again once every one of them has confirmed.",
    record_kinds={},
    roles={},
    states={"pending": "to be told", "sent": "told, waiting for their confirmation", "acknowledged": "confirmed",
            "failed": "could not be confirmed: our privacy team follows it up"},
    update_subject="Your data erasure: final update",
    update_intro="The erasure of your data (request {ref}) has reached every company that received it:",
    update_outro="The address this mail was sent to is now deleted from our systems as well.",
    restricted_subject="Your data is restricted",
    restricted=("Your data is restricted since {since} (request {ref}): we keep it but no longer use it. No "
                "marketing, analytics or advertising uses it, and new records about you (such as orders) are kept "
                "and marked as restricted.\n\nWe told the companies that process your data for us: {told}.\n\n"
                "We will tell you before the restriction is lifted.\n"),
    restricted_nobody="no other company held your data",
    lifting_subject="The restriction of your data is lifted",
    lifting=("The restriction of your data (request {ref}) is being lifted.\n\nReason: {reason}\n\n"
             "From now on we may use your data again for the purposes in our privacy policy. Cookie and marketing "
             "choices you withdrew stay withdrawn until you choose again. You may object to the processing or ask "
             "for its erasure at any time by replying to this e-mail.\n"),
    objection_subject="Your objection is in effect",
    objection=("Your objection (request {ref}) is in effect: we no longer use your data for analytics, profiling, "
               "advertising or marketing e-mails.\n\nCookie categories withdrawn: {categories}.\n"
               "We told the companies that process your data for these purposes: {told}.\n"),
    objection_none_granted="none were granted",
    objection_nobody="no other company held your data for these purposes",
    categories={},
    corrected_subject="Your data has been corrected",
    correction_tasks_subject="Your correction request: what is done, what follows",
    correction_intro="We have handled your correction request {ref}.",
    corrected_heading="Corrected:",
    left_heading="Left to a member of our privacy team, who will complete them and tell you:",
    nothing_further="Nothing further is needed from you.",
    labels={"first_name": "first name", "last_name": "last name", "email": "e-mail address", "company": "company",
            "address_1": "address line 1", "address_2": "address line 2", "city": "city", "postcode": "postcode",
            "state": "state or county", "country": "country", "phone": "phone"},
    address_label="{group} address: {label}",
    address_groups={"billing": "billing", "shipping": "shipping"},
    task_email="e-mail address: changing it changes how we identify you, so a person makes that change",
    task_store={
        "no_customer": "at the store ({labels}): we hold no store account number for you, so a person makes it",
        "not_configured": "at the store ({labels}): a person makes it in the store",
        "rejected": "at the store ({labels}): the store refused the automatic change, a person makes it",
        "unreachable": "at the store ({labels}): the store could not be reached, a person makes it"},
    task_order=("order {order} ({labels}): this order is anonymised or not held with your personal data, so it "
                "cannot be corrected"),
)

DE = NoticeTexts(
    iso_moments=False,
    moment="{date}, {time} Uhr UTC",
    extended_periods={
        Regime.GDPR: "ein Monat, verlängert um zwei weitere Monate, DSGVO Art. 12 Abs. 3",
        Regime.UK_GDPR: "ein Monat, verlängert um zwei weitere Monate, UK GDPR Art. 12(3)",
        Regime.CCPA: "45 Tage, verlängert um 45 weitere Tage, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
        Regime.STRICTEST: ("der frühere Termin von einem Monat, verlängert um zwei weitere Monate (DSGVO Art. 12 "
                           "Abs. 3), und 45 Tagen, verlängert um 45 weitere Tage (CCPA, Cal. Civ. Code "
                           "§ 1798.130(a)(2))")},
    deadline="{date} ({period})",
    child_deadline="{date} (eine Anfrage zu den Daten eines Kindes bearbeiten wir sofort)",
    types={"access": "Auskunft und eine Kopie Ihrer Daten", "deletion": "Löschung Ihrer Daten",
           "correction": "Berichtigung Ihrer Daten", "opt_out": "Abmeldung von Werbe-E-Mails",
           "restriction": "Einschränkung der Verarbeitung Ihrer Daten",
           "objection": "Widerspruch gegen die Verarbeitung Ihrer Daten"},
    any_type="Anfrage zu Ihren Daten",
    channels={"letter": "per Brief", "phone": "telefonisch", "in_person": "persönlich",
              "agent": "über Ihre bevollmächtigte Vertretung"},
    any_channel="von Ihnen",
    confirmation_subject="Wir haben Ihre Datenschutzanfrage erhalten",
    confirmation=("Wir haben am {received} {how} Ihre Datenschutzanfrage erhalten: {what}.\nReferenz: {ref}\n"
                  "Wir antworten Ihnen spätestens bis zum {deadline}.\n\n"
                  "Wenn Sie diese Anfrage nicht gestellt haben, antworten Sie bitte auf diese Nachricht.\n"),
    export_subject="Ihr Datenexport liegt bereit",
    export_ready=("Ihr Datenexport zur Anfrage {ref} liegt bereit.\n\n"
                  "Sie können ihn hier herunterladen (der Link ist bis zum {until} gültig; bei jedem Aufruf erhalten "
                  "Sie einen neuen Download, der 15 Minuten lang gültig ist):\n{url}\n\n"
                  "Der Export enthält eine maschinenlesbare JSON-Datei und eine lesbare HTML-Seite mit allen Daten, "
                  "die wir über Sie gespeichert haben, einschließlich der Zwecke, Empfänger und Speicherfristen.\n"),
    extension_subject="Wir benötigen mehr Zeit für Ihre Datenschutzanfrage",
    extension=("Wir benötigen mehr Zeit, um Ihre Anfrage {ref} abzuschließen.\n\nGrund: {reason}\n"
               "Neue Frist: {deadline}\n\nDas Gesetz erlaubt eine einmalige Verlängerung dieser Art; wir antworten "
               "Ihnen spätestens bis zur neuen Frist.\n"),
    receipt_subject="Ihre Daten wurden gelöscht",
    receipt_intro="Ihre Daten wurden gelöscht (Anfrage {ref}).",
    deleted_heading="Gelöscht (Art der Daten: Anzahl der Datensätze):",
    deleted_line="  - {kind}: {count}",
    exports_line="  - Exportdateien: {count}",
    kept_heading=("Aufbewahrt, weil das Gesetz es verlangt (anonymisiert, ohne Ihren Namen und Ihre "
                  "Kontaktdaten):"),
    kept_nothing="  - nichts",
    kept_line="  - {kind}: {count}, aufbewahrt bis zum {until}: {why}",
    key_destroyed=("Ihr Verschlüsselungsschlüssel wurde vernichtet: Keine Kopie Ihrer personenbezogenen Daten (auch "
                   "nicht in Sicherungskopien) kann mehr gelesen werden."),
    processors_heading="Andere Unternehmen, die Ihre Daten erhalten haben, und der Stand der Löschung dort:",
    processors_none="  - keine",
    processor_line="  - {name} ({role}): {state}",
    write_again="Wir schreiben Ihnen erneut, sobald alle die Löschung bestätigt haben.",
    record_kinds={"customer": "Kundenprofil", "order": "Bestellungen", "payment": "Zahlungen",
                  "bitpay_payment": "Zahlungen (BitPay)", "paypal_ref": "PayPal-Referenzen",
                  "dispute": "Zahlungsstreitigkeiten", "consent_event": "Cookie-Einwilligungen",
                  "consent_state": "Cookie-Einstellungen", "consent_link": "Verknüpfungen von Cookie-Einstellungen",
                  "marketing": "Werbeeinstellungen", "marketing_event": "Änderungen der Werbeeinstellungen",
                  "correspondence": "Korrespondenz", "analytics": "Analysedaten", "request": "Datenschutzanfragen",
                  "request_audit": "Protokoll der Datenschutzanfragen"},
    roles={"processor": "Auftragsverarbeiter", "independent_controller": "eigenständig Verantwortlicher"},
    states={"pending": "wird informiert", "sent": "informiert, Bestätigung steht aus", "acknowledged": "bestätigt",
            "failed": "konnte nicht bestätigt werden: unser Datenschutzteam kümmert sich darum"},
    update_subject="Löschung Ihrer Daten: abschließende Mitteilung",
    update_intro="Die Löschung Ihrer Daten (Anfrage {ref}) hat alle Unternehmen erreicht, die sie erhalten haben:",
    update_outro="Die Adresse, an die diese E-Mail gesendet wurde, ist nun ebenfalls aus unseren Systemen gelöscht.",
    restricted_subject="Die Verarbeitung Ihrer Daten ist eingeschränkt",
    restricted=("Die Verarbeitung Ihrer Daten ist seit dem {since} eingeschränkt (Anfrage {ref}): Wir bewahren Ihre "
                "Daten auf, nutzen sie aber nicht mehr. Sie werden weder für Werbung noch für Analysen oder "
                "Werbeanzeigen verwendet; neue Datensätze über Sie (etwa Bestellungen) werden aufbewahrt und als "
                "eingeschränkt gekennzeichnet.\n\nWir haben die Unternehmen informiert, die Ihre Daten in unserem "
                "Auftrag verarbeiten: {told}.\n\nBevor die Einschränkung aufgehoben wird, informieren wir Sie.\n"),
    restricted_nobody="kein anderes Unternehmen hatte Ihre Daten",
    lifting_subject="Die Einschränkung der Verarbeitung Ihrer Daten wird aufgehoben",
    lifting=("Die Einschränkung der Verarbeitung Ihrer Daten (Anfrage {ref}) wird aufgehoben.\n\nGrund: {reason}\n\n"
             "Ab sofort dürfen wir Ihre Daten wieder für die in unserer Datenschutzerklärung genannten Zwecke "
             "nutzen. Cookie- und Werbeeinwilligungen, die Sie widerrufen haben, bleiben widerrufen, bis Sie "
             "neu entscheiden. Sie können der Verarbeitung jederzeit widersprechen oder die Löschung Ihrer Daten "
             "verlangen, indem Sie auf diese E-Mail antworten.\n"),
    objection_subject="Ihr Widerspruch ist wirksam",
    objection=("Ihr Widerspruch (Anfrage {ref}) ist wirksam: Wir nutzen Ihre Daten nicht mehr für Analysen, "
               "Profilbildung, Werbeanzeigen oder Werbe-E-Mails.\n\nWiderrufene Cookie-Kategorien: {categories}.\n"
               "Wir haben die Unternehmen informiert, die Ihre Daten für diese Zwecke verarbeiten: {told}.\n"),
    objection_none_granted="keine (Sie hatten keine erteilt)",
    objection_nobody="kein anderes Unternehmen hatte Ihre Daten für diese Zwecke",
    categories={"essential": "notwendig", "preferences": "Präferenzen", "analytics": "Analyse",
                "statistics": "Statistik", "marketing": "Marketing", "advertising": "Werbung", "support": "Support"},
    corrected_subject="Ihre Daten wurden berichtigt",
    correction_tasks_subject="Ihr Antrag auf Berichtigung: was erledigt ist und was folgt",
    correction_intro="Wir haben Ihren Antrag auf Berichtigung {ref} bearbeitet.",
    corrected_heading="Berichtigt:",
    left_heading=("Folgendes erledigt eine Person aus unserem Datenschutzteam, die Sie anschließend "
                  "benachrichtigt:"),
    nothing_further="Sie müssen nichts weiter tun.",
    labels={"first_name": "Vorname", "last_name": "Nachname", "email": "E-Mail-Adresse", "company": "Firma",
            "address_1": "Adresszeile 1", "address_2": "Adresszeile 2", "city": "Ort", "postcode": "Postleitzahl",
            "state": "Bundesland oder Region", "country": "Land", "phone": "Telefonnummer"},
    address_label="{group}: {label}",
    address_groups={"billing": "Rechnungsadresse", "shipping": "Lieferadresse"},
    task_email=("E-Mail-Adresse: Da wir Sie über diese Adresse identifizieren, nimmt eine Person diese Änderung "
                "vor"),
    task_store={
        "no_customer": ("im Shop ({labels}): Uns liegt keine Kundennummer des Shops für Sie vor, daher nimmt eine "
                        "Person die Änderung vor"),
        "not_configured": "im Shop ({labels}): Eine Person nimmt die Änderung im Shop vor",
        "rejected": "im Shop ({labels}): Der Shop hat die automatische Änderung abgelehnt, eine Person nimmt sie vor",
        "unreachable": ("im Shop ({labels}): Der Shop war nicht erreichbar, eine Person nimmt die Änderung vor")},
    task_order=("Bestellung {order} ({labels}): Diese Bestellung ist anonymisiert oder nicht mit Ihren "
                "personenbezogenen Daten gespeichert und kann daher nicht berichtigt werden"),
)

ET = NoticeTexts(
    iso_moments=False,
    moment="{date} kell {time} UTC",
    extended_periods={
        Regime.GDPR: "üks kuu, mida on pikendatud kahe kuu võrra, isikuandmete kaitse üldmäärus art 12 lg 3",
        Regime.UK_GDPR: "üks kuu, mida on pikendatud kahe kuu võrra, UK GDPR art 12(3)",
        Regime.CCPA: "45 päeva, mida on pikendatud 45 päeva võrra, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
        Regime.STRICTEST: ("varasem kahest: üks kuu, mida on pikendatud kahe kuu võrra (isikuandmete kaitse "
                           "üldmäärus art 12 lg 3), ja 45 päeva, mida on pikendatud 45 päeva võrra (CCPA, Cal. "
                           "Civ. Code § 1798.130(a)(2))")},
    deadline="{date} ({period})",
    child_deadline="{date} (lapse andmeid puudutava päringu täidame viivitamata)",
    types={"access": "koopia teie andmetest", "deletion": "teie andmete kustutamine",
           "correction": "teie andmete parandamine", "opt_out": "turundus-e-kirjadest loobumine",
           "restriction": "teie andmete töötlemise piiramine",
           "objection": "vastuväide teie andmete töötlemisele"},
    any_type="teie andmeid puudutav päring",
    channels={"letter": "kirja teel", "phone": "telefoni teel", "in_person": "isiklikult",
              "agent": "teie volitatud esindaja kaudu"},
    any_channel="teilt",
    confirmation_subject="Oleme teie andmekaitsepäringu kätte saanud",
    confirmation=("Saime {received} {how} kätte teie andmekaitsepäringu: {what}.\nViide: {ref}\n"
                  "Vastame teile hiljemalt {deadline}.\n\n"
                  "Kui te seda päringut ei esitanud, vastake palun sellele kirjale.\n"),
    export_subject="Teie andmete eksport on valmis",
    export_ready=("Teie andmete eksport päringu {ref} alusel on valmis.\n\n"
                  "Saate selle alla laadida siit (link kehtib kuni {until}; iga kord, kui lingi avate, saate uue "
                  "allalaadimise, mis kehtib 15 minutit):\n{url}\n\n"
                  "Eksport sisaldab masinloetavat JSON-faili ja loetavat HTML-lehte kõigi andmetega, mida me teie "
                  "kohta säilitame, koos töötlemise eesmärkide, andmete saajate ja säilitamistähtaegadega.\n"),
    extension_subject="Vajame teie andmekaitsepäringu täitmiseks rohkem aega",
    extension=("Vajame teie päringu {ref} täitmiseks rohkem aega.\n\nPõhjus: {reason}\nUus tähtaeg: {deadline}\n\n"
               "Seadus lubab tähtaega sel viisil pikendada ühe korra; vastame teile hiljemalt uueks tähtajaks.\n"),
    receipt_subject="Teie andmed on kustutatud",
    receipt_intro="Teie andmed on kustutatud (päring {ref}).",
    deleted_heading="Kustutatud (andmete liik: kirjete arv):",
    deleted_line="  - {kind}: {count}",
    exports_line="  - ekspordifailid: {count}",
    kept_heading="Säilitatud, sest seadus seda nõuab (anonüümseks muudetud, ilma teie nime ja kontaktandmeteta):",
    kept_nothing="  - mitte midagi",
    kept_line="  - {kind}: {count}, säilitatakse kuni {until}: {why}",
    key_destroyed=("Teie krüpteerimisvõti on hävitatud, seega ei saa ühtegi teie isikuandmete koopiat (sh "
                   "varukoopiaid) enam lugeda."),
    processors_heading="Teised ettevõtted, kes teie andmeid said, ja kustutamise seis nende juures:",
    processors_none="  - puuduvad",
    processor_line="  - {name} ({role}): {state}",
    write_again="Kirjutame teile uuesti, kui kõik neist on kustutamist kinnitanud.",
    record_kinds={"customer": "kliendiprofiil", "order": "tellimused", "payment": "maksed",
                  "bitpay_payment": "maksed (BitPay)", "paypal_ref": "PayPali viited",
                  "dispute": "maksevaidlused", "consent_event": "küpsiste nõusolekud",
                  "consent_state": "küpsiste seaded", "consent_link": "küpsiste seadete seosed",
                  "marketing": "turunduse eelistused", "marketing_event": "turunduse eelistuste muudatused",
                  "correspondence": "kirjavahetus", "analytics": "analüüsiandmed", "request": "andmekaitsepäringud",
                  "request_audit": "andmekaitsepäringute logi"},
    roles={"processor": "volitatud töötleja", "independent_controller": "iseseisev vastutav töötleja"},
    states={"pending": "teavitatakse", "sent": "teavitatud, ootame kinnitust", "acknowledged": "kinnitatud",
            "failed": "kinnitust ei saadud: meie andmekaitsemeeskond tegeleb sellega"},
    update_subject="Teie andmete kustutamine: lõplik teade",
    update_intro="Teie andmete kustutamine (päring {ref}) on jõudnud kõigi ettevõteteni, kes teie andmeid said:",
    update_outro="Aadress, kuhu see kiri saadeti, on nüüd samuti meie süsteemidest kustutatud.",
    restricted_subject="Teie andmete töötlemine on piiratud",
    restricted=("Teie andmete töötlemine on piiratud alates {since} (päring {ref}): säilitame teie andmeid, kuid ei "
                "kasuta neid enam. Neid ei kasutata turunduseks, analüüsiks ega reklaamiks ning uued teid puudutavad "
                "kirjed (näiteks tellimused) säilitatakse ja märgitakse piiratuks.\n\nTeavitasime ettevõtteid, kes "
                "töötlevad teie andmeid meie jaoks: {told}.\n\nAnname teile teada enne, kui piirang tühistatakse.\n"),
    restricted_nobody="ükski teine ettevõte teie andmeid ei hoidnud",
    lifting_subject="Teie andmete töötlemise piirang tühistatakse",
    lifting=("Teie andmete töötlemise piirang (päring {ref}) tühistatakse.\n\nPõhjus: {reason}\n\n"
             "Edaspidi võime teie andmeid taas kasutada meie privaatsuspoliitikas nimetatud eesmärkidel. Küpsiste "
             "ja turunduse nõusolekud, mille olete tagasi võtnud, jäävad tagasivõetuks, kuni teete uue valiku. "
             "Võite igal ajal esitada töötlemisele vastuväite või nõuda andmete kustutamist, vastates sellele "
             "e-kirjale.\n"),
    objection_subject="Teie vastuväide kehtib",
    objection=("Teie vastuväide (päring {ref}) kehtib: me ei kasuta enam teie andmeid analüüsiks, "
               "profiilianalüüsiks, reklaamiks ega turundus-e-kirjade saatmiseks.\n\n"
               "Tagasi võetud küpsiste kategooriad: {categories}.\n"
               "Teavitasime ettevõtteid, kes töötlevad teie andmeid nendel eesmärkidel: {told}.\n"),
    objection_none_granted="puuduvad (te ei olnud ühtegi nõusolekut andnud)",
    objection_nobody="ükski teine ettevõte ei hoidnud teie andmeid nendel eesmärkidel",
    categories={"essential": "vajalikud", "preferences": "eelistused", "analytics": "analüüs",
                "statistics": "statistika", "marketing": "turundus", "advertising": "reklaam",
                "support": "klienditugi"},
    corrected_subject="Teie andmed on parandatud",
    correction_tasks_subject="Teie parandamispäring: mis on tehtud ja mis järgneb",
    correction_intro="Oleme teie parandamispäringu {ref} menetlenud.",
    corrected_heading="Parandatud:",
    left_heading="Järgmised toimingud teeb meie andmekaitsemeeskonna liige, kes annab teile teada, kui need on tehtud:",
    nothing_further="Teilt ei ole rohkem midagi vaja.",
    labels={"first_name": "eesnimi", "last_name": "perekonnanimi", "email": "e-posti aadress",
            "company": "ettevõte", "address_1": "aadressi 1. rida", "address_2": "aadressi 2. rida", "city": "linn",
            "postcode": "postiindeks", "state": "maakond või osariik", "country": "riik", "phone": "telefon"},
    address_label="{group}: {label}",
    address_groups={"billing": "arveldusaadress", "shipping": "tarneaadress"},
    task_email=("e-posti aadress: selle muutmine muudab seda, kuidas me teid tuvastame, seega teeb selle muudatuse "
                "meie töötaja"),
    task_store={
        "no_customer": "poes ({labels}): meil ei ole teie poe kliendinumbrit, seega teeb muudatuse meie töötaja",
        "not_configured": "poes ({labels}): muudatuse teeb poes meie töötaja",
        "rejected": "poes ({labels}): pood keeldus automaatsest muudatusest, muudatuse teeb meie töötaja",
        "unreachable": "poes ({labels}): poega ei õnnestunud ühendust saada, muudatuse teeb meie töötaja"},
    task_order=("tellimus {order} ({labels}): see tellimus on anonüümseks muudetud või ei ole seotud teie "
                "isikuandmetega, seega ei saa seda parandada"),
)

NOTICE_TEXTS: dict[str, NoticeTexts] = {"en": EN, "de": DE, "et": ET}


def notice_texts(language: str) -> NoticeTexts:
    return NOTICE_TEXTS.get(language, EN)


def moment_in(language: str, epoch: int) -> str:
    """A moment (a link's expiry, a restriction's start): ISO 8601 in English (as it always was), else the date in
    the language with the time of day (UTC)."""
    words = notice_texts(language)
    if words.iso_moments:
        return iso(epoch)
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return words.moment.format(date=date_in(language, epoch), time=f"{moment.hour:02d}:{moment.minute:02d}")


def day_in(language: str, epoch: int) -> str:
    """A day a record is kept until: ISO 8601 in English (as it always was), else the date in the language."""
    return iso(epoch) if notice_texts(language).iso_moments else date_in(language, epoch)


def field_label(name: str, language: str = "en") -> str:
    """"billing.city" -> "billing address: city" (in the language)."""
    words = notice_texts(language)
    group, _, part = name.rpartition(".")
    label = words.labels.get(part, part)
    return words.address_label.format(group=words.address_groups.get(group, group), label=label) if group else label
