// The "Før planen sendes til BU" panel, kept current: after changes settle, the server's own
// reading (GET /api/plans/<id>/completeness) is fetched and the panel re-rendered as the page
// template renders it.

import { h } from './util.js'

const anchor = (id) => `seksjon-${id.replace(/\./g, '-')}`

function render (panel, c) {
  const heading = panel.querySelector('h2')
  const parts = [heading]
  if (c.complete) {
    parts.push(h('p', {}, 'Alt er fylt ut.'))
  } else {
    const n = c.counts
    parts.push(h('p', {},
      `${n.empty_sections} av ${n.prose_sections} tekstdeler er tomme, ` +
      `${n.checklist_items - n.ticked_items} av ${n.checklist_items} punkter i sjekklistene er ikke krysset av, og ` +
      `${n.incomplete_rows} av ${n.tiltak_rows} tiltak mangler opplysninger.`))
    const open = new Set([...panel.querySelectorAll('details[open] > summary')].map((s) => s.dataset.kind))
    const list = (kind, title, items) => {
      if (!items.length) return null
      const details = h('details', { open: open.has(kind) },
        h('summary', { 'data-kind': kind }, `${title} (${items.length})`), h('ul', {}, items))
      return details
    }
    parts.push(
      list('tomme', 'Tomme tekstdeler', c.empty_sections.map((s) =>
        h('li', {}, h('a', { href: `#${anchor(s.id)}` }, `${s.number} ${s.heading}`)))),
      list('avkrysning', 'Ikke avkrysset', c.unticked.map((u) => h('li', {}, `${u.section_heading}: ${u.label}`))),
      list('tiltak', 'Tiltak som mangler opplysninger', c.incomplete_tiltak.map((r) =>
        h('li', {}, `${r.excerpt} – mangler ${r.missing.map((m) => m.label.toLowerCase()).join(', ')}`))))
  }
  panel.replaceChildren(...parts.filter(Boolean))
}

export function liveCompleteness (doc, provider, planId) {
  const panel = document.getElementById('mangler')
  if (!panel) return
  let timer = null
  let running = false
  const refresh = async () => {
    if (running || !provider.synced) return
    running = true
    try {
      const response = await fetch(`/api/plans/${encodeURIComponent(planId)}/completeness`, { headers: { accept: 'application/json' } })
      if (response.ok) render(panel, await response.json())
    } catch { /* offline: the panel stays as it was */ } finally {
      running = false
    }
  }
  doc.on('update', () => {
    clearTimeout(timer)
    timer = setTimeout(refresh, 2000)
  })
}
