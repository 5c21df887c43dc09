// Small DOM and id helpers shared by the editor's parts.

/**
 * Creates an element: `h('button', { type: 'button', onclick: fn }, 'Tekst')`.
 * Attributes starting with `on` become listeners; `false`/`null` attributes are left out.
 */
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value)
    } else if (key === 'class') {
      el.className = value
    } else if (key === 'text') {
      el.textContent = value
    } else if (key === 'value') {
      el.value = value
    } else if (key === 'style') {
      // Through the CSSOM: the Content-Security-Policy refuses style attributes.
      el.style.cssText = String(value)
    } else if (value === true) {
      el.setAttribute(key, '')
    } else {
      el.setAttribute(key, String(value))
    }
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

/** A random UUID (v4); crypto.randomUUID needs a secure context, this works everywhere. */
export function uuid () {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** An ASCII slug of a name, as template ids are: "Barn og unge" → "barn-og-unge". */
export function slug (name) {
  const map = { æ: 'ae', ø: 'o', å: 'a', é: 'e', ü: 'u', ö: 'o', ä: 'a' }
  const ascii = name.toLowerCase().replace(/[æøåéüöä]/g, (c) => map[c])
    .normalize('NFKD').replace(/[^\x00-\x7f]/g, '') // eslint-disable-line no-control-regex
  return ascii.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'gruppe'
}

/** Calls `fn` once `ms` after the last call; `flush()` runs a pending call now. */
export function debounce (fn, ms) {
  let timer = null
  let pending = null
  const debounced = (...args) => {
    pending = args
    clearTimeout(timer)
    timer = setTimeout(() => { timer = null; const a = pending; pending = null; fn(...a) }, ms)
  }
  debounced.flush = () => {
    if (timer !== null) {
      clearTimeout(timer)
      timer = null
      const a = pending
      pending = null
      fn(...a)
    }
  }
  debounced.pending = () => timer !== null
  return debounced
}

/** Whether a keyboard event is the platform's undo / redo chord. */
export function undoChord (event) {
  const mod = event.ctrlKey || event.metaKey
  if (!mod || event.altKey) return null
  const key = event.key.toLowerCase()
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo'
  if (key === 'y' && !event.shiftKey) return 'redo'
  return null
}

/** Ids unique within the page. */
let counter = 0
export function uid (prefix) {
  counter += 1
  return `${prefix}-${counter}`
}

/** Replaces an element's children (nested arrays flattened; null, false and '' left out). */
export function fill (el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false && c !== ''))
}

/** The plan's section element of a section id, or null. */
export function planSection (sectionId) {
  return document.querySelector(`#plan section[data-section-id="${CSS.escape(sectionId)}"]`)
}

/** The text of a section element's own heading ("2.1 Nåsituasjon"), '' without one. */
export function sectionHeadingText (sectionEl) {
  const heading = sectionEl && sectionEl.querySelector(':scope > h2, :scope > h3, :scope > h4')
  if (!heading) return ''
  return [...heading.childNodes].map((n) => n.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' ')
}

/** `n` random lowercase hex digits (e.g. the `<8 hex>` of a plan-local section's id). */
export function randomHex (n) {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, n)
}
