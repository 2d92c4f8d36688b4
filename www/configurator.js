// The demo page's "Configure it" section: its controls restyle and reconfigure the running
// #dashboard element, and the snippet below them shows the markup and CSS for the same result.
//
// The element is touched only when the user changes a control, so until then it runs with its
// own defaults. Custom properties go through el.style.setProperty / removeProperty (CSSOM,
// allowed under `style-src 'self'`, unlike style="" attributes).

/** The attributes the configurator may set, in the order the snippet lists them. */
const ATTRIBUTES = ['theme', 'locale', 'page-size', 'channels', 'sections'];

/** The parts of the `sections` attribute, in card order. */
const SECTIONS = ['link', 'stats', 'rewards', 'referrals'];

/** The share actions of the `channels` attribute, in their documented order. */
const CHANNELS = ['native', 'email', 'x', 'whatsapp', 'linkedin', 'facebook', 'telegram', 'sms'];
const DEFAULT_CHANNELS = ['native', 'email', 'x', 'whatsapp', 'linkedin'];

/** The element's colour defaults (README, "Theming"), shown by colour controls not yet changed. */
const COLOUR_DEFAULTS = {
  light: { '--rd-color-primary': '#2563eb', '--rd-color-surface': '#ffffff', '--rd-color-text': '#111827' },
  dark: { '--rd-color-primary': '#93c5fd', '--rd-color-surface': '#111827', '--rd-color-text': '#f9fafb' },
};

const DEFAULTS = { theme: 'auto', locale: 'en', pageSize: 5, radius: 12, spacing: 16 };
const PAGE_SIZE_MIN = 1;
const PAGE_SIZE_MAX = 20;

