/* The privacy center: no framework, no build step.  Every text goes into the page through textContent or
   attribute setters (never as markup), so whatever the API or a person typed is shown as text.  The account token
   the storefront put in the URL is taken out of it at once (history.replaceState) and kept in this closure only. */
(function () {
  "use strict";

  var TEXTS = {
    en: {
      title: "Privacy center", loading: "Loading…", saved: "Saved.", failed: "Something went wrong. Please try again.",
      expired: "Your session has expired. Open the privacy center again from your account.",
      cookies: "Cookie choices", cookiesHint: "What this shop may use in your browser. Essential cookies are always on.",
      alwaysOn: "always on", noChoice: "You have not made a choice yet: only essential cookies are used.",
      marketing: "Marketing e-mails", marketingSwitch: "Send me marketing e-mails",
      marketingHint: "You can change this at any time; switching it off also objects to direct marketing.",
      data: "The data we hold about you", dataHint: "By category, with how long it is kept and why.",
      noData: "We hold no data about you in these categories.", category: "Category", items: "Items",
      retention: "Kept for", atExpiry: "Then", basis: "Legal basis", purpose: "Purpose", days: "days",
      delete: "deleted", anonymise: "anonymised",
      export: "Your data export", exportHint: "A copy of your data as JSON (machine-readable) and as a readable page.",
      exportButton: "Request my data", exportWaiting: "Your export is being prepared…",
      exportReady: "Your export is ready. The links work for a limited time.",
      downloadJson: "Download (JSON)", downloadHtml: "Open (readable page)",
      deletion: "Delete my account", deletionHint: "Your account and data are deleted after a grace period of {days} days; until then you can cancel.",
      deletionConfirm: "I understand that my account and its data will be deleted.",
      deletionButton: "Delete my account", deletionScheduled: "Your account will be deleted after {date}.",
      cancelDeletion: "Cancel the deletion", deletionCancelled: "The deletion is cancelled.",
      confirmFirst: "Please tick the box to confirm first.",
      restrict: "Restrict or object", restrictHint: "Restriction: we keep your data but stop using it. Objection: we stop analytics, profiling, advertising and marketing.",
      restrictConfirm: "I understand what the button I press does.",
      restrictButton: "Restrict the use of my data", objectButton: "Object to analytics and marketing",
      restricted: "Your restriction request is recorded.", objected: "Your objection is recorded.",
      correction: "Correct your data", correctionHint: "Fill in only what should change.",
      correctionButton: "Send the correction", corrected: "Your correction request is recorded.",
      nothingToCorrect: "Fill in at least one field.",
      history: "Your requests", noRequests: "No requests yet.", type: "Request", status: "Status",
      received: "Received", due: "Answer due", refresh: "Refresh",
      guestIntro: "Not signed in? Ask by e-mail: we send a link to the address to confirm it is yours.",
      guestForm: "Make a request", email: "Your e-mail address", requestType: "What do you want?",
      guestSend: "Send", guestAnswer: "If the address is valid, we sent it a link to confirm the request. It expires in 24 hours.",
      tooMany: "Too many requests. Please try again later.", checkInput: "Please check what you entered.",
      policy: "Privacy policy",
      f_first_name: "First name", f_last_name: "Last name", f_email: "E-mail address", f_address_1: "Street address",
      f_city: "City", f_postcode: "Postcode", f_country: "Country (two letters, e.g. EE)", f_phone: "Phone",
      t_access: "A copy of my data", t_deletion: "Delete my data", t_correction: "Correct my data",
      t_restriction: "Restrict the use of my data", t_opt_out: "No more marketing e-mails", t_objection: "Objection",
      s_unverified: "waiting for confirmation", s_pending: "received", s_scheduled: "scheduled",
      s_in_progress: "in progress", s_completed: "done", s_denied: "denied", s_cancelled: "cancelled",
      s_expired: "expired"
    },
    de: {
      title: "Datenschutz-Center", loading: "Wird geladen…", saved: "Gespeichert.",
      failed: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
      expired: "Ihre Sitzung ist abgelaufen. Öffnen Sie das Datenschutz-Center erneut aus Ihrem Konto.",
      cookies: "Cookie-Einstellungen", cookiesHint: "Was dieser Shop in Ihrem Browser nutzen darf. Notwendige Cookies sind immer aktiv.",
      alwaysOn: "immer aktiv", noChoice: "Sie haben noch nicht gewählt: nur notwendige Cookies werden genutzt.",
      marketing: "Werbe-E-Mails", marketingSwitch: "Werbe-E-Mails an mich senden",
      marketingHint: "Sie können das jederzeit ändern; Ausschalten ist auch ein Widerspruch gegen Direktwerbung.",
      data: "Ihre Daten bei uns", dataHint: "Nach Kategorie, mit Speicherdauer und Rechtsgrundlage.",
      noData: "Wir speichern in diesen Kategorien keine Daten über Sie.", category: "Kategorie", items: "Einträge",
      retention: "Speicherdauer", atExpiry: "Danach", basis: "Rechtsgrundlage", purpose: "Zweck", days: "Tage",
      delete: "gelöscht", anonymise: "anonymisiert",
      export: "Ihre Datenauskunft", exportHint: "Eine Kopie Ihrer Daten als JSON (maschinenlesbar) und als lesbare Seite.",
      exportButton: "Meine Daten anfordern", exportWaiting: "Ihre Auskunft wird vorbereitet…",
      exportReady: "Ihre Auskunft ist fertig. Die Links gelten nur kurze Zeit.",
      downloadJson: "Herunterladen (JSON)", downloadHtml: "Öffnen (lesbare Seite)",
      deletion: "Konto löschen", deletionHint: "Ihr Konto und Ihre Daten werden nach einer Frist von {days} Tagen gelöscht; bis dahin können Sie abbrechen.",
      deletionConfirm: "Ich verstehe, dass mein Konto und seine Daten gelöscht werden.",
      deletionButton: "Mein Konto löschen", deletionScheduled: "Ihr Konto wird nach dem {date} gelöscht.",
      cancelDeletion: "Löschung abbrechen", deletionCancelled: "Die Löschung ist abgebrochen.",
      confirmFirst: "Bitte bestätigen Sie zuerst mit dem Häkchen.",
      restrict: "Einschränken oder widersprechen", restrictHint: "Einschränkung: wir behalten Ihre Daten, nutzen sie aber nicht mehr. Widerspruch: keine Analyse, kein Profiling, keine Werbung.",
      restrictConfirm: "Ich verstehe, was der gedrückte Knopf bewirkt.",
      restrictButton: "Nutzung meiner Daten einschränken", objectButton: "Analyse und Werbung widersprechen",
      restricted: "Ihre Einschränkung ist erfasst.", objected: "Ihr Widerspruch ist erfasst.",
      correction: "Daten berichtigen", correctionHint: "Füllen Sie nur aus, was sich ändern soll.",
      correctionButton: "Berichtigung senden", corrected: "Ihre Berichtigung ist erfasst.",
      nothingToCorrect: "Füllen Sie mindestens ein Feld aus.",
      history: "Ihre Anfragen", noRequests: "Noch keine Anfragen.", type: "Anfrage", status: "Status",
      received: "Eingegangen", due: "Antwort bis", refresh: "Aktualisieren",
      guestIntro: "Nicht angemeldet? Fragen Sie per E-Mail: wir senden einen Link zur Bestätigung an die Adresse.",
      guestForm: "Anfrage stellen", email: "Ihre E-Mail-Adresse", requestType: "Was möchten Sie?",
      guestSend: "Senden", guestAnswer: "Wenn die Adresse gültig ist, haben wir ihr einen Link zur Bestätigung geschickt. Er gilt 24 Stunden.",
      tooMany: "Zu viele Anfragen. Bitte später erneut versuchen.", checkInput: "Bitte prüfen Sie Ihre Eingaben.",
      policy: "Datenschutzerklärung",
      f_first_name: "Vorname", f_last_name: "Nachname", f_email: "E-Mail-Adresse", f_address_1: "Straße und Hausnummer",
      f_city: "Ort", f_postcode: "Postleitzahl", f_country: "Land (zwei Buchstaben, z. B. DE)", f_phone: "Telefon",
      t_access: "Eine Kopie meiner Daten", t_deletion: "Meine Daten löschen", t_correction: "Meine Daten berichtigen",
      t_restriction: "Nutzung meiner Daten einschränken", t_opt_out: "Keine Werbe-E-Mails mehr", t_objection: "Widerspruch",
      s_unverified: "wartet auf Bestätigung", s_pending: "eingegangen", s_scheduled: "geplant",
      s_in_progress: "in Bearbeitung", s_completed: "erledigt", s_denied: "abgelehnt", s_cancelled: "abgebrochen",
      s_expired: "abgelaufen"
    },
    et: {
      title: "Privaatsuskeskus", loading: "Laadin…", saved: "Salvestatud.", failed: "Midagi läks valesti. Palun proovige uuesti.",
      expired: "Teie seanss on aegunud. Avage privaatsuskeskus uuesti oma kontolt.",
      cookies: "Küpsiste valikud", cookiesHint: "Mida see pood tohib teie brauseris kasutada. Vajalikud küpsised on alati sees.",
      alwaysOn: "alati sees", noChoice: "Te pole veel valinud: kasutatakse ainult vajalikke küpsiseid.",
      marketing: "Turunduskirjad", marketingSwitch: "Saatke mulle turunduskirju",
      marketingHint: "Saate seda igal ajal muuta; väljalülitamine on ka vastuväide otseturundusele.",
      data: "Teie andmed meie juures", dataHint: "Kategooriate kaupa, koos säilitusaja ja õigusliku alusega.",
      noData: "Meil ei ole teie kohta nendes kategooriates andmeid.", category: "Kategooria", items: "Kirjeid",
      retention: "Säilitame", atExpiry: "Seejärel", basis: "Õiguslik alus", purpose: "Eesmärk", days: "päeva",
      delete: "kustutatakse", anonymise: "anonüümitakse",
      export: "Teie andmete koopia", exportHint: "Teie andmed JSON-failina (masinloetav) ja loetava lehena.",
      exportButton: "Küsi minu andmeid", exportWaiting: "Teie koopiat valmistatakse ette…",
      exportReady: "Teie koopia on valmis. Lingid kehtivad piiratud aja.",
      downloadJson: "Laadi alla (JSON)", downloadHtml: "Ava (loetav leht)",
      deletion: "Konto kustutamine", deletionHint: "Teie konto ja andmed kustutatakse {days} päeva pärast; seni saate selle tühistada.",
      deletionConfirm: "Saan aru, et minu konto ja selle andmed kustutatakse.",
      deletionButton: "Kustuta minu konto", deletionScheduled: "Teie konto kustutatakse pärast {date}.",
      cancelDeletion: "Tühista kustutamine", deletionCancelled: "Kustutamine on tühistatud.",
      confirmFirst: "Palun kinnitage kõigepealt linnukesega.",
      restrict: "Piiramine või vastuväide", restrictHint: "Piiramine: hoiame teie andmeid, kuid ei kasuta neid. Vastuväide: lõpetame analüütika, profiilianalüüsi, reklaami ja turunduse.",
      restrictConfirm: "Saan aru, mida vajutatav nupp teeb.",
      restrictButton: "Piira minu andmete kasutamist", objectButton: "Esita vastuväide analüütikale ja turundusele",
      restricted: "Teie piiramise taotlus on registreeritud.", objected: "Teie vastuväide on registreeritud.",
      correction: "Andmete parandamine", correctionHint: "Täitke ainult see, mis peab muutuma.",
      correctionButton: "Saada parandus", corrected: "Teie parandustaotlus on registreeritud.",
      nothingToCorrect: "Täitke vähemalt üks väli.",
      history: "Teie taotlused", noRequests: "Taotlusi veel pole.", type: "Taotlus", status: "Olek",
      received: "Saabunud", due: "Vastuse tähtaeg", refresh: "Värskenda",
      guestIntro: "Pole sisse logitud? Küsige e-posti teel: saadame aadressile kinnituslingi.",
      guestForm: "Esita taotlus", email: "Teie e-posti aadress", requestType: "Mida soovite?",
      guestSend: "Saada", guestAnswer: "Kui aadress on õige, saatsime sellele taotluse kinnitamise lingi. See kehtib 24 tundi.",
      tooMany: "Liiga palju taotlusi. Palun proovige hiljem uuesti.", checkInput: "Palun kontrollige sisestatut.",
      policy: "Privaatsuspoliitika",
      f_first_name: "Eesnimi", f_last_name: "Perekonnanimi", f_email: "E-posti aadress", f_address_1: "Tänav ja maja",
      f_city: "Linn", f_postcode: "Postiindeks", f_country: "Riik (kaks tähte, nt EE)", f_phone: "Telefon",
      t_access: "Koopia minu andmetest", t_deletion: "Kustuta minu andmed", t_correction: "Paranda minu andmeid",
      t_restriction: "Piira minu andmete kasutamist", t_opt_out: "Rohkem turunduskirju ei soovi", t_objection: "Vastuväide",
      s_unverified: "ootab kinnitust", s_pending: "saabunud", s_scheduled: "planeeritud",
      s_in_progress: "töös", s_completed: "tehtud", s_denied: "keeldutud", s_cancelled: "tühistatud",
      s_expired: "aegunud"
    }
  };

  var root = document.getElementById("center");
  var app = document.getElementById("app");
  var statusLine = document.getElementById("status");
  var offered = (root.getAttribute("data-languages") || "en").split(" ");
  var lang = pickLanguage();
  var token = takeToken();
  /* The API's base: the page's own path without "privacy-center" ("/" or a stage prefix such as "/api/"). */
  var BASE = window.location.pathname.replace(/privacy-center\/?$/, "");
  var POLL_MS = 1500;
  var POLL_TRIES = 60;

  function pickLanguage() {
    /* the browser's languages first: the page's own `lang` is the server's default (English) */
    var wanted = (navigator.languages || [navigator.language || "en"]).concat([document.documentElement.lang]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").slice(0, 2).toLowerCase();
      if (TEXTS[code] && offered.indexOf(code) >= 0) { return code; }
    }
    return "en";
  }

  function t(key, values) {
    var text = (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  /* The token: from the fragment (#token=) or the query (?token=), removed from the URL at once. */
  function takeToken() {
    var url = new URL(window.location.href);
    var fragment = new URLSearchParams(url.hash.replace(/^#/, ""));
    var found = fragment.get("token") || url.searchParams.get("token");
    fragment.delete("token");
    url.searchParams.delete("token");
    var rest = fragment.toString();
    window.history.replaceState(null, "", url.pathname + url.search + (rest ? "#" + rest : ""));
    return found && /^[A-Za-z0-9._-]{16,4096}$/.test(found) ? found : null;
  }

  function el(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = String(value); } else { node.setAttribute(name, value === true ? "" : String(value)); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child !== null && child !== undefined) { node.append(child); }
    }
    return node;
  }

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "notice error" : "notice";
  }

  function date(value) {
    if (!value) { return "—"; }
    var parsed = new Date(value);
    if (isNaN(parsed.getTime())) { return String(value); }
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(parsed);
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (token) { headers.Authorization = "Bearer " + token; }
    var options = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(BASE + path, options).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (ignored) { data = null; }
        if (!response.ok) {
          var error = new Error(response.status === 401 ? t("expired") : response.status === 429 ? t("tooMany")
            : response.status === 400 ? t("checkInput") : t("failed"));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function fail(error) { say(error && error.message ? error.message : t("failed"), true); }

  function card(id, title, hint) {
    var heading = el("h2", { id: id + "-title", text: title });
    return el("section", { "class": "card", id: id, "aria-labelledby": id + "-title" }, heading,
      hint ? el("p", { "class": "hint", text: hint }) : null);
  }

  function switchControl(id, label, checked, disabled) {
    var input = el("input", { type: "checkbox", role: "switch", id: id, checked: checked, disabled: disabled });
    input.checked = !!checked;
    return { input: input, node: el("label", { "class": "switch", "for": id }, input, el("span", { text: label })) };
  }

  function textField(name, label, type, id) {
    id = id || "field-" + name.replace(/\./g, "-");
    var input = el("input", { type: type || "text", id: id, name: name, autocomplete: "off" });
    return { input: input, node: el("div", {}, el("label", { "for": id, text: label }), input) };
  }

  /* ------------------------------------------------------------------ signed in ---------------------------- */

  var CORRECTION_FIELDS = [["first_name", "f_first_name"], ["last_name", "f_last_name"], ["email", "f_email", "email"],
    ["billing.address_1", "f_address_1"], ["billing.city", "f_city"], ["billing.postcode", "f_postcode"],
    ["billing.country", "f_country"], ["billing.phone", "f_phone"]];

  function correctionFields(container) {
    var grid = el("div", { "class": "fields" });
    var inputs = CORRECTION_FIELDS.map(function (spec) {
      var field = textField(spec[0], t(spec[1]), spec[2]);
      grid.append(field.node);
      return field.input;
    });
    container.append(grid);
    return function changes() {
      var result = {};
      inputs.forEach(function (input) {
        var value = input.value.trim();
        if (!value) { return; }
        var parts = input.name.split(".");
        if (parts.length === 2) { result[parts[0]] = result[parts[0]] || {}; result[parts[0]][parts[1]] = value; }
        else { result[parts[0]] = value; }
      });
      return result;
    };
  }

  function cookiesCard(config, privacy) {
    var section = card("cookies", t("cookies"), t("cookiesHint"));
    var effective = (privacy.consent && privacy.consent.effective) || {};
    if (!privacy.consent || !privacy.consent.consent_id) { section.append(el("p", { text: t("noChoice") })); }
    var switches = {};
    (config.categories || []).forEach(function (category) {
      var control = switchControl("cookie-" + category.name,
        category.label + (category.locked ? " (" + t("alwaysOn") + ")" : ""), category.locked || effective[category.name] === true,
        category.locked);
      section.append(control.node, el("p", { "class": "hint", text: category.description }));
      if (category.locked) { return; }
      switches[category.name] = control.input;
      control.input.addEventListener("change", function () {
        var choices = {};
        Object.keys(switches).forEach(function (name) { choices[name] = switches[name].checked; });
        api("PUT", "account/privacy/consent", { action: "custom", choices: choices, policy_version: config.policy_version,
          locale: lang }).then(function () { say(t("saved")); }, fail);
      });
    });
    return section;
  }

  function marketingCard(privacy) {
    var section = card("marketing", t("marketing"), t("marketingHint"));
    var control = switchControl("marketing-switch", t("marketingSwitch"), privacy.marketing && privacy.marketing.email_marketing === true);
    control.input.addEventListener("change", function () {
      var wanted = control.input.checked;
      api("PUT", "account/privacy/marketing", { email_marketing: wanted }).then(function () { say(t("saved")); }, function (error) {
        control.input.checked = !wanted;
        fail(error);
      });
    });
    section.append(control.node);
    return section;
  }

  function dataCard(privacy) {
    var section = card("data", t("data"), t("dataHint"));
    var rows = privacy.data_categories || [];
    if (!rows.length) { section.append(el("p", { text: t("noData") })); return section; }
    var head = el("tr", {});
    ["category", "items", "retention", "atExpiry", "basis", "purpose"].forEach(function (key) { head.append(el("th", { scope: "col", text: t(key) })); });
    var body = el("tbody", {});
    rows.forEach(function (row) {
      body.append(el("tr", {},
        el("th", { scope: "row", text: String(row.category).replace(/_/g, " ") }),
        el("td", { "data-label": t("items"), text: row.items }),
        el("td", { "data-label": t("retention"), text: row.retention_days + " " + t("days") }),
        el("td", { "data-label": t("atExpiry"), text: t(row.action_at_expiry) }),
        el("td", { "data-label": t("basis"), text: row.legal_basis || "—" }),
        el("td", { "data-label": t("purpose"), text: row.purpose || "—" })));
    });
    section.append(el("div", { "class": "table-wrap" }, el("table", {}, el("thead", {}, head), body)));
    return section;
  }

  function exportCard(refresh) {
    var section = card("export", t("export"), t("exportHint"));
    var button = el("button", { type: "button", id: "export-button", text: t("exportButton") });
    var result = el("div", { id: "export-result", "aria-live": "polite" });
    button.addEventListener("click", function () {
      button.disabled = true;
      result.replaceChildren(el("p", { text: t("exportWaiting") }));
      api("POST", "account/export").then(function (made) {
        return poll(made.request_id, 0);
      }).then(function (view) {
        button.disabled = false;
        refresh();
        if (!view || !view.download) { result.replaceChildren(el("p", { text: t("s_" + (view && view.status)) })); return; }
        result.replaceChildren(el("p", { text: t("exportReady") }), el("div", { "class": "actions" },
          el("a", { "class": "button", id: "download-json", href: view.download.json, rel: "noopener noreferrer", text: t("downloadJson") }),
          el("a", { "class": "button", id: "download-html", href: view.download.html, rel: "noopener noreferrer", target: "_blank", text: t("downloadHtml") })));
      }).catch(function (error) { button.disabled = false; result.replaceChildren(); fail(error); });
    });
    section.append(el("div", { "class": "actions" }, button), result);
    return section;
  }

  function poll(requestId, tries) {
    return api("GET", "account/requests/" + encodeURIComponent(requestId)).then(function (view) {
      if (view.download || ["completed", "denied", "cancelled", "expired"].indexOf(view.status) >= 0 || tries >= POLL_TRIES) {
        return view;
      }
      return new Promise(function (resolve) { window.setTimeout(resolve, POLL_MS); }).then(function () { return poll(requestId, tries + 1); });
    });
  }

  function deletionCard(requests, refresh) {
    var grace = root.getAttribute("data-grace-days") || "7";
    var section = card("deletion", t("deletion"), t("deletionHint", { days: grace }));
    var area = el("div", { id: "deletion-area" });
    section.append(area);
    function showScheduled(request) {
      var cancel = el("button", { type: "button", "class": "secondary", id: "cancel-deletion", text: t("cancelDeletion") });
      cancel.addEventListener("click", function () {
        cancel.disabled = true;
        api("DELETE", "account/deletion/" + encodeURIComponent(request.request_id)).then(function () {
          say(t("deletionCancelled"));
          showForm();
          refresh();
        }, function (error) { cancel.disabled = false; fail(error); });
      });
      area.replaceChildren(el("p", { id: "deletion-scheduled", text: t("deletionScheduled", { date: date(request.execute_after) }) }),
        el("div", { "class": "actions" }, cancel));
    }
    function showForm() {
      var check = el("input", { type: "checkbox", id: "deletion-confirm" });
      var button = el("button", { type: "button", id: "deletion-button", text: t("deletionButton") });
      button.addEventListener("click", function () {
        if (!check.checked) { say(t("confirmFirst"), true); check.focus(); return; }
        button.disabled = true;
        api("POST", "account/deletion", { confirm: true }).then(function (made) {
          showScheduled(made);
          say(t("deletionScheduled", { date: date(made.execute_after) }));
          refresh();
        }, function (error) { button.disabled = false; fail(error); });
      });
      area.replaceChildren(el("label", { "class": "check", "for": "deletion-confirm" }, check, el("span", { text: t("deletionConfirm") })),
        el("div", { "class": "actions" }, button));
    }
    var open = requests.filter(function (r) { return r.type === "deletion" && r.status === "scheduled"; })[0];
    if (open) { showScheduled(open); } else { showForm(); }
    return section;
  }

  function restrictCard(refresh) {
    var section = card("restrict", t("restrict"), t("restrictHint"));
    var restrict = el("button", { type: "button", "class": "secondary", id: "restrict-button", text: t("restrictButton") });
    var object = el("button", { type: "button", "class": "secondary", id: "object-button", text: t("objectButton") });
    var check = el("input", { type: "checkbox", id: "restrict-confirm" });
    function send(button, path, done) {
      button.addEventListener("click", function () {
        if (!check.checked) { say(t("confirmFirst"), true); check.focus(); return; }
        button.disabled = true;
        api("POST", path, { confirm: true }).then(function () { say(t(done)); refresh(); }, fail)
          .then(function () { button.disabled = false; });
      });
    }
    send(restrict, "account/restriction", "restricted");
    send(object, "account/objection", "objected");
    section.append(el("label", { "class": "check", "for": "restrict-confirm" }, check, el("span", { text: t("restrictConfirm") })),
      el("div", { "class": "actions" }, restrict, object));
    return section;
  }

  function correctionCard(refresh) {
    var section = card("correction", t("correction"), t("correctionHint"));
    var form = el("form", { id: "correction-form", novalidate: true });
    var changes = correctionFields(form);
    form.append(el("div", { "class": "actions" }, el("button", { type: "submit", text: t("correctionButton") })));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var asked = changes();
      if (!Object.keys(asked).length) { say(t("nothingToCorrect"), true); return; }
      api("POST", "account/requests", { type: "correction", changes: asked }).then(function () {
        form.reset();
        say(t("corrected"));
        refresh();
      }, fail);
    });
    section.append(form);
    return section;
  }

  function historyCard() {
    var section = card("history", t("history"));
    var holder = el("div", { id: "history-table" });
    section.append(holder);
    function show(requests) {
      if (!requests.length) { holder.replaceChildren(el("p", { text: t("noRequests") })); return; }
      var head = el("tr", {});
      ["type", "status", "received", "due"].forEach(function (key) { head.append(el("th", { scope: "col", text: t(key) })); });
      var body = el("tbody", {});
      requests.forEach(function (request) {
        body.append(el("tr", { "data-request": request.request_id },
          el("td", { "data-label": t("type"), text: t("t_" + request.type) }),
          el("td", { "data-label": t("status"), text: t("s_" + request.status) }),
          el("td", { "data-label": t("received"), text: date(request.received_at) }),
          el("td", { "data-label": t("due"), text: request.status === "completed" || request.status === "cancelled" ? "—" : date(request.due_at) })));
      });
      holder.replaceChildren(el("div", { "class": "table-wrap" }, el("table", {}, el("thead", {}, head), body)));
    }
    return { node: section, show: show };
  }

  function signedIn() {
    say(t("loading"));
    Promise.all([api("GET", "consent/config"), api("GET", "account/privacy"), api("GET", "account/requests")])
      .then(function (answers) {
        var history = historyCard();
        var refresh = function () {
          api("GET", "account/requests").then(function (list) { history.show(list.requests || []); }, fail);
        };
        var requests = answers[2].requests || [];
        app.replaceChildren(cookiesCard(answers[0], answers[1]), marketingCard(answers[1]), dataCard(answers[1]),
          exportCard(refresh), correctionCard(refresh), restrictCard(refresh), deletionCard(requests, refresh), history.node);
        history.show(requests);
        say("");
        statusLine.className = "";
      }, fail);
  }

  /* ------------------------------------------------------------------ guests ------------------------------- */

  function guest() {
    var types = (root.getAttribute("data-guest-types") || "access").split(" ");
    var section = card("guest", t("guestForm"), t("guestIntro"));
    var form = el("form", { id: "guest-form", novalidate: true });
    var email = textField("email", t("email"), "email", "guest-email");
    email.input.setAttribute("autocomplete", "email");
    email.input.required = true;
    var select = el("select", { id: "guest-type", name: "type" });
    types.forEach(function (type) { select.append(el("option", { value: type, text: t("t_" + type) })); });
    var correction = el("fieldset", { id: "guest-correction", hidden: true }, el("legend", { text: t("correctionHint") }));
    var changes = correctionFields(correction);
    var button = el("button", { type: "submit", id: "guest-send", text: t("guestSend") });
    form.append(email.node, el("label", { "for": "guest-type", text: t("requestType") }), select, correction,
      el("div", { "class": "actions" }, button));
    select.addEventListener("change", function () { correction.hidden = select.value !== "correction"; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { email: email.input.value.trim(), type: select.value, language: lang };
      if (body.type === "correction") {
        var asked = changes();
        if (!Object.keys(asked).length) { say(t("nothingToCorrect"), true); return; }
        body.changes = asked;
      }
      button.disabled = true;
      api("POST", "privacy-requests", body).then(function () {
        form.reset();
        correction.hidden = true;
        say(t("guestAnswer"));
      }, fail).then(function () { button.disabled = false; });
    });
    section.append(form);
    var policy = root.getAttribute("data-privacy-policy");
    app.replaceChildren(section);
    if (policy) { app.append(el("p", {}, el("a", { href: policy, rel: "noopener noreferrer", text: t("policy") }))); }
  }

  document.documentElement.lang = lang;
  document.getElementById("title").textContent = t("title");
  document.title = t("title") + " · " + document.getElementById("store-name").textContent;
  if (token) { signedIn(); } else { guest(); }
})();
