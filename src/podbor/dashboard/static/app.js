/* podbor dashboard, part 3 of 3: the studies, a trial, and the routes (the page's entry point).
 *
 * Plain ES2017, no framework and no build step. Routes live in the hash: #/ (the studies),
 * #/studies/{id} (a study) and #/studies/{id}/trials/{number} (a trial). Every text that comes
 * from the study (names, params, attributes, notes) is set with textContent or as a text node,
 * never parsed as HTML; the plots' strings are escaped by the server, since plotly.js reads a
 * subset of HTML in its labels. Sorting, filtering and paging of the trials happen on the
 * server; the page polls /changes with a cursor to stay live.
 */
'use strict';

(function () {
  const D = window.podborDashboard;
  const {
    STATES,
    STUDY_POLL_MS,
    LIST_POLL_MS,
    app,
    el,
    append,
    clear,
    byId,
    studyHref,
    trialHref,
    fmtNumber,
    fmtFull,
    fmtTime,
    fmtDuration,
    fmtValues,
    fmtDistribution,
    showError,
    hideError,
    setLive,
    liveNow,
    api,
    studyApi,
    every,
    drawFigure,
    kvTable,
    setBreadcrumb,
    tellForm,
  } = D;

  // -- the studies -----------------------------------------------------------------------------
  class StudiesView {
    constructor() {
      this.studies = [];
      this.loop = null;
    }

    start() {
      document.title = 'Studies · podbor dashboard';
      setBreadcrumb([]);
      const root = clear(byId('view'));
      this.filter = el('input', {
        id: 'study-filter',
        type: 'search',
        placeholder: 'part of the name',
        on: { input: () => this.draw() },
      });
      this.count = el('span', { className: 'muted' });
      const headers = ['Name', 'Directions', 'Trials'].concat(STATES.map(function (s) {
        return s.charAt(0) + s.slice(1).toLowerCase();
      }), ['Best', 'Started', 'Last activity']);
      this.tbody = el('tbody');
      const storage = app.config.storage ? 'Storage: ' + app.config.storage : '';
      const snapshot = app.config.snapshot ? ' (an Optuna-format storage, read once when the server started: not live)' : '';
      append(root, [
        el('h1', { text: 'Studies' }),
        el('p', { className: 'muted', id: 'storage', text: storage + snapshot }),
        el('div', { className: 'controls' }, [el('label', null, ['Name contains ', this.filter]), this.count]),
        el('table', { id: 'studies-table', className: 'grid' }, [
          el('thead', null, el('tr', null, headers.map(function (h) { return el('th', { text: h }); }))),
          this.tbody,
        ]),
      ]);
      this.loop = every(LIST_POLL_MS, () => this.load());
    }

    stop() {
      if (this.loop) this.loop.stop();
    }

    async load() {
      const body = await api('/api/studies');
      this.studies = body.studies;
      this.draw();
      liveNow();
    }

    draw() {
      const needle = this.filter.value.toLowerCase();
      const shown = this.studies.filter(function (s) {
        return String(s.name).toLowerCase().indexOf(needle) >= 0;
      });
      clear(this.tbody);
      for (const s of shown) {
        const best = s.best_values ? fmtValues(s.best_values) : (s.n_best ? s.n_best + ' Pareto-optimal' : '');
        const cells = [
          el('td', null, el('a', { href: studyHref(s.study_id), className: 'study-name', text: s.name })),
          el('td', { text: (s.directions || []).join(', ') }),
          el('td', { className: 'num', text: s.n_trials }),
        ].concat(STATES.map(function (name) {
          return el('td', { className: 'num state-' + name, text: (s.states && s.states[name]) || 0 });
        }), [
          el('td', { className: 'num', text: best }),
          el('td', { text: fmtTime(s.datetime_start) }),
          el('td', { text: fmtTime(s.last_activity) }),
        ]);
        this.tbody.appendChild(el('tr', { dataset: { studyId: s.study_id } }, cells));
      }
      if (!this.studies.length) {
        this.tbody.appendChild(el('tr', null, el('td', { colspan: 11, className: 'muted', text: 'No studies in this storage.' })));
      }
      this.count.textContent = shown.length + ' of ' + this.studies.length + ' studies';
    }
  }

  // -- a trial ---------------------------------------------------------------------------------
  class TrialView {
    constructor(studyId, number) {
      this.studyId = studyId;
      this.number = number;
      this.stopped = false;
      this.loop = null;
      this.cursor = 0;
    }

    async start() {
      const root = clear(byId('view'));
      append(root, el('p', { className: 'muted', text: 'Loading the trial…' }));
      try {
        const [study, trial] = await Promise.all([
          api(studyApi(this.studyId)),
          api(studyApi(this.studyId, '/trials/' + encodeURIComponent(String(this.number)))),
        ]);
        if (this.stopped) return;
        this.study = study;
        this.cursor = study.cursor;
        this.render(trial);
      } catch (err) {
        showError(err.message);
        clear(root);
        append(root, [el('h1', { text: 'Trial not shown' }), el('p', null, el('a', { href: studyHref(this.studyId), text: 'Back to the study' }))]);
        return;
      }
      this.loop = every(STUDY_POLL_MS, () => this.tick());
    }

    stop() {
      this.stopped = true;
      if (this.loop) this.loop.stop();
    }

    async tick() {
      const body = await api(studyApi(this.studyId, '/changes?cursor=' + encodeURIComponent(String(this.cursor))));
      if (this.stopped) return;
      if (body.reset) {
        route();
        return;
      }
      this.cursor = body.cursor;
      if (body.rows.some((r) => r.number === this.number)) {
        const trial = await api(studyApi(this.studyId, '/trials/' + encodeURIComponent(String(this.number))));
        if (!this.stopped) this.render(trial);
      }
      liveNow();
    }

    render(t) {
      const study = this.study;
      document.title = 'Trial ' + t.number + ' · ' + study.name + ' · podbor dashboard';
      setBreadcrumb(['/ ', el('a', { href: studyHref(this.studyId), text: study.name }), ' / ', el('a', { href: trialHref(this.studyId, t.number), text: 'trial ' + t.number })]);
      const root = clear(byId('view'));
      const names = study.objective_names;
      const values = t.values ? t.values.map(function (v, i) {
        const label = names && names[i] !== undefined ? names[i] : (t.values.length > 1 ? 'Objective ' + i : '');
        return (label ? label + ' = ' : '') + fmtNumber(v);
      }).join(', ') : '';
      const facts = [
        ['State', el('span', { className: 'state-' + t.state, text: t.state })],
        ['Values', values],
        ['Duration', fmtDuration(t.duration)],
        ['Started', fmtTime(t.datetime_start)],
        ['Completed', fmtTime(t.datetime_complete)],
        ['Heartbeat', t.heartbeat ? fmtTime(t.heartbeat)
          : (t.state === 'RUNNING' ? 'none recorded (heartbeats off, or none sent yet)' : '\u2014')],
        ["Sampler's decision", t.sampler_decision || ''],
      ];
      if (t.constraints) facts.push(['Constraints', fmtValues(t.constraints) + (t.feasible === false ? ' (infeasible)' : t.feasible ? ' (feasible)' : '')]);
      if (t.fixed_params) facts.push(['Fixed params', fmtFull(t.fixed_params)]);
      const detail = el('div', { id: 'trial-detail', dataset: { number: t.number, state: t.state } });
      append(detail, [
        el('h1', { id: 'trial-title', text: 'Trial ' + t.number }),
        el('table', { className: 'grid facts' }, el('tbody', null, facts.map(function (f) {
          return el('tr', null, [el('th', { text: f[0] }), el('td', null, f[1])]);
        }))),
      ]);
      if (app.config.allow_write && (t.state === 'RUNNING' || t.state === 'WAITING')) {
        const holder = el('div', { className: 'actions' });
        append(holder, [el('span', { text: 'Finish this trial: ' }), tellForm(this.studyId, t.number, study.directions.length, () => this.refresh())]);
        detail.appendChild(holder);
      }
      const paramNames = Object.keys(t.params || {}).sort();
      append(detail, [el('h2', { text: 'Parameters' }), paramNames.length ? el('table', { className: 'grid', id: 'trial-params' }, [
        el('thead', null, el('tr', null, [el('th', { text: 'Name' }), el('th', { text: 'Value' }), el('th', { text: 'Distribution' })])),
        el('tbody', null, paramNames.map(function (name) {
          const dist = t.distributions ? t.distributions[name] : null;
          return el('tr', { dataset: { param: name } }, [el('td', { text: name }), el('td', { text: fmtFull(t.params[name]) }), el('td', { text: fmtDistribution(dist) })]);
        })),
      ]) : el('p', { className: 'muted', text: 'No parameters.' })]);
      const steps = t.intermediate_values || [];
      const plot = el('div', { className: 'plot', id: 'intermediate-plot', dataset: { kind: 'trial-intermediate', state: steps.length ? 'pending' : 'note' } });
      append(detail, [el('h2', { text: 'Intermediate values' }), plot]);
      append(detail, [el('h2', { text: 'User attributes' }), kvTable(t.user_attrs, 'No user attributes.')]);
      append(detail, [el('h2', { text: 'System attributes' }), kvTable(t.system_attrs, 'No system attributes.')]);
      root.appendChild(detail);
      if (!steps.length) {
        plot.appendChild(el('p', { className: 'note', text: 'No intermediate values reported.' }));
      } else {
        const area = el('div', { className: 'plot-area' });
        plot.appendChild(area);
        const ys = steps.map(function (s) { return typeof s[1] === 'number' ? s[1] : null; });
        const figure = {
          data: [{ type: 'scatter', mode: 'lines+markers', x: steps.map(function (s) { return s[0]; }), y: ys, name: 'Trial ' + t.number }],
          layout: { title: { text: 'Intermediate values' }, xaxis: { title: { text: 'Step' } }, yaxis: { title: { text: 'Value' } }, height: 360 },
        };
        drawFigure(area, figure).then(function () { plot.dataset.state = 'drawn'; }, function (err) {
          plot.dataset.state = 'error';
          showError(err.message);
        });
      }
    }

    async refresh() {
      try {
        this.render(await api(studyApi(this.studyId, '/trials/' + encodeURIComponent(String(this.number)))));
      } catch (err) {
        showError(err.message);
      }
    }
  }

  // -- routing ---------------------------------------------------------------------------------
  function route() {
    if (app.view) app.view.stop();
    hideError();
    const hash = location.hash || '#/';
    let match = /^#\/studies\/(-?\d+)\/trials\/(\d+)\/?$/.exec(hash);
    if (match) app.view = new TrialView(Number(match[1]), Number(match[2]));
    else if ((match = /^#\/studies\/(-?\d+)\/?$/.exec(hash))) app.view = new D.StudyView(Number(match[1]));
    else app.view = new StudiesView();
    app.view.start();
  }

  async function boot() {
    try {
      app.config = await api('/api/config');
    } catch (err) {
      showError(err.message);
      setLive(false, 'offline');
      clear(byId('view'));
      return;
    }
    D.plotlyReady.then(function (ok) {
      if (!ok) showError('plotly.js did not load; the plots cannot be drawn.');
    });
    window.addEventListener('hashchange', route);
    route();
  }

  D.route = route;

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
