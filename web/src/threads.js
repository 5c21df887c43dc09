// Comment threads: the DOM-free part (anchors, filters, order, permissions, the thread store,
// the HTTP client). The panel, the highlights and the buttons are in comments.js.
//
// Anchors of text threads are Yjs relative positions in the section's Y.XmlFragment
// (`section:<id>`), made and read with y-prosemirror's position helpers, so a highlight follows
// its words however others edit around them. They travel as standard base64 of
// `Y.encodeRelativePosition`.

import * as Y from 'yjs'
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition } from 'y-prosemirror'
import { toBase64, fromBase64 } from 'lib0/buffer'

/** Longest quote sent with a new thread, in characters (code points). */
export const QUOTE_MAX = 1000

/** Missing page data, until the server sends it: no one, an editor, no commenting. */
export function pageContext (data) {
  const d = data || {}
  return {
    me: d.me && typeof d.me === 'object' ? d.me : null,
    role: d.role || 'editor',
    canComment: d.can_comment === true,
    canModerate: d.can_moderate === true,
    csrfToken: typeof d.csrf_token === 'string' ? d.csrf_token : null
  }
}

/** A text's first `max` code points (never half a surrogate pair). */
export function clip (text, max = QUOTE_MAX) {
  const chars = Array.from(text || '')
  return chars.length > max ? chars.slice(0, max).join('') : chars.join('')
}

/** base64 of an encoded relative position, for ProseMirror position `pos` in `fragment`. */
export function encodePosition (pos, fragment, mapping) {
  const rel = absolutePositionToRelativePosition(pos, fragment, mapping)
  return toBase64(Y.encodeRelativePosition(rel))
}

/** A relative position from its base64, or null when it does not decode. */
export function decodePosition (b64) {
  if (typeof b64 !== 'string' || !b64) return null
  try {
    return Y.decodeRelativePosition(fromBase64(b64))
  } catch {
    return null
  }
}

/** Whether a Yjs type sits in `root` without a deleted ancestor. */
function alive (type, root) {
  let t = type
  while (t && t !== root) {
    if (!t._item || t._item.deleted) return false
    t = t._item.parent
  }
  return t === root
}

/** The ProseMirror position of a relative position in `fragment`, or null when it is gone. */
export function absolute (ydoc, fragment, rel, mapping) {
  if (!rel) return null
  try {
    const abs = Y.createAbsolutePositionFromRelativePosition(rel, ydoc)
    if (!abs || !alive(abs.type, fragment)) return null
    return relativePositionToAbsolutePosition(ydoc, fragment, rel, mapping)
  } catch {
    // The binding has not mapped every node yet (first render): no position for now.
    return null
  }
}

/**
 * The current range {from, to} of a text anchor (relative positions `start`, `end`), or null when
 * its text is gone (deleted, or collapsed to nothing).
 */
export function rangeOf (ydoc, fragment, start, end, mapping) {
  const from = absolute(ydoc, fragment, start, mapping)
  const to = absolute(ydoc, fragment, end, mapping)
  if (from == null || to == null || to <= from) return null
  return { from, to }
}

/** The anchor of a text thread for the selection from..to of a bound editor. */
export function textAnchor ({ section, from, to, fragment, mapping, text }) {
  return {
    kind: 'text',
    section,
    start: encodePosition(from, fragment, mapping),
    end: encodePosition(to, fragment, mapping),
    quote: clip(text.replace(/\s+/g, ' ').trim())
  }
}

/** Is this `author` the visitor (a real identity: every anonymous visitor shares one id)? */
export function isMe (author, me) {
  return !!(author && me && me.id && me.id !== 'anonymous' && author.id === me.id)
}

export function canResolve (thread, ctx) {
  if (ctx.canModerate) return true
  return ctx.canComment && isMe(thread.author, ctx.me)
}

export function canChangeComment (comment, ctx) {
  return isMe(comment.author, ctx.me)
}

/**
 * A thread's heading: the quoted text «…», or for a tiltak row «Tiltak 4.5-9: <title>» with
 * the number the plan prints the row with now (the server's `tiltak_number`), «Tiltak: <title>»
 * when the row is printed in no table.
 */
export function anchorLabel (thread) {
  const a = thread.anchor || {}
  if (a.kind !== 'tiltak') return `«${a.quote || ''}»`
  const number = thread.tiltak_number
  return `${number ? `Tiltak ${number}` : 'Tiltak'}: ${a.quote || ''}`
}

/** The section a thread belongs to: its anchor's, or for a tiltak row the row's section. */
export function sectionOf (thread, rowSection) {
  const a = thread.anchor || {}
  if (a.kind === 'tiltak') return (rowSection && rowSection(a.row)) || a.section || ''
  return a.section || ''
}

