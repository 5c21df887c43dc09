// Samskriv's browser editor. Mounts on the server-rendered plan page (progressive enhancement:
// without JavaScript the page reads as it is) and binds every part of it to the plan's Y.Doc:
// prose sections, checklists, the tiltak table, milestones, key figures, target groups, the
// plan's goals and its own structure. This module only wires the parts together: the connection
// (connection.js), who is here (presence.js), undo (undo.js), the views of each kind of section,
// comments and the completeness panel.

import * as Y from 'yjs'
import { connect } from './connection.js'
import { sharedUndoManager, LOCAL } from './undo.js'
import { mountProse } from './prose.js'
import { TiltakTables } from './tiltak.js'
import { mountMilestones } from './milestones.js'
import { mountChecklist } from './checklist.js'
import { mountTargetGroups, targetTiltakSections } from './targetgroups.js'
import { mountFigures } from './figures.js'
import { goalsPanel, placeGoalsPanel } from './goals.js'
import { mountStructure } from './structure.js'
import { tableRoles } from './tiltak-model.js'
import { joinPresence } from './presence.js'
import { h } from './util.js'
import { liveCompleteness } from './completeness.js'
import { NODE_NAMES, MARK_NAMES } from './schema.js'
import { Comments } from './comments.js'
import { pageContext } from './threads.js'
import './editor.css'

function readPlanData () {
  const el = document.getElementById('plan-data')
  if (!el) return null
  try { return JSON.parse(el.textContent) } catch { return null }
}

/** The text of a section's heading, as the page shows it. */
function headingTextOf (headingEl) {
  return [...headingEl.childNodes].map((n) => n.textContent.trim()).filter(Boolean).join(' ')
}

const CONTENTS_KEY = 'samskriv.innhold.apen'
const WIDE_KEY = 'samskriv.tiltak.bred'

function stored (key) {
  try { return localStorage.getItem(key) } catch { return null }
}

function store (key, value) {
  try { localStorage.setItem(key, String(value)) } catch { /* no storage */ }
}

/**
 * The page's layout, remembered per person: the contents column folds into a strip above the
 * plan («Innholdsfortegnelse», aria-expanded), and «Bred tabell» (in each tiltak table) gives the
 * tables the page's whole width: the contents fold and the comments panel lies below the plan.
 * On a first visit the contents are folded where the comments panel takes a third column but
 * the screen is not wide (70–100rem, e.g. 1280 and 1366 px), so the tables keep their room.
 */
function pageLayout () {
  const root = document.documentElement
  const listeners = new Set()
  let wide = stored(WIDE_KEY) === 'true'
  const saved = stored(CONTENTS_KEY)
  let contents = saved != null ? saved === 'true' : !window.matchMedia('(min-width: 70rem) and (max-width: 99.99rem)').matches
  const nav = document.querySelector('.sidekolonne .innhold-nav')
  let button = null
  if (nav) {
    nav.id ||= 'innholdsfortegnelse'
    button = h('button', {
      type: 'button', class: 'sekundaer liten innhold-bryter', 'aria-controls': nav.id,
      onclick: () => {
        const open = !(contents && !wide)
        if (open && wide) setWide(false)
        contents = open
        store(CONTENTS_KEY, open)
        apply()
      }
    }, 'Innholdsfortegnelse')
    nav.before(h('div', { class: 'innhold-bryter-boks' }, button))
  }
  function apply () {
    const shown = contents && !wide
    root.classList.toggle('innhold-skjult', !shown)
    root.classList.toggle('bred-tabell', wide)
    button?.setAttribute('aria-expanded', String(shown))
  }
  function setWide (on) {
    wide = on
    store(WIDE_KEY, on)
    apply()
    for (const fn of listeners) fn(on)
  }
  apply()
  return {
    wide: () => wide,
    setWide,
    onChange: (fn) => listeners.add(fn),
    offChange: (fn) => listeners.delete(fn)
  }
}

