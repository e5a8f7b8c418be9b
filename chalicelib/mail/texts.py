"""Every text of the privacy@ replies, one block per language (English, German, Estonian): full texts, never an
intro followed by English.  `replies` composes them; nothing here names a store (the `Sender` signs) or does I/O.

Placeholders: {what} a request's name, {ref} its reference, {url} the verification link, {grace} the grace days,
{kept} what the law keeps, {date} a deadline, {period} its legal period with the reference, {languages} the
languages a store answers in, {privacy} its privacy contact, {name}/{site} the controller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.privacy_requests import Regime


@dataclass(frozen=True)
class Texts:
    months: tuple[str, ...]
    date: str  # "{day} {month} {year}" ({number}: the month's number)
    hello: str
    kinds: dict[str, str]  # each request type, as "we received your request for ..."
    asks: dict[str, str]  # one line each, what to write to ask for it
    received: str
    reference: str
    verify: str
    next_steps: dict[str, str]
    kept: str
    also_deletion: str
    child_received: str
    child_next: str
    child_account: str
    periods: dict[Regime, str]  # the legal period of each regime, with its reference
    deadline: str  # "We will complete your request by {date} ({period}) at the latest."
    extension: dict[Regime, str]  # how much longer it may take, with notice
    ccpa_acknowledged: str  # the CCPA's 10 business days to acknowledge
    help_intro: str
    help_write_in: str
    person: str  # a person reads the message and answers by {date}
    customer_service: str
    unclear: str
    not_offered: str
    not_offered_after: str
    received_only: str
    footer: str
    team: str
    contact: str
    dpo: str
    language_names: dict[str, str]
    or_word: str
    verification_subject: str  # the subject of a web request's verification mail
    kept_records: str  # what the law keeps: {period} (retention_in) and {basis} (the policy's legal basis)
    years: tuple[str, str]  # "{n} year", "{n} years"
    days_n: str  # "{n} days"


EN = Texts(
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"),
    date="{day:02d} {month} {year}",
    hello="Hello,\n\n",
    kinds={"access": "a copy of your personal data (access / export)",
           "deletion": "deletion of your personal data",
           "correction": "correction of your personal data",
           "opt_out": "no more marketing e-mails (opt-out)",
           "restriction": "restriction of the processing of your personal data",
           "objection": "objection to the processing of your personal data (analytics, profiling, advertising)"},
    asks={"access": "- Access / export: \"Please send me a copy of my personal data.\"\n",
          "deletion": "- Deletion: \"Please delete my personal data.\"\n",
          "correction": "- Correction: \"Please correct my personal data: ...\"\n",
          "opt_out": "- Marketing opt-out: \"Please unsubscribe me from marketing e-mails.\"\n",
          "restriction": "- Restriction: \"Please restrict the processing of my personal data.\"\n",
          "objection": "- Objection: \"I object to the use of my data for analytics and advertising.\"\n"},
    received="Hello,\n\nwe have received your request for {what}.\n\n",
    reference="Request reference: {ref}\n\n",
    verify=("To protect your data, we need to confirm that this request comes from the owner of this e-mail "
            "address. Please open this link within 24 hours:\n\n{url}\n\n"),
    next_steps={
        "access": ("Once you confirm, we will prepare a copy of the personal data we hold about this address and "
                   "e-mail you a download link (valid for 7 days)."),
        "deletion": ("Once you confirm, the deletion is scheduled and carried out after a grace period of {grace} "
                     "days, during which you can still cancel it.{kept} We will e-mail you a confirmation when it "
                     "is done."),
        "correction": ("Once you confirm, please reply to this e-mail stating which details are wrong and what they "
                       "should be (please do not send identity documents). We will correct them and let you know."),
        "opt_out": ("We will stop sending marketing e-mails to this address. Service messages about orders or about "
                    "this request may still be sent."),
        "restriction": ("Once you confirm, we keep your data but stop using it (no marketing, analytics or "
                        "advertising) until the restriction is lifted; we will tell you before it is lifted."),
        "objection": ("Once you confirm, we stop using your data for analytics, profiling, advertising and "
                      "marketing, and tell the services that process it for us."),
    },
    kept=" Records the law obliges us to keep ({kept}) are anonymised instead of deleted.",
    also_deletion=("You also asked us to delete your data. So that the deletion cannot take your copy with it, we "
                   "send you the copy first and delete nothing yet: once you have it, reply to this e-mail with "
                   "\"Please delete my personal data.\" and we will register the deletion."),
    child_received=("we have received your message about your child's personal data. We take this seriously and "
                    "act at once: we will delete the child's account and personal data.\n\n"),
    child_next=("Before the data is erased, our privacy team confirms that you are the child's parent or legal "
                "guardian; we may contact you for this. Please do not send identity documents by e-mail.{kept}"),
    child_account=("we have received your message about your child's personal data and want to act on it at once. "
                   "To find the child's data, we need the e-mail address the child's account was registered with: "
                   "please reply to this e-mail with that address. No request has been registered yet.\n\n"),
    periods={Regime.GDPR: "one month, GDPR Art. 12(3)", Regime.UK_GDPR: "one month, UK GDPR Art. 12(3)",
             Regime.CCPA: "45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
             Regime.STRICTEST: ("the earlier of one month (GDPR Art. 12(3)) and 45 days (CCPA, Cal. Civ. Code "
                                "§ 1798.130(a)(2))")},
    deadline="We will complete your request by {date} ({period}) at the latest.",
    extension={Regime.GDPR: " If we need more time, the law allows us to extend this once by two further months; "
                            "we would tell you why before {date}.",
               Regime.UK_GDPR: " If we need more time, the law allows us to extend this once by two further months; "
                               "we would tell you why before {date}.",
               Regime.CCPA: " If we need more time, the law allows us to extend this once by 45 further days; we "
                            "would tell you why before {date}.",
               Regime.STRICTEST: " If we need more time, we will tell you why before then."},
    ccpa_acknowledged=("The law asks us to acknowledge a request within 10 business days: this e-mail is that "
                       "acknowledgement. "),
    help_intro=("thank you for your message to our privacy team. We could not tell which privacy request you would "
                "like to make, so here is what you can ask for. Reply to this e-mail (or write to {privacy}) with "
                "one of these in your own words:\n\n"),
    help_write_in=("You can write in {languages}. Every request is confirmed through a link we send to the address "
                   "it came from; a request made today is answered by {date} ({period}) at the latest."),
    person=("A member of our privacy team will read your message and answer you personally by {date} at the "
            "latest.\n\n"),
    customer_service="For questions about an order, please contact our customer service instead.",
    unclear=("thank you for your message to our privacy team. We are not sure what you would like us to do, and "
             "we do not want to do more than you ask, so no request has been registered. Please reply to this "
             "e-mail and tell us which one of these you would like:\n\n"),
    not_offered=("thank you for your message to our privacy team. You asked for {what}, which this store does not "
                 "offer as a privacy request, so no request was registered. Here is what you can ask for (reply to "
                 "this e-mail or write to {privacy}):\n\n"),
    not_offered_after="\nIf you believe this is wrong, write to us in your own words and we will answer you "
                      "personally.",
    received_only="we have received your message to our privacy team and will answer it by {date} ({period}) at "
                  "the latest.",
    footer=("\n\nThis is an automatic reply. If you did not write to us, you can ignore this e-mail: nothing happens "
            "without confirmation.\n"),
    team="The privacy team of {name}",
    contact="Privacy contact: {privacy}",
    dpo="Data protection officer: {dpo}",
    language_names={"en": "English", "de": "German (Deutsch)", "et": "Estonian (eesti keeles)"},
    or_word="or",
    verification_subject="Please confirm your privacy request",
    kept_records="orders and payments, kept {period}: {basis}",
    years=("{n} year", "{n} years"),
    days_n="{n} days",
)

DE = Texts(
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember"),
    date="{day}. {month} {year}",
    hello="Guten Tag,\n\n",
    kinds={"access": "eine Kopie Ihrer personenbezogenen Daten (Auskunft / Datenübertragbarkeit)",
           "deletion": "die Löschung Ihrer personenbezogenen Daten",
           "correction": "die Berichtigung Ihrer personenbezogenen Daten",
           "opt_out": "keine Werbe-E-Mails mehr (Abmeldung)",
           "restriction": "die Einschränkung der Verarbeitung Ihrer personenbezogenen Daten",
           "objection": ("Ihren Widerspruch gegen die Verarbeitung Ihrer personenbezogenen Daten (Analyse, "
                         "Profilbildung, Werbung)")},
    asks={"access": "- Auskunft / Kopie: \"Bitte senden Sie mir eine Kopie meiner personenbezogenen Daten.\"\n",
          "deletion": "- Löschung: \"Bitte löschen Sie meine personenbezogenen Daten.\"\n",
          "correction": "- Berichtigung: \"Bitte berichtigen Sie meine personenbezogenen Daten: ...\"\n",
          "opt_out": "- Abmeldung von Werbung: \"Bitte melden Sie mich von Werbe-E-Mails ab.\"\n",
          "restriction": "- Einschränkung: \"Bitte schränken Sie die Verarbeitung meiner Daten ein.\"\n",
          "objection": "- Widerspruch: \"Ich widerspreche der Nutzung meiner Daten für Analyse und Werbung.\"\n"},
    received="Wir haben Ihre Datenschutzanfrage erhalten: Sie bitten um {what}.\n\n",
    reference="Referenz der Anfrage: {ref}\n\n",
    verify=("Zum Schutz Ihrer Daten müssen wir bestätigen, dass diese Anfrage von der Inhaberin oder dem Inhaber "
            "dieser E-Mail-Adresse stammt. Bitte öffnen Sie innerhalb von 24 Stunden diesen Link:\n\n{url}\n\n"),
    next_steps={
        "access": ("Nach Ihrer Bestätigung stellen wir eine Kopie der personenbezogenen Daten zusammen, die wir zu "
                   "dieser Adresse gespeichert haben, und senden Ihnen einen Download-Link (7 Tage gültig)."),
        "deletion": ("Nach Ihrer Bestätigung wird die Löschung eingeplant und nach einer Frist von {grace} Tagen "
                     "ausgeführt; bis dahin können Sie sie noch widerrufen.{kept} Wir bestätigen Ihnen die "
                     "Löschung per E-Mail."),
        "correction": ("Bitte antworten Sie nach Ihrer Bestätigung auf diese E-Mail und nennen Sie, welche Angaben "
                       "falsch sind und wie sie richtig lauten (bitte keine Ausweisdokumente senden). Wir berichtigen "
                       "sie und geben Ihnen Bescheid."),
        "opt_out": ("Wir senden keine Werbe-E-Mails mehr an diese Adresse. Nachrichten zu Bestellungen oder zu "
                    "dieser Anfrage können weiterhin kommen."),
        "restriction": ("Nach Ihrer Bestätigung bewahren wir Ihre Daten auf, nutzen sie aber nicht mehr (keine "
                        "Werbung, Analyse oder Anzeigen), bis die Einschränkung aufgehoben wird; vorher informieren "
                        "wir Sie."),
        "objection": ("Nach Ihrer Bestätigung nutzen wir Ihre Daten nicht mehr für Analyse, Profilbildung, "
                      "Werbeanzeigen und Werbung und informieren die Dienstleister, die sie für uns verarbeiten."),
    },
    kept=(" Daten, die wir gesetzlich aufbewahren müssen ({kept}), werden anonymisiert statt gelöscht."),
    also_deletion=("Sie haben uns außerdem um die Löschung Ihrer Daten gebeten. Damit die Löschung Ihre Kopie nicht "
                   "verhindert, senden wir Ihnen zuerst die Kopie und löschen noch nichts: Sobald Sie sie haben, "
                   "antworten Sie bitte auf diese E-Mail mit \"Bitte löschen Sie meine personenbezogenen Daten.\", "
                   "dann registrieren wir die Löschung."),
    child_received=("wir haben Ihre Nachricht zu den personenbezogenen Daten Ihres Kindes erhalten. Wir nehmen das "
                    "ernst und handeln sofort: Wir löschen das Konto und die personenbezogenen Daten des Kindes.\n\n"),
    child_next=("Bevor die Daten gelöscht werden, bestätigt unser Datenschutzteam, dass Sie Elternteil oder "
                "gesetzlicher Vormund des Kindes sind; dazu melden wir uns gegebenenfalls bei Ihnen. Bitte senden "
                "Sie keine Ausweisdokumente per E-Mail.{kept}"),
    child_account=("wir haben Ihre Nachricht zu den personenbezogenen Daten Ihres Kindes erhalten und möchten sofort "
                   "handeln. Um die Daten des Kindes zu finden, benötigen wir die E-Mail-Adresse, mit der das Konto "
                   "des Kindes angelegt wurde: Bitte antworten Sie mit dieser Adresse auf diese E-Mail. Es wurde "
                   "noch keine Anfrage registriert.\n\n"),
    periods={Regime.GDPR: "ein Monat, DSGVO Art. 12 Abs. 3", Regime.UK_GDPR: "ein Monat, UK GDPR Art. 12(3)",
             Regime.CCPA: "45 Tage, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
             Regime.STRICTEST: ("der frühere Termin von einem Monat (DSGVO Art. 12 Abs. 3) und 45 Tagen (CCPA, "
                                "Cal. Civ. Code § 1798.130(a)(2))")},
    deadline="Wir erledigen Ihre Anfrage spätestens bis zum {date} ({period}).",
    extension={Regime.GDPR: " Brauchen wir mehr Zeit, erlaubt uns das Gesetz eine einmalige Verlängerung um zwei "
                            "weitere Monate; die Gründe würden wir Ihnen vor dem {date} mitteilen.",
               Regime.UK_GDPR: " Brauchen wir mehr Zeit, erlaubt uns das Gesetz eine einmalige Verlängerung um zwei "
                               "weitere Monate; die Gründe würden wir Ihnen vor dem {date} mitteilen.",
               Regime.CCPA: " Brauchen wir mehr Zeit, erlaubt uns das Gesetz eine einmalige Verlängerung um 45 "
                            "weitere Tage; die Gründe würden wir Ihnen vor dem {date} mitteilen.",
               Regime.STRICTEST: " Brauchen wir mehr Zeit, teilen wir Ihnen die Gründe vorher mit."},
    ccpa_acknowledged=("Das Gesetz verlangt, den Eingang einer Anfrage innerhalb von 10 Werktagen zu bestätigen: "
                       "Diese E-Mail ist diese Bestätigung. "),
    help_intro=("vielen Dank für Ihre Nachricht an unser Datenschutzteam. Wir konnten nicht erkennen, welche "
                "Datenschutzanfrage Sie stellen möchten; hier ist, worum Sie bitten können. Antworten Sie auf diese "
                "E-Mail (oder schreiben Sie an {privacy}) mit einem dieser Anliegen in Ihren eigenen Worten:\n\n"),
    help_write_in=("Sie können auf {languages} schreiben. Jede Anfrage wird über einen Link bestätigt, den wir an "
                   "die Absenderadresse senden; eine heute gestellte Anfrage wird spätestens bis zum {date} "
                   "({period}) beantwortet."),
    person=("Eine Person aus unserem Datenschutzteam liest Ihre Nachricht und antwortet Ihnen persönlich "
            "spätestens bis zum {date}.\n\n"),
    customer_service="Bei Fragen zu einer Bestellung wenden Sie sich bitte an unseren Kundenservice.",
    unclear=("vielen Dank für Ihre Nachricht an unser Datenschutzteam. Wir sind nicht sicher, was wir für Sie tun "
             "sollen, und möchten nicht mehr tun, als Sie wünschen; deshalb wurde keine Anfrage registriert. Bitte "
             "antworten Sie auf diese E-Mail und teilen Sie uns mit, welches dieser Anliegen Sie meinen:\n\n"),
    not_offered=("vielen Dank für Ihre Nachricht an unser Datenschutzteam. Sie bitten um {what}; dieser Shop bietet "
                 "das nicht als Datenschutzanfrage an, daher wurde keine Anfrage registriert. Worum Sie bitten "
                 "können (antworten Sie auf diese E-Mail oder schreiben Sie an {privacy}):\n\n"),
    not_offered_after="\nWenn Sie meinen, dass das nicht stimmt, schreiben Sie uns in Ihren eigenen Worten; wir "
                      "antworten Ihnen persönlich.",
    received_only=("wir haben Ihre Nachricht an unser Datenschutzteam erhalten und beantworten sie spätestens bis "
                   "zum {date} ({period})."),
    footer=("\n\nDies ist eine automatische Antwort. Wenn Sie uns nicht geschrieben haben, können Sie diese E-Mail "
            "ignorieren: Ohne Bestätigung geschieht nichts.\n"),
    team="Das Datenschutzteam von {name}",
    contact="Datenschutzkontakt: {privacy}",
    dpo="Datenschutzbeauftragte(r): {dpo}",
    language_names={"en": "Englisch (English)", "de": "Deutsch", "et": "Estnisch (eesti keeles)"},
    or_word="oder",
    verification_subject="Bitte bestätigen Sie Ihre Datenschutzanfrage",
    kept_records="Bestellungen und Zahlungen, {period} aufbewahrt: {basis}",
    years=("{n} Jahr", "{n} Jahre"),
    days_n="{n} Tage",
)

ET = Texts(
    months=("jaanuar", "veebruar", "märts", "aprill", "mai", "juuni", "juuli", "august", "september", "oktoober",
            "november", "detsember"),
    date="{day:02d}.{number:02d}.{year}",  # numeric: no case endings after "hiljemalt", "enne"
    hello="Tere!\n\n",
    kinds={"access": "koopia teie isikuandmetest (juurdepääs / ülekandmine)",
           "deletion": "teie isikuandmete kustutamine",
           "correction": "teie isikuandmete parandamine",
           "opt_out": "turundus-e-kirjadest loobumine",
           "restriction": "teie isikuandmete töötlemise piiramine",
           "objection": "vastuväide teie isikuandmete töötlemisele (analüüs, profiilianalüüs, reklaam)"},
    asks={"access": "- Juurdepääs / koopia: \"Palun saatke mulle koopia minu isikuandmetest.\"\n",
          "deletion": "- Kustutamine: \"Palun kustutage minu isikuandmed.\"\n",
          "correction": "- Parandamine: \"Palun parandage minu isikuandmed: ...\"\n",
          "opt_out": "- Turundusest loobumine: \"Palun lõpetage mulle turundus-e-kirjade saatmine.\"\n",
          "restriction": "- Piiramine: \"Palun piirake minu isikuandmete töötlemist.\"\n",
          "objection": "- Vastuväide: \"Ma esitan vastuväite oma andmete kasutamisele analüüsiks ja reklaamiks.\"\n"},
    received="Saime teie andmekaitsepäringu kätte: {what}.\n\n",
    reference="Päringu viide: {ref}\n\n",
    verify=("Teie andmete kaitseks peame kinnitama, et päring tuleb selle e-posti aadressi omanikult. Palun avage "
            "24 tunni jooksul see link:\n\n{url}\n\n"),
    next_steps={
        "access": ("Pärast kinnitamist koostame koopia isikuandmetest, mida selle aadressi kohta säilitame, ja saadame "
                   "teile allalaadimislingi (kehtib 7 päeva)."),
        "deletion": ("Pärast kinnitamist kustutamine planeeritakse ja tehakse {grace} päeva möödudes; selle aja "
                     "jooksul saate selle veel tühistada.{kept} Saadame teile kinnituse, kui see on tehtud."),
        "correction": ("Pärast kinnitamist vastake palun sellele e-kirjale ja kirjutage, millised andmed on valed ja "
                       "millised need peaksid olema (palun ärge saatke isikut tõendavaid dokumente). Parandame need "
                       "ja anname teile teada."),
        "opt_out": ("Lõpetame sellele aadressile turundus-e-kirjade saatmise. Tellimuste või selle päringu kohta "
                    "võime teile siiski kirjutada."),
        "restriction": ("Pärast kinnitamist säilitame teie andmed, kuid ei kasuta neid (ei turundust, analüüsi ega "
                        "reklaami), kuni piirang tühistatakse; enne seda anname teile teada."),
        "objection": ("Pärast kinnitamist lõpetame teie andmete kasutamise analüüsiks, profiilianalüüsiks, "
                      "reklaamiks ja turunduseks ning teavitame teenuseid, mis neid meie jaoks töötlevad."),
    },
    kept=" Andmed, mida seadus kohustab meid säilitama ({kept}), muudetakse kustutamise asemel anonüümseks.",
    also_deletion=("Palusite ka oma andmed kustutada. Et kustutamine teie koopiat ei takistaks, saadame teile "
                   "kõigepealt koopia ega kustuta veel midagi: kui olete selle kätte saanud, vastake sellele e-kirjale "
                   "sõnadega \"Palun kustutage minu isikuandmed.\" ja me registreerime kustutamise."),
    child_received=("Saime kätte teie kirja teie lapse isikuandmete kohta. Suhtume sellesse tõsiselt ja tegutseme "
                    "kohe: kustutame lapse konto ja isikuandmed.\n\n"),
    child_next=("Enne andmete kustutamist kinnitab meie andmekaitsemeeskond, et olete lapse vanem või seaduslik "
                "eestkostja; vajadusel võtame teiega ühendust. Palun ärge saatke isikut tõendavaid dokumente "
                "e-postiga.{kept}"),
    child_account=("Saime kätte teie kirja teie lapse isikuandmete kohta ja tahame kohe tegutseda. Lapse andmete "
                   "leidmiseks vajame e-posti aadressi, millega lapse konto registreeriti: palun vastake sellele "
                   "e-kirjale selle aadressiga. Päringut ei ole veel registreeritud.\n\n"),
    periods={Regime.GDPR: "üks kuu, isikuandmete kaitse üldmäärus art 12 lg 3",
             Regime.UK_GDPR: "üks kuu, UK GDPR art 12(3)",
             Regime.CCPA: "45 päeva, CCPA, Cal. Civ. Code § 1798.130(a)(2)",
             Regime.STRICTEST: ("varasem kahest: üks kuu (isikuandmete kaitse üldmäärus art 12 lg 3) ja 45 päeva "
                                "(CCPA, Cal. Civ. Code § 1798.130(a)(2))")},
    deadline="Täidame teie päringu hiljemalt {date} ({period}).",
    extension={Regime.GDPR: " Kui vajame rohkem aega, lubab seadus tähtaega üks kord pikendada kahe kuu võrra; "
                            "põhjused teatame teile enne {date}.",
               Regime.UK_GDPR: " Kui vajame rohkem aega, lubab seadus tähtaega üks kord pikendada kahe kuu võrra; "
                               "põhjused teatame teile enne {date}.",
               Regime.CCPA: " Kui vajame rohkem aega, lubab seadus tähtaega üks kord pikendada 45 päeva võrra; "
                            "põhjused teatame teile enne {date}.",
               Regime.STRICTEST: " Kui vajame rohkem aega, teatame teile põhjused enne tähtaega."},
    ccpa_acknowledged=("Seadus nõuab päringu kättesaamise kinnitamist 10 tööpäeva jooksul: see e-kiri on see "
                       "kinnitus. "),
    help_intro=("Aitäh teie kirja eest meie andmekaitsemeeskonnale. Me ei saanud aru, millise andmekaitsepäringu "
                "soovite esitada, seega siin on, mida saate küsida. Vastake sellele e-kirjale (või kirjutage "
                "aadressil {privacy}) ühega neist oma sõnadega:\n\n"),
    help_write_in=("Võite kirjutada keeles: {languages}. Iga päring kinnitatakse lingiga, mille saadame aadressile, "
                   "kust see tuli; täna esitatud päringule vastame hiljemalt {date} ({period})."),
    person="Meie andmekaitsemeeskonna liige loeb teie kirja ja vastab teile isiklikult hiljemalt {date}.\n\n",
    customer_service="Tellimusega seotud küsimustes pöörduge palun meie klienditeeninduse poole.",
    unclear=("Aitäh teie kirja eest meie andmekaitsemeeskonnale. Me ei ole kindlad, mida soovite, ega taha teha "
             "rohkem, kui palute, seega päringut ei registreeritud. Palun vastake sellele e-kirjale ja kirjutage, "
             "millist neist soovite:\n\n"),
    not_offered=("Aitäh teie kirja eest meie andmekaitsemeeskonnale. Palusite: {what}; see pood ei paku seda "
                 "andmekaitsepäringuna, seega päringut ei registreeritud. Mida saate küsida (vastake sellele "
                 "e-kirjale või kirjutage aadressil {privacy}):\n\n"),
    not_offered_after="\nKui arvate, et see on viga, kirjutage meile oma sõnadega ja vastame teile isiklikult.",
    received_only=("Saime teie kirja meie andmekaitsemeeskonnale kätte ja vastame sellele hiljemalt {date} "
                   "({period})."),
    footer=("\n\nSee on automaatne vastus. Kui te meile ei kirjutanud, võite selle e-kirja tähelepanuta jätta: "
            "ilma kinnituseta ei juhtu midagi.\n"),
    team="{name} andmekaitsemeeskond",
    contact="Andmekaitse kontakt: {privacy}",
    dpo="Andmekaitseametnik: {dpo}",
    language_names={"en": "inglise (English)", "de": "saksa (Deutsch)", "et": "eesti"},
    or_word="või",
    verification_subject="Palun kinnitage oma privaatsustaotlus",
    kept_records="tellimused ja maksed, säilitame {period}: {basis}",
    years=("{n} aasta", "{n} aastat"),
    days_n="{n} päeva",
)

TEXTS: dict[str, Texts] = {"en": EN, "de": DE, "et": ET}


def texts(language: str) -> Texts:
    return TEXTS.get(language, EN)


def language_for(wanted: str | None, languages: Iterable[str]) -> str:
    """The language a subject is written to: `wanted` (the message's, the page's, the one a request remembers) when
    the store answers in it, else the store's default (the first of its policy's `rights.languages`; English when
    it lists none we write)."""
    listed = [code for code in languages if code in TEXTS]
    if wanted in listed:
        return str(wanted)
    return listed[0] if listed else "en"


def retention_in(language: str, days: int) -> str:
    """A retention period in the language: whole years as years ("7 years", "7 Jahre", "7 aastat"), else days."""
    words = texts(language)
    if days > 0 and days % 365 == 0:
        years = days // 365
        return words.years[0 if years == 1 else 1].format(n=years)
    return words.days_n.format(n=days)


def date_in(language: str, epoch: int) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    words = texts(language)
    return words.date.format(day=moment.day, month=words.months[moment.month - 1], number=moment.month,
                             year=moment.year)
