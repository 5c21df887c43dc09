// The "Før planen sendes til BU" panel, kept current. The server renders it, once: after
// changes settle, the page asks for it again (GET /plans/<id>/mangler answers the panel's
// `<section class="mangler" id="mangler">` as an HTML fragment) and puts the fragment's contents
// in place of the panel's, keeping open the lists the reader opened. When the fragment cannot be
// had (offline, an older server), the panel stays as it was.

import { debounce } from './util.js'

/** Quiet time after the last change before the panel is asked for again, in ms. */
const SETTLE_MS = 2000

/** Where the server renders the panel of plan `planId`. */
export function panelUrl (planId) {
  return `/plans/${encodeURIComponent(planId)}/mangler`
}

/** The panel in the server's HTML, or null. A <template> parses it inert: nothing runs or loads. */
function parsePanel (html) {
  const template = document.createElement('template')
  template.innerHTML = html
  return template.content.querySelector('section#mangler')
}

/** Puts `fresh`'s contents into `panel`; a list is open when its kind was open before. */
function replacePanel (panel, fresh) {
  const kindOf = (details) => details.querySelector(':scope > summary')?.dataset.kind
  const open = new Set([...panel.querySelectorAll('details[open]')].map(kindOf).filter(Boolean))
  for (const details of fresh.querySelectorAll('details')) details.open = open.has(kindOf(details))
  panel.replaceChildren(...fresh.childNodes)
}

export function liveCompleteness (doc, provider, planId) {
  const panel = document.getElementById('mangler')
  if (!panel) return
  let running = false
  let again = false
  const refresh = async () => {
    if (!provider.synced) return
    if (running) { again = true; return }
    running = true
    try {
      const response = await fetch(panelUrl(planId), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      const fresh = response.ok ? parsePanel(await response.text()) : null
      if (fresh) replacePanel(panel, fresh)
    } catch { /* offline: the panel stays as it was */ } finally {
      running = false
      if (again) { again = false; refreshSoon() }
    }
  }
  const refreshSoon = debounce(refresh, SETTLE_MS)
  doc.on('update', () => refreshSoon())
}
