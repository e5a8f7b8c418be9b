/* The store's consent banner (issue 14): one tag, no framework, no build step.
   <script src="https://API/consent.js" data-api="https://API"></script>  -- first in <head>, neither async nor defer.
   Reads GET /consent/config, records every choice with POST /consent, blocks
   <script type="text/plain" data-category="..."> until the category is granted.  docs/consent.md, "The banner". */
(function (w, d) {
  'use strict';
  var me = d.currentScript;
  var API = ((me && me.getAttribute('data-api')) || (me ? new URL(me.src).origin : '')).replace(/\/+$/, '');
  var COOKIE = 'privacy_consent';
  var DAY = 864e5;
  var SIGNALS = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
    'functionality_storage', 'personalization_storage', 'security_storage'];

  /* All text, one place per language; chosen from <html lang>.  Category names here win over the policy's
     (English) label in a language that has them. */
  var TEXTS = {
    en: {title: 'Your privacy choices', body: 'We use cookies and similar tools. ' +
      'Essential ones keep the shop working. Others are used only if you agree. ' +
      'You can change your choice at any time.', accept: 'Accept all',
      reject: 'Reject all', customise: 'Customise', save: 'Save choices', policy: 'Privacy policy',
      cookies: 'Cookie policy', on: 'On', off: 'Off', locked: 'Always on', vendors: 'Providers',
      cookieList: 'Cookies', none: 'None', gpc: 'Off: your browser sends a Global Privacy Control signal.',
      settings: 'Cookie settings', cats: {}},
    de: {title: 'Ihre Datenschutz-Einstellungen', body: 'Wir verwenden Cookies und ähnliche Techniken. Notwendige ' +
      'halten den Shop in Betrieb. Andere nur mit Ihrer Zustimmung. Sie können Ihre Wahl jederzeit ändern.',
      accept: 'Alle akzeptieren', reject: 'Alle ablehnen', customise: 'Anpassen', save: 'Auswahl speichern',
      policy: 'Datenschutzerklärung', cookies: 'Cookie-Richtlinie', on: 'An', off: 'Aus', locked: 'Immer an',
      vendors: 'Anbieter', cookieList: 'Cookies', none: 'Keine',
      gpc: 'Aus: Ihr Browser sendet ein Global-Privacy-Control-Signal.', settings: 'Cookie-Einstellungen',
      cats: {essential: 'Notwendig', preferences: 'Präferenzen', analytics: 'Statistik', marketing: 'Marketing',
        support: 'Kundendienst'}},
    et: {title: 'Teie privaatsusvalikud', body: 'Kasutame küpsiseid ja sarnaseid vahendeid. Vajalikud hoiavad poe ' +
      'töös. Teisi kasutame ainult teie nõusolekul. Valikut saab igal ajal muuta.', accept: 'Nõustu kõigiga',
      reject: 'Keeldu kõigist', customise: 'Kohanda', save: 'Salvesta valikud', policy: 'Privaatsuspoliitika',
      cookies: 'Küpsiste poliitika', on: 'Sees', off: 'Väljas', locked: 'Alati sees', vendors: 'Teenusepakkujad',
      cookieList: 'Küpsised', none: 'Puuduvad', gpc: 'Väljas: teie brauser saadab Global Privacy Control signaali.',
      settings: 'Küpsiste seaded',
      cats: {essential: 'Vajalikud', preferences: 'Eelistused', analytics: 'Statistika', marketing: 'Turundus',
        support: 'Klienditugi'}}
  };
  var lang = (d.documentElement.lang || 'en').slice(0, 2).toLowerCase();
  if (!TEXTS[lang]) lang = 'en';
  var T = TEXTS[lang];

  /* Google Consent Mode v2: everything denied before any tag runs (this script is synchronous). */
  w.dataLayer = w.dataLayer || [];
  if (typeof w.gtag !== 'function') w.gtag = function () { w.dataLayer.push(arguments); };
  /* The store policy's [consent_mode] (written in by GET /consent.js): regions where consent is needed. */
  var MODE = {"regions": [], "wait_for_update_ms": 500};
  var defaults = {wait_for_update: MODE.wait_for_update_ms};
  SIGNALS.forEach(function (s) { defaults[s] = 'denied'; });
  if (MODE.regions.length) {
    defaults.region = MODE.regions;  /* denied there until a choice; granted elsewhere */
    var elsewhere = {};
    SIGNALS.forEach(function (s) { elsewhere[s] = 'granted'; });
    w.gtag('consent', 'default', elsewhere);
  }
  w.gtag('consent', 'default', defaults);

  var cfg = null, state = null, root = null, lastFocus = null;
  var gpc = w.navigator.globalPrivacyControl === true;

  function readState() {
    var m = d.cookie.match(new RegExp('(?:^|; )' + COOKIE + '=([^;]*)'));
    if (!m) return null;
    try { var s = JSON.parse(decodeURIComponent(m[1])); return s && typeof s === 'object' ? s : null; }
    catch (e) { return null; }
  }
  function writeState(s) {
    var secure = w.location.protocol === 'https:' ? '; Secure' : '';
    d.cookie = COOKIE + '=' + encodeURIComponent(JSON.stringify(s)) + '; Max-Age=' + 400 * 86400 +
      '; Path=/; SameSite=Lax' + secure;
  }
  function visitorId() {
    if (state && /^[A-Za-z0-9._~:-]{8,128}$/.test(state.v || '')) return state.v;
    if (w.crypto.randomUUID) return w.crypto.randomUUID();
    return Array.prototype.map.call(w.crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1); }).join('');
  }
  function optional() { return cfg.categories.filter(function (c) { return !c.locked; }); }
  function gpcBlocks(name) { return gpc && name === 'marketing'; }
  function granted(choices, cat) { return cat.locked || (choices[cat.name] === true && !gpcBlocks(cat.name)); }
  function valid(s) { return s && s.c && s.p === cfg.policy_version && Date.now() < (s.e || 0); }

  /* Blocked scripts: a copy of each one that is now allowed, in document order, once. */
  function runScripts(choices) {
    var allowed = {};
    cfg.categories.forEach(function (c) { allowed[c.name] = granted(choices, c); });
    d.querySelectorAll('script[type="text/plain"][data-category]').forEach(function (old) {
      if (old.hasAttribute('data-consent-ran') || !allowed[old.getAttribute('data-category')]) return;
      old.setAttribute('data-consent-ran', '');
      var s = d.createElement('script');
      Array.prototype.forEach.call(old.attributes, function (a) {
        if (a.name !== 'type' && a.name !== 'data-consent-ran') s.setAttribute(a.name, a.value);
      });
      if (old.nonce) s.nonce = old.nonce;
      if (old.src) s.async = false; else s.text = old.text;
      old.parentNode.insertBefore(s, old.nextSibling);
    });
  }
  /* A denied category (withdrawal included): its cookies the policy names that this page can see
     (first-party: on the store's own domain, whoever set them); "name_*" is a prefix. */
  function deleteCookies(cat) {
    var names = d.cookie.split('; ').map(function (p) { return p.split('=')[0]; });
    cat.cookies.forEach(function (ck) {
      var star = ck.name.slice(-1) === '*', stem = star ? ck.name.slice(0, -1) : ck.name;
      names.forEach(function (n) {
        if (n === COOKIE || !(star ? n.indexOf(stem) === 0 : n === stem)) return;
        var host = w.location.hostname.split('.');
        for (var i = 0; i < host.length; i++) {
          var dom = i ? '; Domain=.' + host.slice(i).join('.') : '';
          d.cookie = n + '=; Max-Age=0; Path=/' + dom;
        }
      });
    });
  }
  function vendorCalls(choices) {
    cfg.categories.forEach(function (cat) {
      var on = granted(choices, cat);
      cat.vendors.forEach(function (v) {
        if (/(^|_)(meta|facebook|fb)(_|$)/i.test(v.key) && typeof w.fbq === 'function') {
          w.fbq('consent', on ? 'grant' : 'revoke');
        }
        if (/tiktok/i.test(v.key) && w.ttq) {
          if (on && w.ttq.grantConsent) w.ttq.grantConsent();
          if (!on && w.ttq.revokeConsent) w.ttq.revokeConsent();
        }
      });
    });
  }
  function apply(choices) {
    var update = {};
    SIGNALS.forEach(function (s) { update[s] = 'denied'; });
    cfg.categories.forEach(function (cat) {
      var on = granted(choices, cat);
      cat.consent_mode.forEach(function (s) { if (on) update[s] = 'granted'; });
      if (!on) deleteCookies(cat);  /* a withdrawal, or left over from before */
    });
    w.gtag('consent', 'update', update);
    runScripts(choices);
    vendorCalls(choices);
  }
  function get() {
    if (!cfg || !valid(state)) return null;
    var out = {};
    cfg.categories.forEach(function (c) { out[c.name] = granted(state.c, c); });
    return {policy_version: state.p, visitor_id: state.v, choices: out, gpc: gpc};
  }

  function record(s) {
    var body = {action: s.a, policy_version: s.p, visitor_id: s.v, source: 'banner', locale: lang};
    if (s.a === 'custom') {
      body.choices = {};
      optional().forEach(function (c) { body.choices[c.name] = s.c[c.name] === true; });
    }
    return w.fetch(API + '/consent', {method: 'POST', mode: 'cors', credentials: 'omit', keepalive: true,
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (receipt) {
        if (!receipt) return;
        s.s = 1;
        var until = Date.parse(receipt.needs_reconsent_after);
        if (!isNaN(until)) s.e = until;
        writeState(s);
      })['catch'](function () { /* kept unsent (s.s absent): sent again on the next page */ });
  }
  function choose(action, choices) {
    var before = valid(state) ? state.c : null;
    if (action === 'reject_all' && before && optional().some(function (c) { return before[c.name]; })) {
      action = 'withdraw';
    }
    state = {v: visitorId(), p: cfg.policy_version, c: choices, a: action, t: Date.now(), e: Date.now() + 180 * DAY};
    writeState(state);
    close();
    apply(choices);
    w.dispatchEvent(new CustomEvent('privacy:consent', {detail: get()}));
    return record(state);
  }
  function all(on) {
    var c = {};
    optional().forEach(function (cat) { c[cat.name] = on && !gpcBlocks(cat.name); });
    return c;
  }

  /* The dialog: built with DOM calls and textContent only (no HTML parsing, no inline style: CSP-safe);
     styles from consent.css. */
  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function button(text, onClick) {
    var b = el('button', 'pc-btn', text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }
  function category(cat, choices) {
    var box = el('div', 'pc-cat');
    var head = el('div', 'pc-cat-head');
    var id = 'pc-cat-' + cat.name;
    var input = el('input');
    input.type = 'checkbox';
    input.id = id;
    input.setAttribute('role', 'switch');
    input.setAttribute('data-category', cat.name);
    var status = el('span', 'pc-state');
    status.id = id + '-state';
    input.setAttribute('aria-describedby', id + '-state ' + id + '-desc');
    if (cat.locked || gpcBlocks(cat.name)) {
      input.checked = !!cat.locked;
      input.disabled = true;
      status.textContent = cat.locked ? T.locked : T.gpc;
    } else {
      input.checked = choices[cat.name] === true;
      var show = function () { status.textContent = input.checked ? T.on : T.off; };
      input.addEventListener('change', show);
      show();
    }
    var label = el('label', 'pc-cat-name', T.cats[cat.name] || cat.label);
    label.htmlFor = id;
    head.appendChild(input);
    head.appendChild(label);
    head.appendChild(status);
    box.appendChild(head);
    var desc = el('p', 'pc-desc', cat.description);
    desc.id = id + '-desc';
    box.appendChild(desc);
    var more = el('details');
    more.appendChild(el('summary', null, T.vendors + ' (' + cat.vendors.length + '), ' + T.cookieList + ' (' +
      cat.cookies.length + ')'));
    var vl = el('ul');
    cat.vendors.forEach(function (v) { vl.appendChild(el('li', null, v.name + ' (' + v.country + '): ' +
      v.purposes.join(', '))); });
    if (!cat.vendors.length) vl.appendChild(el('li', null, T.vendors + ': ' + T.none));
    var cl = el('ul');
    cat.cookies.forEach(function (c) { cl.appendChild(el('li', null, c.name + ' (' + c.duration + '): ' +
      c.purpose)); });
    if (!cat.cookies.length) cl.appendChild(el('li', null, T.cookieList + ': ' + T.none));
    more.appendChild(vl);
    more.appendChild(cl);
    box.appendChild(more);
    return box;
  }
  function trap(ev) {
    if (ev.key === 'Escape' && valid(state)) { close(); return; }
    if (ev.key !== 'Tab') return;
    var items = Array.prototype.filter.call(root.querySelectorAll('button, input, summary, a[href]'),
      function (x) { return !x.disabled && x.offsetParent !== null; });
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (ev.shiftKey && d.activeElement === first) { last.focus(); ev.preventDefault(); }
    else if (!ev.shiftKey && d.activeElement === last) { first.focus(); ev.preventDefault(); }
    else if (!root.contains(d.activeElement)) { first.focus(); ev.preventDefault(); }
  }
  function close() {
    if (!root) return;
    root.remove();
    root = null;
    d.removeEventListener('keydown', trap, true);
    if (lastFocus && lastFocus.focus) lastFocus.focus();
  }
  function open(customise) {
    if (!cfg) return;
    close();
    lastFocus = d.activeElement;
    var current = valid(state) ? state.c : {};
    root = el('div', 'pc-root');
    root.id = 'privacy-consent';
    var box = el('div', 'pc-dialog');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'pc-title');
    box.setAttribute('aria-describedby', 'pc-body');
    box.setAttribute('lang', lang);
    var title = el('h2', 'pc-title', T.title);
    title.id = 'pc-title';
    var text = el('p', 'pc-body', T.body);
    text.id = 'pc-body';
    box.appendChild(title);
    box.appendChild(text);
    var links = el('p', 'pc-links');
    links.appendChild(el('span', 'pc-controller', cfg.controller));
    [[T.policy, cfg.privacy_policy_url], [T.cookies, cfg.cookie_policy_url]].forEach(function (l, i) {
      if (!l[1] || !/^https?:/.test(l[1]) || (i === 1 && l[1] === cfg.privacy_policy_url)) return;
      var a = el('a', null, l[0]);
      a.href = l[1];
      links.appendChild(a);
    });
    box.appendChild(links);
    var cats = el('div', 'pc-cats');
    if (!customise) cats.hidden = true;
    cfg.categories.forEach(function (c) { cats.appendChild(category(c, current)); });
    box.appendChild(cats);
    var actions = el('div', 'pc-actions');
    actions.appendChild(button(T.accept, function () { choose('accept_all', all(true)); }));
    actions.appendChild(button(T.reject, function () { choose('reject_all', all(false)); }));
    var custom = button(customise ? T.save : T.customise, function () {
      if (cats.hidden) {
        cats.hidden = false;
        custom.textContent = T.save;
        cats.querySelector('input:not([disabled])') ? cats.querySelector('input:not([disabled])').focus()
          : custom.focus();
        return;
      }
      var c = {};
      cats.querySelectorAll('input[data-category]').forEach(function (i) {
        if (!i.disabled) c[i.getAttribute('data-category')] = i.checked;
      });
      optional().forEach(function (cat) { if (!(cat.name in c)) c[cat.name] = false; });
      choose('custom', c);
    });
    custom.setAttribute('data-action', 'customise');
    actions.appendChild(custom);
    box.appendChild(actions);
    root.appendChild(box);
    d.body.appendChild(root);
    d.addEventListener('keydown', trap, true);
    box.querySelector('.pc-btn').focus();
  }

  function start(config) {
    cfg = config;
    state = readState();
    if (valid(state)) {
      apply(state.c);
      if (state.s !== 1) record(state);
    } else {
      vendorCalls({});
      open(false);
    }
  }
  function whenReady(fn) {
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', fn); else fn();
  }

  /* The stylesheet first (no unstyled flash): the dialog waits for it, 3 s at most. */
  var css = d.createElement('link');
  css.rel = 'stylesheet';
  css.href = API + '/consent.css';
  var styled = new Promise(function (ok) {
    css.addEventListener('load', ok);
    css.addEventListener('error', ok);
    w.setTimeout(ok, 3000);
  });
  d.head.appendChild(css);

  var ready = w.fetch(API + '/consent/config', {mode: 'cors', credentials: 'omit'})
    .then(function (r) { if (!r.ok) throw new Error('consent config: HTTP ' + r.status); return r.json(); })
    .then(function (config) {
      return styled.then(function () {
        return new Promise(function (ok) { whenReady(function () { start(config); ok(); }); });
      });
    })['catch'](function (e) { /* fails closed: nothing granted, nothing run */ w.console.warn(e); });
  w.privacyConsent = {
    open: function () { ready.then(function () { open(true); }); },
    get: get,
    ready: ready
  };
})(window, document);
