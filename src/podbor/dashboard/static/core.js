/* podbor dashboard, part 1 of 3: what every view uses (DOM, formatting, the API, plots).
 *
 * Plain ES2017, no framework and no build step; the three scripts share one namespace,
 * window.podborDashboard. Every text that comes from the study (names, params, attributes,
 * notes) is set with textContent or as a text node, never parsed as HTML; the plots' strings
 * are escaped by the server, since plotly.js reads a subset of HTML in its labels.
 */
'use strict';

(function () {
  const STATES = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];
  const PAGE_SIZE = 50;
  const STUDY_POLL_MS = 500; // a /changes call with a cursor is cheap; half a second keeps 2 s under load
  const LIST_POLL_MS = 2000;
  const PLOT_REFRESH_MS = 4000;
  const app = { config: null, view: null, webgl: null, evalAllowed: undefined };

  /** Resolves once plotly.js has run (true) or failed to load (false). index.html loads it
   * after the page's scripts, so that the page asks the server for the study meanwhile. */
  const plotlyReady = new Promise(function (resolve) {
    const tag = document.getElementById('plotly-js');
    if (typeof window.Plotly !== 'undefined' || !tag) {
      resolve(typeof window.Plotly !== 'undefined');
      return;
    }
    tag.addEventListener('load', function () { resolve(typeof window.Plotly !== 'undefined'); });
    tag.addEventListener('error', function () { resolve(false); });
  });

  // -- DOM helpers: elements and text nodes only ------------------------------------------------
  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        const value = props[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else if (key === 'on') {
          for (const event of Object.keys(value)) node.addEventListener(event, value[event]);
        } else if (key === 'dataset') {
          for (const name of Object.keys(value)) node.dataset[name] = String(value[name]);
        } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'readOnly') {
          node[key] = value;
        } else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children === null || children === undefined) return node;
    for (const child of Array.isArray(children) ? children : [children]) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function studyHref(studyId) {
    return '#/studies/' + encodeURIComponent(String(studyId));
  }

  function trialHref(studyId, number) {
    return studyHref(studyId) + '/trials/' + encodeURIComponent(String(number));
  }

  // -- formatting ------------------------------------------------------------------------------
  function fmtNumber(value) {
    if (typeof value !== 'number') return String(value); // "inf", "-inf", "nan" come as text
    if (Number.isInteger(value)) return String(value);
    const short = Number(value.toPrecision(6));
    return String(short);
  }

  function fmt(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'number') return fmtNumber(value);
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  }

  function fmtFull(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    return JSON.stringify(value);
  }

  function fmtTime(iso) {
    if (!iso) return '';
    return String(iso).replace('T', ' ').replace(/\.\d+/, '');
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return '';
    if (typeof seconds !== 'number') return String(seconds);
    if (seconds < 60) return seconds.toFixed(seconds < 10 ? 2 : 1) + ' s';
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + ' min ' + Math.round(seconds - 60 * minutes) + ' s';
    return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  }

  function fmtValues(values) {
    if (!values) return '';
    return values.map(fmtNumber).join(', ');
  }

  function fmtDistribution(d) {
    if (!d) return '';
    if (d.type === 'categorical') return 'categorical: ' + (d.choices || []).map(fmt).join(', ');
    let text = d.type + ' [' + fmt(d.low) + ', ' + fmt(d.high) + ']';
    if (d.log) text += ', log';
    if (d.step !== null && d.step !== undefined) text += ', step ' + fmt(d.step);
    return text;
  }

  function fmtStates(states) {
    const parts = [];
    for (const name of STATES) {
      if (states && states[name]) parts.push(name + ' ' + states[name]);
    }
    return parts.join(' · ');
  }

  // -- errors, live status ---------------------------------------------------------------------
  function showError(message) {
    const box = byId('error');
    clear(box);
    append(box, [String(message), el('button', { type: 'button', text: 'Dismiss', on: { click: hideError } })]);
    box.hidden = false;
  }

  function hideError() {
    const box = byId('error');
    clear(box);
    box.hidden = true;
  }

  function setLive(ok, text) {
    const status = byId('live-status');
    status.textContent = text;
    status.classList.toggle('offline', !ok);
  }

  function liveNow() {
    const snapshot = app.config && app.config.snapshot;
    setLive(true, (snapshot ? 'snapshot · checked ' : 'live · updated ') + new Date().toLocaleTimeString());
  }

  // -- the API ---------------------------------------------------------------------------------
  async function api(path, options) {
    const opts = Object.assign({ method: 'GET', credentials: 'same-origin' }, options || {});
    const headers = { Accept: 'application/json' };
    if (opts.body !== undefined) {
      opts.body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
    if (opts.method !== 'GET' && app.config && app.config.csrf_token) {
      headers['X-CSRF-Token'] = app.config.csrf_token;
    }
    opts.headers = headers;
    let response;
    try {
      response = await fetch(path, opts);
    } catch (err) {
      throw new Error('The server cannot be reached (' + err.message + ').');
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      const why = body && typeof body.error === 'string' ? body.error : response.statusText;
      throw new Error(response.status + ': ' + why);
    }
    return body;
  }

  function studyApi(studyId, rest) {
    return '/api/studies/' + encodeURIComponent(String(studyId)) + (rest || '');
  }

  /** Runs `tick` now and then every `ms` after the previous one finished, until stopped. */
  function every(ms, tick) {
    const loop = { stopped: false, timer: null };
    async function run() {
      if (loop.stopped) return;
      try {
        await tick();
      } catch (err) {
        setLive(false, 'offline: ' + err.message);
      }
      if (!loop.stopped) loop.timer = setTimeout(run, ms);
    }
    loop.stop = function () {
      loop.stopped = true;
      clearTimeout(loop.timer);
    };
    run();
    return loop;
  }

  function hasWebGL() {
    if (app.webgl === null) {
      try {
        const canvas = document.createElement('canvas');
        app.webgl = !!(canvas.getContext('webgl') || canvas.getContext('experimental-webgl'));
      } catch (err) {
        app.webgl = false;
      }
    }
    return app.webgl;
  }

  /** Whether the page may compile code at run time: plotly.js's WebGL traces (regl) need it,
   * and a Content-Security-Policy without 'unsafe-eval' forbids it. */
  function canEval() {
    if (app.evalAllowed === undefined) {
      try {
        app.evalAllowed = typeof new Function('return 1') === 'function';
      } catch (err) {
        app.evalAllowed = false;
      }
    }
    return app.evalAllowed;
  }

  /** The traces to draw: WebGL ones become SVG ones where WebGL cannot be used. */
  function traces(figure, forceSvg) {
    const gl = !forceSvg && hasWebGL() && canEval();
    return (figure.data || []).map(function (trace) {
      if (trace.type === 'scattergl' && !gl) return Object.assign({}, trace, { type: 'scatter' });
      return trace;
    });
  }

  /** Draws (or redraws) a figure from the API into `node`. */
  async function drawFigure(node, figure) {
    const layout = Object.assign({}, figure.layout || {});
    delete layout.width;
    layout.autosize = true;
    if (!layout.height) layout.height = 420;
    const config = { responsive: true, displaylogo: false };
    if (!(await plotlyReady)) throw new Error('plotly.js did not load; the plots cannot be drawn.');
    await Plotly.react(node, traces(figure, false), layout, config);
    if (node.querySelector('.no-webgl')) { // plotly.js could not start WebGL after all
      app.webgl = false;
      Plotly.purge(node);
      await Plotly.react(node, traces(figure, true), layout, config);
    }
  }

  function kvTable(object, emptyText) {
    const keys = Object.keys(object || {}).sort();
    if (!keys.length) return el('p', { className: 'muted', text: emptyText });
    return el('table', { className: 'grid kv' }, [
      el('thead', null, el('tr', null, [el('th', { text: 'Key' }), el('th', { text: 'Value' })])),
      el('tbody', null, keys.map(function (key) {
        return el('tr', null, [el('td', { text: key }), el('td', { text: fmtFull(object[key]) })]);
      })),
    ]);
  }

  function setBreadcrumb(parts) {
    append(clear(byId('breadcrumb')), parts);
  }

  /** A small form that finishes a RUNNING/WAITING trial by hand (POST .../tell). */
  function tellForm(studyId, number, nObjectives, done) {
    const state = el('select', { className: 'tell-state' }, ['COMPLETE', 'PRUNED', 'FAIL'].map(function (s) {
      return el('option', { value: s, text: s });
    }));
    const values = el('input', {
      type: 'text',
      className: 'tell-values',
      placeholder: nObjectives > 1 ? nObjectives + ' values, comma-separated' : 'value',
    });
    const submit = el('button', {
      type: 'button',
      className: 'tell-submit',
      text: 'Tell',
      on: {
        click: async function () {
          let parsed = null;
          if (state.value === 'COMPLETE' || values.value.trim()) {
            const parts = values.value.split(',').map(function (v) { return v.trim(); });
            parsed = parts.map(Number);
            if (parts.some(function (v, i) { return v === '' || Number.isNaN(parsed[i]); })) {
              showError('The values must be numbers, separated by commas.');
              return;
            }
          }
          try {
            await api(studyApi(studyId, '/trials/' + encodeURIComponent(String(number)) + '/tell'), {
              method: 'POST',
              body: { state: state.value, values: parsed },
            });
            done();
          } catch (err) {
            showError(err.message);
          }
        },
      },
    });
    return el('span', { className: 'tell-form', dataset: { number: number } }, [state, values, submit]);
  }

  window.podborDashboard = {
    STATES: STATES,
    PAGE_SIZE: PAGE_SIZE,
    STUDY_POLL_MS: STUDY_POLL_MS,
    LIST_POLL_MS: LIST_POLL_MS,
    PLOT_REFRESH_MS: PLOT_REFRESH_MS,
    app: app,
    el: el,
    append: append,
    clear: clear,
    byId: byId,
    studyHref: studyHref,
    trialHref: trialHref,
    fmtNumber: fmtNumber,
    fmt: fmt,
    fmtFull: fmtFull,
    fmtTime: fmtTime,
    fmtDuration: fmtDuration,
    fmtValues: fmtValues,
    fmtDistribution: fmtDistribution,
    fmtStates: fmtStates,
    showError: showError,
    hideError: hideError,
    setLive: setLive,
    liveNow: liveNow,
    api: api,
    studyApi: studyApi,
    every: every,
    drawFigure: drawFigure,
    plotlyReady: plotlyReady,
    kvTable: kvTable,
    setBreadcrumb: setBreadcrumb,
    tellForm: tellForm,
  };
})();