function setUp() {
  const dashboard = document.querySelector('#dashboard');
  const form = document.querySelector('#configurator');
  if (!dashboard || !form) return;

  const $ = (selector) => form.querySelector(selector);
  const colours = [
    { input: $('#cfg-primary'), property: '--rd-color-primary' },
    { input: $('#cfg-surface'), property: '--rd-color-surface' },
    { input: $('#cfg-text'), property: '--rd-color-text' },
  ];
  const lengths = [
    { input: $('#cfg-radius'), output: $('#cfg-radius-out'), property: '--rd-radius', initial: DEFAULTS.radius },
    { input: $('#cfg-spacing'), output: $('#cfg-spacing-out'), property: '--rd-spacing', initial: DEFAULTS.spacing },
  ];
  const theme = $('#cfg-theme');
  const locale = $('#cfg-locale');
  const pageSize = $('#cfg-page-size');
  const channelBoxes = [...form.querySelectorAll('input[name="channel"]')];
  const sectionBoxes = [...form.querySelectorAll('input[name="section"]')];
  const offerInput = $('#cfg-offer');
  const initialOffer = offerInput.defaultValue;
  const reset = $('#cfg-reset');
  const status = $('#cfg-status');
  const snippet = document.querySelector('#cfg-snippet');
  const properties = [...colours, ...lengths].map((control) => control.property);
  const prefersDark = window.matchMedia('(prefers-color-scheme: dark)');

  /** The theme the element renders with now: its attribute, else the system's preference. */
  const effectiveTheme = () => {
    const value = dashboard.getAttribute('theme');
    if (value === 'light' || value === 'dark') return value;
    return prefersDark.matches ? 'dark' : 'light';
  };

  /** Colour controls the user has not changed show the element's default for its theme. */
  const syncColourDefaults = () => {
    const defaults = COLOUR_DEFAULTS[effectiveTheme()];
    for (const { input, property } of colours) {
      if (dashboard.style.getPropertyValue(property) === '') input.value = defaults[property];
    }
  };

  const escapeAttribute = (value) => value.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  const escapeText = (value) => value.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

  /** The element's slotted offer text, or null when it has none. */
  const offerText = () => dashboard.querySelector(':scope > [slot="offer"]')?.textContent ?? null;

  /** Sets the offer (text only: a host's words, never markup), or removes it when empty. */
  const setOffer = (text) => {
    let offer = dashboard.querySelector(':scope > [slot="offer"]');
    if (text.trim() === '') return offer?.remove();
    if (!offer) {
      offer = document.createElement('p');
      offer.slot = 'offer';
      dashboard.append(offer);
    }
    offer.textContent = text;
  };

  /** Rewrites the snippet from the element's actual state, so the two always agree. */
  const renderSnippet = () => {
    const attributes = [['endpoint', dashboard.getAttribute('endpoint') ?? '/api/referral-dashboard']];
    for (const name of ATTRIBUTES) {
      const value = dashboard.getAttribute(name);
      if (value !== null) attributes.push([name, value]);
    }
    const declarations = properties
      .map((property) => [property, dashboard.style.getPropertyValue(property).trim()])
      .filter(([, value]) => value !== '');
    const lines = [
      '<!-- HTML -->',
      '<referrer-dashboard',
      ...attributes.map(([name, value]) => `  ${name}="${escapeAttribute(value)}"`),
      ...(offerText() === null ? ['></referrer-dashboard>'] : ['>', `  <p slot="offer">${escapeText(offerText())}</p>`, '</referrer-dashboard>']),
      '',
      '/* CSS */',
      'referrer-dashboard {',
      ...(declarations.length > 0
        ? declarations.map(([property, value]) => `  ${property}: ${value};`)
        : ['  /* the defaults apply: change a control above */']),
      '}',
    ];
    snippet.textContent = lines.join('\n');
  };

  const changed = () => {
    status.textContent = '';
    renderSnippet();
  };

  for (const { input, property } of colours) {
    input.addEventListener('input', () => {
      dashboard.style.setProperty(property, input.value);
      changed();
    });
  }

  for (const { input, output, property } of lengths) {
    input.addEventListener('input', () => {
      const value = `${input.value}px`;
      output.value = value;
      dashboard.style.setProperty(property, value);
      changed();
    });
  }

  theme.addEventListener('change', () => {
    dashboard.setAttribute('theme', theme.value);
    syncColourDefaults();
    changed();
  });

  locale.addEventListener('change', () => {
    dashboard.setAttribute('locale', locale.value);
    changed();
  });

  const validPageSize = () => {
    const value = pageSize.valueAsNumber;
    return Number.isInteger(value) && value >= PAGE_SIZE_MIN && value <= PAGE_SIZE_MAX ? value : null;
  };
  pageSize.addEventListener('input', () => {
    const value = validPageSize();
    if (value === null) return; // mid-typing or out of range: wait for a valid number
    if (dashboard.getAttribute('page-size') === String(value)) return;
    dashboard.setAttribute('page-size', String(value));
    changed();
  });
  pageSize.addEventListener('change', () => {
    // Leaving the field with something invalid: show what the element actually uses.
    if (validPageSize() === null) pageSize.value = dashboard.getAttribute('page-size') ?? String(DEFAULTS.pageSize);
  });

  for (const box of channelBoxes) {
    box.addEventListener('change', () => {
      const chosen = new Set(channelBoxes.filter((b) => b.checked).map((b) => b.value));
      dashboard.setAttribute('channels', CHANNELS.filter((channel) => chosen.has(channel)).join(' '));
      changed();
    });
  }

  for (const box of sectionBoxes) {
    box.addEventListener('change', () => {
      const chosen = sectionBoxes.filter((b) => b.checked).map((b) => b.value);
      if (chosen.length === SECTIONS.length) dashboard.removeAttribute('sections');
      else dashboard.setAttribute('sections', chosen.join(' '));
      changed();
      if (chosen.length === 0) status.textContent = 'No part chosen: the element shows them all.';
    });
  }

  offerInput.addEventListener('input', () => {
    setOffer(offerInput.value);
    changed();
  });

  reset.addEventListener('click', () => {
    for (const name of ATTRIBUTES) dashboard.removeAttribute(name);
    for (const property of properties) dashboard.style.removeProperty(property);
    if (dashboard.getAttribute('style') === '') dashboard.removeAttribute('style');

    theme.value = DEFAULTS.theme;
    locale.value = DEFAULTS.locale;
    pageSize.value = String(DEFAULTS.pageSize);
    for (const box of channelBoxes) box.checked = DEFAULT_CHANNELS.includes(box.value);
    for (const box of sectionBoxes) box.checked = true;
    offerInput.value = initialOffer;
    setOffer(initialOffer);
    for (const { input, output, initial } of lengths) {
      input.value = String(initial);
      output.value = `${initial}px`;
    }
    syncColourDefaults();
    renderSnippet();
    status.textContent = 'Back to the defaults.';
  });

  // Nothing here submits anything (Enter in the number field would otherwise reload the page).
  form.addEventListener('submit', (event) => event.preventDefault());

  prefersDark.addEventListener('change', syncColourDefaults);
  syncColourDefaults();
  renderSnippet();
}

setUp();
