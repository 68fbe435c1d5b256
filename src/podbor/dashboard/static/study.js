/* podbor dashboard, part 2 of 3: a study's page (#/studies/{id}).
 *
 * Its header, note and attributes; the plots, loaded one after another (the history first) and
 * refreshed at most every few seconds while trials change; the trials table, sorted, filtered
 * and paged by the server; the write actions when the server allows them. Live: it polls
 * /changes with a cursor every half second.
 */
'use strict';

(function () {
  const D = window.podborDashboard;
  const {
    STATES,
    PAGE_SIZE,
    STUDY_POLL_MS,
    PLOT_REFRESH_MS,
    app,
    el,
    append,
    clear,
    byId,
    studyHref,
    trialHref,
    fmt,
    fmtFull,
    fmtTime,
    fmtDuration,
    fmtValues,
    fmtStates,
    showError,
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

  // -- a study ---------------------------------------------------------------------------------
  function plotKey(entry) {
    return entry.kind + (entry.target === null || entry.target === undefined ? '' : ':' + entry.target);
  }

  class StudyView {
    constructor(studyId) {
      this.studyId = studyId;
      this.stopped = false;
      this.loop = null;
      this.cursor = 0;
      this.sort = 'number';
      this.order = 'asc';
      this.offset = 0;
      this.filters = [];
      this.trialsSeq = 0;
      this.openTells = new Map(); // trial number -> its open "tell" form, kept across redraws
      this.plots = new Map(); // key -> {entry, section, area, note, json}
      this.dirtyPlots = new Set();
      this.plotTimer = null;
      this.lastPlotRefresh = 0;
      this.plotChain = Promise.resolve();
      this.noteEdited = false;
    }

    async start() {
      const root = clear(byId('view'));
      append(root, el('p', { className: 'muted', text: 'Loading the study…' }));
      let detail;
      try {
        detail = await api(studyApi(this.studyId));
      } catch (err) {
        showError(err.message);
        clear(root);
        append(root, [el('h1', { text: 'Study not shown' }), el('p', null, el('a', { href: '#/', text: 'All studies' }))]);
        return;
      }
      if (this.stopped) return;
      this.detail = detail;
      this.cursor = detail.cursor;
      this.render();
      this.loadTrials();
      this.queuePlots(this.orderedPlotKeys().filter((k) => this.plots.get(k).seen));
      this.loop = every(STUDY_POLL_MS, () => this.tick());
    }

    stop() {
      this.stopped = true;
      if (this.loop) this.loop.stop();
      if (this.observer) this.observer.disconnect();
      clearTimeout(this.plotTimer);
    }

    render() {
      const d = this.detail;
      document.title = d.name + ' · podbor dashboard';
      setBreadcrumb(['/ ', el('a', { href: studyHref(this.studyId), text: d.name })]);
      const root = clear(byId('view'));
      this.counts = el('span', { id: 'study-counts' });
      this.best = el('span', { id: 'study-best' });
      this.bestTrials = el('span', { id: 'study-best-trials' });
      this.drawBestTrials();
      append(root, [
        el('h1', { id: 'study-title', text: d.name }),
        el('table', { className: 'grid facts' }, el('tbody', null, [
          el('tr', null, [el('th', { text: 'Directions' }), el('td', { text: this.directionText() })]),
          el('tr', null, [el('th', { text: 'Trials' }), el('td', null, this.counts)]),
          el('tr', null, [el('th', { text: 'Best' }), el('td', null, this.best)]),
          el('tr', null, [el('th', { text: 'Best trials' }), el('td', null, this.bestTrials)]),
          el('tr', null, [el('th', { text: 'Started' }), el('td', { id: 'study-start', text: fmtTime(d.datetime_start) })]),
        ])),
      ]);
      this.updateSummary(d);
      if (app.config.allow_write) root.appendChild(this.renderActions());
      append(root, [el('h2', { text: 'Note' }), this.renderNote()]);
      this.userAttrs = el('div', null, kvTable(d.user_attrs, 'No user attributes.'));
      append(root, [el('h2', { text: 'User attributes' }), this.userAttrs]);
      this.plotsBox = el('div', { id: 'plots' });
      append(root, [el('h2', { text: 'Plots' }), this.plotsBox]);
      this.buildPlots();
      append(root, [el('h2', { text: 'Trials' }), this.renderTrialsControls()]);
      this.table = el('table', { id: 'trials-table', className: 'grid' }, [el('thead'), el('tbody')]);
      root.appendChild(this.table);
      root.appendChild(this.renderPager());
      this.buildColumns();
      if (app.config.allow_write) root.appendChild(this.renderEnqueue());
    }

    drawBestTrials() {
      const best = this.detail.best_trials || [];
      clear(this.bestTrials);
      best.slice(0, 20).forEach((t, i) => {
        if (i) this.bestTrials.appendChild(document.createTextNode(', '));
        append(this.bestTrials, [el('a', { href: trialHref(this.studyId, t.number), text: '#' + t.number }), ' (' + fmtValues(t.values) + ')']);
      });
      if (best.length > 20) append(this.bestTrials, ', … ' + best.length + ' in all');
      if (!best.length) this.bestTrials.textContent = '—';
    }

    directionText() {
      const d = this.detail;
      const names = d.objective_names;
      return d.directions.map(function (dir, i) {
        return names && names[i] !== undefined ? names[i] + ': ' + dir : dir;
      }).join(', ');
    }

    updateSummary(summary) {
      this.counts.textContent = summary.n_trials + ' (' + (fmtStates(summary.states) || 'none') + ')';
      let best = '';
      if (summary.best_values) best = fmtValues(summary.best_values);
      else if (summary.n_best) best = summary.n_best + ' Pareto-optimal trials';
      this.best.textContent = best || '—';
    }

    renderActions() {
      const status = el('span', { className: 'status-ok' });
      const remove = el('button', {
        id: 'delete-study',
        type: 'button',
        className: 'danger',
        text: 'Delete this study',
        on: {
          click: async () => {
            if (!window.confirm('Delete the study "' + this.detail.name + '" and all its trials?')) return;
            this.stop(); // no more requests for a study about to go
            try {
              await api(studyApi(this.studyId), { method: 'DELETE' });
              location.hash = '#/';
            } catch (err) {
              D.route();
              showError(err.message);
            }
          },
        },
      });
      return el('div', { className: 'actions' }, [remove, status]);
    }

    renderNote() {
      const note = this.detail.note || '';
      if (!app.config.allow_write) {
        this.noteNode = el('pre', { id: 'note-text', text: note });
        return this.noteNode;
      }
      const status = el('span', { className: 'status-ok', id: 'note-status' });
      this.noteNode = el('textarea', {
        id: 'note-text',
        placeholder: 'A note on this study, stored with it',
        on: { input: () => { this.noteEdited = true; status.textContent = ''; } },
      });
      this.noteNode.value = note;
      const save = el('button', {
        id: 'note-save',
        type: 'button',
        text: 'Save note',
        on: {
          click: async () => {
            try {
              const body = await api(studyApi(this.studyId, '/note'), { method: 'PUT', body: { note: this.noteNode.value } });
              this.detail.note = body.note;
              this.noteEdited = false;
              status.textContent = 'Saved.';
            } catch (err) {
              showError(err.message);
            }
          },
        },
      });
      return el('div', null, [this.noteNode, el('div', null, [save, status])]);
    }

    renderEnqueue() {
      const status = el('span', { className: 'status-ok', id: 'enqueue-status' });
      const params = el('textarea', { id: 'enqueue-params', placeholder: '{"x": 0.5, "kind": "svm"}' });
      const attrs = el('textarea', { id: 'enqueue-attrs', placeholder: '{} (optional user attributes)' });
      const submit = el('button', {
        id: 'enqueue-submit',
        type: 'button',
        text: 'Enqueue trial',
        on: {
          click: async () => {
            let body;
            try {
              body = { params: JSON.parse(params.value || '{}'), user_attrs: JSON.parse(attrs.value || '{}') };
            } catch (err) {
              showError('The params and attributes must be JSON objects: ' + err.message);
              return;
            }
            try {
              const answer = await api(studyApi(this.studyId, '/enqueue'), { method: 'POST', body: body });
              status.textContent = 'Enqueued trial #' + answer.number + '.';
              this.loadTrials();
            } catch (err) {
              showError(err.message);
            }
          },
        },
      });
      return el('div', { className: 'actions' }, [
        el('h2', { text: 'Enqueue a trial' }),
        el('div', { className: 'controls' }, [
          el('label', null, ['Params (JSON) ', params]),
          el('label', null, ['User attributes (JSON) ', attrs]),
          submit,
          status,
        ]),
      ]);
    }

    // -- plots ----------------------------------------------------------------------------------
    orderedPlotKeys() {
      const keys = Array.from(this.plots.keys());
      const first = keys.filter((k) => this.plots.get(k).entry.kind === 'history');
      return first.concat(keys.filter((k) => this.plots.get(k).entry.kind !== 'history'));
    }

    /** Builds the plot sections. A plot is asked for only once its section comes near the
     * viewport (and then kept up to date): on a study of 10^5 trials some figures take the
     * server seconds, and a page should not make it build what nobody looks at. */
    buildPlots() {
      const previous = this.plots;
      this.plots = new Map();
      clear(this.plotsBox);
      if (this.observer) this.observer.disconnect();
      this.observer = 'IntersectionObserver' in window ? new IntersectionObserver((seen) => {
        for (const item of seen) {
          if (!item.isIntersecting) continue;
          this.observer.unobserve(item.target);
          const plot = this.plots.get(item.target.dataset.key);
          if (plot && !plot.seen) {
            plot.seen = true;
            this.queuePlots([item.target.dataset.key]);
          }
        }
      }, { rootMargin: '200px 0px' }) : null;
      for (const entry of this.detail.plots || []) {
        const key = plotKey(entry);
        const several = this.detail.directions.length > 1;
        const title = entry.title + (several && entry.target_name && entry.title.indexOf(entry.target_name) < 0 ? ': ' + entry.target_name : '');
        const note = el('p', { className: 'note', text: entry.note || '' });
        const area = el('div', { className: 'plot-area' });
        const section = el('section', {
          className: 'plot',
          dataset: { kind: entry.kind, state: entry.available ? 'pending' : 'note' },
        });
        if (entry.target !== null && entry.target !== undefined) section.dataset.target = entry.target;
        append(section, [el('h3', { text: title })]);
        const before = previous.get(key);
        // The history opens the plots, at the top of their section: it is asked for at once,
        // not when the browser first reports it visible (which can lag by many seconds while
        // the browser is still busy with the page just left, e.g. tearing down WebGL plots).
        const plot = { entry: entry, section: section, area: area, note: note, json: null, pickers: null,
          seen: !this.observer || entry.kind === 'history' || !!(before && before.seen) };
        if (entry.kind === 'contour' && entry.available) section.appendChild(this.contourPickers(plot, previous.get(key)));
        append(section, [note, area]);
        this.plots.set(key, plot);
        this.plotsBox.appendChild(section);
        section.dataset.key = key;
        if (!plot.seen && entry.available) this.observer.observe(section);
      }
    }

    contourPickers(plot, previous) {
      const names = plot.entry.params && plot.entry.params.length >= 2 ? plot.entry.params : this.detail.param_names;
      const chosen = previous && previous.pickers ? previous.pickers.map(function (p) { return p.value; }) : [names[0], names[1]];
      const pickers = [0, 1].map(function (i) {
        const select = el('select', { className: 'contour-param', dataset: { axis: i === 0 ? 'x' : 'y' } },
          names.map(function (name) { return el('option', { value: name, text: name }); }));
        select.value = names.indexOf(chosen[i]) >= 0 ? chosen[i] : names[i];
        return select;
      });
      plot.pickers = pickers;
      for (const select of pickers) {
        select.addEventListener('change', () => {
          plot.json = null;
          this.queuePlots([plotKey(plot.entry)]);
        });
      }
      return el('div', { className: 'pickers' }, [
        el('label', null, ['x ', pickers[0]]),
        el('label', null, ['y ', pickers[1]]),
      ]);
    }

    /** Loads the given plots one after another (so the first shows as soon as it can). */
    queuePlots(keys) {
      for (const key of keys) {
        this.plotChain = this.plotChain.then(() => this.loadPlot(key));
      }
      return this.plotChain;
    }

    async loadPlot(key) {
      const plot = this.plots.get(key);
      if (this.stopped || !plot || !plot.entry.available) return;
      const entry = plot.entry;
      let query = '?cursor=' + encodeURIComponent(String(this.cursor));
      if (entry.target !== null && entry.target !== undefined) query += '&target=' + encodeURIComponent(String(entry.target));
      if (plot.pickers) {
        query += '&params=' + plot.pickers.map(function (p) { return encodeURIComponent(p.value); }).join(',');
      }
      try {
        const body = await api(studyApi(this.studyId, '/plots/' + encodeURIComponent(entry.kind) + query));
        if (this.stopped) return;
        if (!body.figure) {
          if (plot.json !== null) Plotly.purge(plot.area);
          plot.json = null;
          plot.note.textContent = body.note || 'Not drawn.';
          plot.section.dataset.state = 'note';
          return;
        }
        const json = JSON.stringify(body.figure);
        if (json === plot.json && plot.section.dataset.state === 'drawn') return; // unchanged
        plot.note.textContent = body.note || entry.note || ''; // e.g. which trials are drawn
        await drawFigure(plot.area, body.figure);
        plot.json = json;
        plot.section.dataset.state = 'drawn';
      } catch (err) {
        plot.note.textContent = 'Could not draw this plot: ' + err.message;
        plot.section.dataset.state = 'error';
        showError(err.message);
      }
    }

    /** Plots to refresh after `rows` changed, at most every few seconds. */
    markPlotsDirty(rows) {
      const finished = rows.some(function (r) { return r.state !== 'RUNNING' && r.state !== 'WAITING'; });
      for (const [key, plot] of this.plots) {
        const kind = plot.entry.kind;
        if (finished || kind === 'timeline' || kind === 'intermediate') this.dirtyPlots.add(key);
      }
      if (this.plotTimer !== null) return;
      const wait = Math.max(0, this.lastPlotRefresh + PLOT_REFRESH_MS - Date.now());
      this.plotTimer = setTimeout(() => this.refreshPlots(), wait);
    }

    async refreshPlots() {
      this.lastPlotRefresh = Date.now();
      let detail;
      try {
        detail = await api(studyApi(this.studyId));
      } catch (err) {
        this.plotTimer = null;
        setLive(false, 'offline: ' + err.message);
        return;
      }
      if (this.stopped) return;
      const before = this.detail;
      this.detail = detail;
      const plan = function (d) {
        return JSON.stringify((d.plots || []).map(function (p) { return [plotKey(p), p.available, p.note, p.params || null]; }));
      };
      const columns = function (d) { return JSON.stringify([d.param_names, d.user_attr_keys, d.objective_names]); };
      let keys;
      if (plan(before) !== plan(detail)) {
        this.buildPlots();
        keys = this.orderedPlotKeys();
      } else {
        for (const plot of this.plots.values()) plot.entry = detail.plots.find(function (p) { return plotKey(p) === plotKey(plot.entry); }) || plot.entry;
        keys = this.orderedPlotKeys().filter((k) => this.dirtyPlots.has(k));
      }
      keys = keys.filter((k) => this.plots.get(k).seen); // the others load when scrolled to
      this.dirtyPlots.clear();
      if (columns(before) !== columns(detail)) {
        this.buildColumns();
        this.loadTrials();
      }
      this.drawBestTrials();
      if (JSON.stringify(before.user_attrs) !== JSON.stringify(detail.user_attrs)) {
        append(clear(this.userAttrs), kvTable(detail.user_attrs, 'No user attributes.'));
      }
      if (!this.noteEdited && this.noteNode && before.note !== detail.note) {
        if (this.noteNode.tagName === 'TEXTAREA') this.noteNode.value = detail.note || '';
        else this.noteNode.textContent = detail.note || '';
      }
      await this.queuePlots(keys);
      this.plotTimer = null;
      if (this.dirtyPlots.size) this.markPlotsDirty([]);
    }

    // -- live ---------------------------------------------------------------------------------
    async tick() {
      const body = await api(studyApi(this.studyId, '/changes?cursor=' + encodeURIComponent(String(this.cursor))));
      if (this.stopped) return;
      if (body.reset) {
        D.route(); // the server restarted or the study was rebuilt: load it again
        return;
      }
      this.cursor = body.cursor;
      this.updateSummary(body.summary);
      if (body.rows.length) {
        this.patchRows(body.rows);
        this.changedNumbers = new Set(body.rows.map(function (r) { return r.number; }));
        await this.loadTrials();
        this.markPlotsDirty(body.rows);
      }
      liveNow();
    }

    // -- the trials table ---------------------------------------------------------------------
    buildColumns() {
      const d = this.detail;
      const cols = [
        { col: 'number', label: '#', num: true },
        { col: 'state', label: 'State' },
      ];
      const names = d.objective_names;
      if (d.directions.length === 1) {
        cols.push({ col: 'value', label: names && names[0] ? names[0] : 'Value', num: true, get: function (r) { return r.values ? r.values[0] : null; } });
      } else {
        d.directions.forEach(function (dir, k) {
          cols.push({ col: 'values.' + k, label: names && names[k] ? names[k] : 'Value ' + k, num: true, get: function (r) { return r.values ? r.values[k] : null; } });
        });
      }
      cols.push({ col: 'duration', label: 'Duration', num: true, get: function (r) { return r.duration; }, format: fmtDuration });
      cols.push({ col: 'datetime_start', label: 'Started', get: function (r) { return r.datetime_start; }, format: fmtTime });
      cols.push({ col: 'datetime_complete', label: 'Completed', get: function (r) { return r.datetime_complete; }, format: fmtTime });
      for (const name of d.param_names || []) {
        cols.push({ col: 'params.' + name, label: name, get: function (r) { return r.params ? r.params[name] : undefined; } });
      }
      for (const key of d.user_attr_keys || []) {
        cols.push({ col: 'user_attrs.' + key, label: key, get: function (r) { return r.user_attrs ? r.user_attrs[key] : undefined; } });
      }
      this.columns = cols;
      const head = clear(this.table.tHead);
      const row = el('tr');
      for (const c of cols) {
        const mark = el('span', { className: 'sort-mark', text: c.col === this.sort ? (this.order === 'asc' ? '▲' : '▼') : '' });
        row.appendChild(el('th', {
          dataset: { col: c.col },
          title: 'Sort by ' + c.col,
          on: { click: () => this.sortBy(c.col) },
        }, [c.label, mark]));
      }
      if (app.config.allow_write) row.appendChild(el('th', { text: 'Actions' }));
      head.appendChild(row);
    }

    sortBy(col) {
      if (this.sort === col) this.order = this.order === 'asc' ? 'desc' : 'asc';
      else {
        this.sort = col;
        this.order = 'asc';
      }
      this.offset = 0;
      this.buildColumns();
      this.loadTrials();
    }

    renderTrialsControls() {
      const apply = () => this.applyFilters();
      this.stateBoxes = STATES.map(function (s) {
        return el('input', { type: 'checkbox', className: 'state-filter', value: s, on: { change: apply } });
      });
      this.filterBox = el('input', {
        id: 'trial-filter',
        type: 'text',
        placeholder: 'e.g. params.x > 0; user_attrs.fold = 1 (Enter applies)',
        on: { keydown: function (e) { if (e.key === 'Enter') apply(); } },
      });
      const onEnter = { keydown: function (e) { if (e.key === 'Enter') apply(); }, change: apply };
      this.valueMin = el('input', { id: 'value-min', type: 'number', step: 'any', on: onEnter });
      this.valueMax = el('input', { id: 'value-max', type: 'number', step: 'any', on: onEnter });
      this.countNode = el('span', { id: 'trials-count' });
      return el('div', null, [
        el('div', { className: 'controls' }, [el('span', { text: 'States:' })].concat(this.stateBoxes.map(function (box) {
          return el('label', null, [box, ' ' + box.value]);
        }))),
        el('div', { className: 'controls' }, [
          el('label', null, ['Filter ', this.filterBox]),
          el('button', { type: 'button', text: 'Apply', on: { click: apply } }),
          el('label', null, ['Value from ', this.valueMin]),
          el('label', null, ['to ', this.valueMax]),
          el('span', null, [this.countNode, ' trials shown']),
        ]),
      ]);
    }

    applyFilters() {
      const filters = [];
      const states = this.stateBoxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (states.length && states.length < STATES.length) filters.push('state=' + states.join(','));
      for (const part of this.filterBox.value.split(';')) {
        if (part.trim()) filters.push(part.trim());
      }
      const valueCol = this.detail.directions.length === 1 ? 'value' : 'values.0';
      if (this.valueMin.value !== '') filters.push(valueCol + '>=' + this.valueMin.value);
      if (this.valueMax.value !== '') filters.push(valueCol + '<=' + this.valueMax.value);
      this.filters = filters;
      this.offset = 0;
      this.loadTrials();
    }

    renderPager() {
      this.pageInfo = el('span', { className: 'muted', id: 'trials-page' });
      this.prev = el('button', { type: 'button', id: 'trials-prev', text: '‹ Previous', on: { click: () => this.page(-1) } });
      this.next = el('button', { type: 'button', id: 'trials-next', text: 'Next ›', on: { click: () => this.page(1) } });
      return el('div', { className: 'pager' }, [this.prev, this.pageInfo, this.next]);
    }

    page(step) {
      this.offset = Math.max(0, this.offset + step * PAGE_SIZE);
      this.loadTrials();
    }

    async loadTrials() {
      const seq = ++this.trialsSeq;
      const params = new URLSearchParams();
      params.set('sort', this.sort);
      params.set('order', this.order);
      for (const f of this.filters) params.append('filter', f);
      params.set('offset', String(this.offset));
      params.set('limit', String(PAGE_SIZE));
      let body;
      try {
        body = await api(studyApi(this.studyId, '/trials?' + params.toString()));
      } catch (err) {
        if (seq === this.trialsSeq) showError(err.message);
        return;
      }
      if (this.stopped || seq !== this.trialsSeq) return;
      if (body.offset > 0 && body.offset >= body.matched) {
        this.offset = Math.max(0, Math.floor((body.matched - 1) / PAGE_SIZE) * PAGE_SIZE);
        this.loadTrials();
        return;
      }
      this.drawRows(body.rows);
      this.countNode.textContent = body.matched + ' of ' + body.total;
      const last = Math.min(body.offset + body.rows.length, body.matched);
      this.pageInfo.textContent = body.matched ? (body.offset + 1) + '–' + last + ' of ' + body.matched : 'no trials';
      this.prev.disabled = body.offset <= 0;
      this.next.disabled = last >= body.matched;
    }

    drawRows(rows) {
      const focus = this.saveFocus();
      const tbody = clear(this.table.tBodies[0]);
      const changed = this.changedNumbers || new Set();
      this.changedNumbers = null;
      for (const r of rows) tbody.appendChild(this.rowElement(r, changed.has(r.number)));
      if (!rows.length) {
        tbody.appendChild(el('tr', null, el('td', { colspan: this.columns.length + 1, className: 'muted', text: 'No trials match.' })));
      }
      this.restoreFocus(focus);
    }

    /** The focused field of an open "tell" form (rows are redrawn under a user who types). */
    saveFocus() {
      const active = document.activeElement;
      if (!active || !active.closest || !active.closest('.tell-form')) return null;
      return { node: active, start: active.selectionStart, end: active.selectionEnd };
    }

    restoreFocus(focus) {
      if (!focus || !focus.node.isConnected) return;
      focus.node.focus();
      if (typeof focus.start === 'number' && focus.node.setSelectionRange) focus.node.setSelectionRange(focus.start, focus.end);
    }

    /** Shows the changed rows that are on this page at once, before the page is fetched again. */
    patchRows(rows) {
      const focus = this.saveFocus();
      const tbody = this.table.tBodies[0];
      for (const r of rows) {
        for (const tr of Array.from(tbody.rows)) {
          if (tr.dataset.number === String(r.number)) tbody.replaceChild(this.rowElement(r, true), tr);
        }
      }
      this.restoreFocus(focus);
    }

    rowElement(r, changed) {
      const tr = el('tr', { dataset: { number: r.number, state: r.state }, className: changed ? 'changed' : null });
      for (const c of this.columns) {
        if (c.col === 'number') {
          tr.appendChild(el('td', { className: 'num' }, el('a', { href: trialHref(this.studyId, r.number), text: r.number })));
        } else if (c.col === 'state') {
          tr.appendChild(el('td', { className: 'state-' + r.state, text: r.state }));
        } else {
          const value = c.get(r);
          const text = c.format ? c.format(value) : fmt(value);
          tr.appendChild(el('td', { className: c.num ? 'num' : null, text: text, title: c.format ? null : fmtFull(value) || null }));
        }
      }
      if (app.config.allow_write) {
        const cell = el('td');
        const open = r.state === 'RUNNING' || r.state === 'WAITING';
        const form = this.openTells.get(r.number);
        if (open && form) {
          cell.appendChild(form); // the same form: what the user typed stays
        } else if (open) {
          cell.appendChild(el('button', {
            type: 'button',
            className: 'tell',
            dataset: { number: r.number },
            text: 'Tell…',
            on: { click: (e) => { this.openTell(e.target, r.number); } },
          }));
        } else {
          this.openTells.delete(r.number); // finished meanwhile: its form has nothing to tell
        }
        tr.appendChild(cell);
      }
      return tr;
    }

    /** Replace a row's "Tell…" button by its form; the form outlives redraws of the table. */
    openTell(button, number) {
      const form = tellForm(this.studyId, number, this.detail.directions.length, () => {
        this.openTells.delete(number);
        this.loadTrials();
      });
      this.openTells.set(number, form);
      button.replaceWith(form);
      const values = form.querySelector('.tell-values');
      if (values) values.focus();
    }
  }

  D.StudyView = StudyView;
})();