/** The unit a thread is filed under: its author's, '' when none. */
export function unitOf (thread) {
  return (thread.author && thread.author.unit) || ''
}

export const NO_UNIT = '__ingen'

/**
 * Threads matching the panel's filters: `status` ('open' | 'resolved' | 'all'), `section`
 * (section id or ''), `unit` (unit name, NO_UNIT, or '').
 */
export function filterThreads (threads, { status = 'open', section = '', unit = '' } = {}, rowSection) {
  return threads.filter((t) => {
    if (status !== 'all' && t.status !== status) return false
    if (section && sectionOf(t, rowSection) !== section) return false
    if (unit === NO_UNIT) return !unitOf(t)
    if (unit && unitOf(t) !== unit) return false
    return true
  })
}

/**
 * Threads in reading order: by the section's place on the page, then by position in the text
 * (`positionOf(thread)` → number or null), then oldest first.
 */
export function sortThreads (threads, sectionOrder, rowSection, positionOf = () => null) {
  const order = new Map(sectionOrder.map((id, i) => [id, i]))
  const keyed = threads.map((t) => {
    const s = order.get(sectionOf(t, rowSection))
    const p = positionOf(t)
    return { t, s: s == null ? Infinity : s, p: p == null ? Infinity : p, c: t.created_at || '' }
  })
  keyed.sort((a, b) => (a.s - b.s) || (a.p === b.p ? 0 : a.p < b.p ? -1 : 1) || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0))
  return keyed.map((k) => k.t)
}

/** Open threads per tiltak row id. */
export function openRowCounts (threads) {
  const counts = new Map()
  for (const t of threads) {
    if (t.status !== 'open' || t.anchor?.kind !== 'tiltak') continue
    counts.set(t.anchor.row, (counts.get(t.anchor.row) || 0) + 1)
  }
  return counts
}

/** Units that appear as thread authors' units, sorted for Norwegian. */
export function unitsOf (threads) {
  const units = new Set()
  for (const t of threads) if (unitOf(t)) units.add(unitOf(t))
  return [...units].sort((a, b) => a.localeCompare(b, 'nb'))
}

/**
 * The visitor's view of the plan's threads, kept current from the full list (GET) and the event
 * stream. `onChange(change)` gets {kind: 'reset'} or {kind: 'thread', thread, before} or
 * {kind: 'deleted', id, before}.
 */
export class ThreadStore {
  constructor (onChange = () => {}) {
    this.threads = new Map()
    this.onChange = onChange
    this.loading = false
    this.buffer = []
  }

  list () { return [...this.threads.values()] }
  get (id) { return this.threads.get(id) || null }

  /** Start of a full reload: events until `reset` are kept and applied after the list. */
  beginLoad () {
    this.loading = true
    this.buffer = []
  }

  /** The full list: replaces everything, then applies events that arrived while it loaded. */
  reset (threads) {
    this.threads = new Map(threads.map((t) => [t.id, t]))
    const buffered = this.buffer
    this.loading = false
    this.buffer = []
    for (const e of buffered) this.apply(e.type, e.data, true)
    this.onChange({ kind: 'reset' })
  }

  /** A load that failed: stop buffering, apply what came. */
  abortLoad () {
    const buffered = this.buffer
    this.loading = false
    this.buffer = []
    for (const e of buffered) this.apply(e.type, e.data)
  }

  /** An event from the stream: 'thread' with the thread, 'thread_deleted' with {id}. */
  event (type, data) {
    if (this.loading) { this.buffer.push({ type, data }); return }
    this.apply(type, data)
  }

  apply (type, data, quiet = false) {
    if (!data || typeof data.id !== 'string') return
    if (type === 'thread') this.upsert(data, quiet)
    else if (type === 'thread_deleted') this.remove(data.id, quiet)
  }

  upsert (thread, quiet = false) {
    const before = this.threads.get(thread.id) || null
    this.threads.set(thread.id, thread)
    if (!quiet) this.onChange({ kind: 'thread', thread, before })
  }

  remove (id, quiet = false) {
    const before = this.threads.get(id) || null
    if (!before) return
    this.threads.delete(id)
    if (!quiet) this.onChange({ kind: 'deleted', id, before })
  }

  /** A reply posted by this page (the answer is the comment): added unless the stream was first. */
  addComment (threadId, comment) {
    const t = this.threads.get(threadId)
    if (!t || t.comments.some((c) => c.id === comment.id)) return
    this.upsert({ ...t, comments: [...t.comments, comment] })
  }

  replaceComment (threadId, comment) {
    const t = this.threads.get(threadId)
    if (!t) return
    this.upsert({ ...t, comments: t.comments.map((c) => (c.id === comment.id ? comment : c)) })
  }