function start () {
  const data = readPlanData()
  const planEl = document.getElementById('plan')
  if (!data || !planEl) return
  const t0 = performance.now()
  const metrics = {}
  const editable = !!data.can_edit
  // The coordinator edits the plan's goals and structure (the server refuses anyone else).
  const coordinator = editable && data.role === 'coordinator'
  const units = data.units || []
  const schema = data.tiltak_schema || { fields: data.tiltak_fields || [] }
  const doc = new Y.Doc()

  document.documentElement.classList.add('med-editor')
  if (!document.getElementById('samskriv-enheter')) {
    document.body.append(h('datalist', { id: 'samskriv-enheter' }, units.map((u) => h('option', { value: u.name }))))
  }
  const { provider, persistence, awareness, whenKnown } = connect(doc, data.plan_id, { editable })

  // Side column: who is here.
  const side = document.getElementById('samarbeid')
  const presence = joinPresence(side || planEl, awareness, { me: pageContext(data).me, units })
  if (side) side.hidden = false

  const layout = pageLayout()
  const undoManager = sharedUndoManager(doc)
  const comments = new Comments({ data, doc })
  const tables = new TiltakTables({
    doc,
    schema,
    units: units.map((u) => u.name),
    origin: LOCAL,
    undoManager,
    editable,
    comments,
    layout,
    targetSections: () => targetTiltakSections(doc, data.target_groups)
  })
  const views = { doc, origin: LOCAL, undoManager, editable, coordinator }
  const editors = new Map() // section element → { destroy }
  const defaultTiltak = new Set(data.tiltak_sections || [])

  function mountSection (sectionEl) {
    if (editors.has(sectionEl)) return
    const kind = sectionEl.dataset.sectionKind
    const sectionId = sectionEl.dataset.sectionId
    if (['prose', 'appendix', 'group', 'target_groups'].includes(kind)) {
      // Prose, or a part's introduction (structure.js adds its container when it is written).
      const container = sectionEl.querySelector(':scope > .prosa')
      const heading = sectionEl.querySelector(':scope > h2, :scope > h3, :scope > h4')
      if (!container || !heading) return
      const editor = mountProse(container, {
        doc, awareness, sectionId, headingId: heading.id, headingText: headingTextOf(heading), editable, comments
      })
      editors.set(sectionEl, editor)
    } else if (kind === 'tiltak') {
      const view = tables.addView(sectionEl, sectionId, defaultTiltak.has(sectionId))
      editors.set(sectionEl, { destroy: () => tables.removeView(view) })
    } else if (kind === 'checklist') {
      editors.set(sectionEl, mountChecklist(sectionEl, views))
    } else if (kind === 'milestones') {
      editors.set(sectionEl, mountMilestones(sectionEl, views))
    } else if (kind === 'figures') {
      editors.set(sectionEl, mountFigures(sectionEl, views))
    }
  }

  function unmountSection (sectionEl) {
    editors.get(sectionEl)?.destroy()
    editors.delete(sectionEl)
  }

  let resolveReady
  const ready = new Promise((resolve) => { resolveReady = resolve })

  // Mount once the document is known; until then the server-rendered page stays as it is.
  whenKnown(() => {
    const t1 = performance.now()
    for (const sectionEl of planEl.querySelectorAll('section[data-section-kind]')) {
      if (sectionEl.dataset.targetGroup) continue
      mountSection(sectionEl)
    }
    // The plan's goals: editable by the coordinator, read by everyone, linked from the contents.
    placeGoalsPanel(planEl, goalsPanel({ ...views, canEdit: coordinator, strategyField: tableRoles(schema).strategyField }))
    document.querySelector('.innhold-nav a[href="#mangler"]')?.closest('li')
      ?.before(h('li', {}, h('a', { href: '#planens-mal' }, 'Planens mål')))
    const tg = data.target_groups
    if (tg) {
      const partEl = planEl.querySelector(`section[data-section-id="${CSS.escape(tg.part_id)}"]`)
      if (partEl) mountTargetGroups(partEl, { ...views, spec: tg, mountSection, unmountSection })
    }
    mountStructure(planEl, { ...views, structure: data.structure, mountSection, unmountSection })
    const t2 = performance.now()
    tables.renderAll()
    metrics.tiltakRenderMs = performance.now() - t2
    metrics.mountMs = performance.now() - t1
    metrics.readyMs = performance.now() - t0
    metrics.tiltakRows = tables.maps().length
    presence.render()
    liveCompleteness(doc, provider, data.plan_id)
    comments.attachTables(tables)
    comments.start({ side, layout: planEl.parentElement })
    document.documentElement.classList.add('editor-klar')
    resolveReady()
  })

  window.samskriv = {
    doc, provider, awareness, persistence, undoManager, ready, metrics, comments,
    schema: { nodes: NODE_NAMES, marks: MARK_NAMES },
    /** Tests: cut the live connection and keep it cut (edits stay local). */
    goOffline () { provider.disconnect() },
    goOnline () { provider.connect() }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