  /** A comment deleted by this page; the thread goes with its last comment. */
  dropComment (threadId, commentId) {
    const t = this.threads.get(threadId)
    if (!t) return
    const comments = t.comments.filter((c) => c.id !== commentId)
    if (comments.length === 0) this.remove(threadId)
    else this.upsert({ ...t, comments })
  }
}

/**
 * What changed for the live announcement: a new thread or new replies by someone else.
 * Returns null, or {kind: 'thread' | 'reply', author, thread, comment}.
 */
export function newActivity (change, me) {
  if (change.kind !== 'thread') return null
  const { thread, before } = change
  if (!before) {
    if (isMe(thread.author, me)) return null
    return { kind: 'thread', author: thread.author, thread, comment: thread.comments[0] || null }
  }
  const known = new Set(before.comments.map((c) => c.id))
  const added = thread.comments.filter((c) => !known.has(c.id) && !isMe(c.author, me))
  if (added.length === 0) return null
  const comment = added[added.length - 1]
  return { kind: 'reply', author: comment.author, thread, comment }
}

/** "Kari Nordmann (NAV)" */
export function personLabel (author) {
  if (!author) return 'Ukjent'
  const name = author.name || 'Ukjent'
  return author.unit ? `${name} (${author.unit})` : name
}

const DATE = typeof Intl !== 'undefined'
  ? new Intl.DateTimeFormat('nb-NO', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Oslo' })
  : null

/** "12. nov. 2025, 14:02" (Oslo time), or the text as it came when it is no date. */
export function formatTime (iso) {
  const d = new Date(iso)
  if (!iso || Number.isNaN(d.getTime()) || !DATE) return iso || ''
  return DATE.format(d)
}

/** A bokmål message for a failed request (the server's own messages are bokmål too). */
export function errorMessage (status, serverText, action = 'Det ble ikke lagret') {
  const said = sentence(serverText)
  if (status === 0) return `${action}: ingen kontakt med serveren. Prøv igjen.`
  if (status === 401) return `${action}: du er ikke logget inn lenger. Logg inn på nytt.`
  if (status === 403) return said ? `${action}. ${said}` : `${action}: du har ikke tilgang til dette.`
  if (status === 404) return `${action}: tråden eller kommentaren finnes ikke lenger.`
  if (status === 413) return `${action}: teksten er for lang.`
  if (status >= 500) return `${action}: feil på serveren. Prøv igjen om litt.`
  return said ? `${action}. ${said}` : `${action}.`
}

/** A text as a sentence: trimmed, ending with a full stop unless it has one. */
function sentence (text) {
  const t = (text || '').trim()
  return t && !/[.!?…]$/.test(t) ? `${t}.` : t
}

/** A failed request: `status` 0 for no answer. */
export class ApiError extends Error {
  constructor (status, serverText) {
    super(serverText || `HTTP ${status}`)
    this.status = status
    this.serverText = serverText || ''
  }
}

/** The threads API of one plan; `fetchFn` is the page's fetch. */
export class ThreadsApi {
  constructor (planId, ctx, fetchFn = (...a) => fetch(...a)) {
    this.base = `/api/plans/${encodeURIComponent(planId)}/threads`
    this.ctx = ctx
    this.fetch = fetchFn
  }

  async request (method, path, body) {
    const headers = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (method !== 'GET' && this.ctx.csrfToken) headers['X-CSRF-Token'] = this.ctx.csrfToken
    let response
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body)
      })
    } catch {
      throw new ApiError(0, '')
    }
    if (response.status === 204) return null
    let json = null
    try { json = await response.json() } catch { /* no body */ }
    if (!response.ok) throw new ApiError(response.status, json && typeof json.error === 'string' ? json.error : '')
    return json
  }

  list () { return this.request('GET', '') }
  get (id) { return this.request('GET', `/${encodeURIComponent(id)}`) }
  create (anchor, body) { return this.request('POST', '', { anchor, body }) }
  reply (id, body) { return this.request('POST', `/${encodeURIComponent(id)}/comments`, { body }) }
  edit (id, commentId, body) { return this.request('PATCH', `/${encodeURIComponent(id)}/comments/${encodeURIComponent(commentId)}`, { body }) }
  remove (id, commentId) { return this.request('DELETE', `/${encodeURIComponent(id)}/comments/${encodeURIComponent(commentId)}`) }
  resolve (id) { return this.request('POST', `/${encodeURIComponent(id)}/resolve`) }
  reopen (id) { return this.request('POST', `/${encodeURIComponent(id)}/reopen`) }
  eventsUrl () { return `${this.base}/events` }
}
