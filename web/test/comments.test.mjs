// Unit tests of the comment threads' DOM-free logic (threads.js): anchors in a real Y.Doc,
// filters and order, the thread store, permissions, the API client, highlight contrast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { prosemirrorJSONToYXmlFragment, initProseMirrorDoc } from 'y-prosemirror'
import { schema } from '../src/schema.js'
import {
  textAnchor, decodePosition, rangeOf, clip, pageContext, filterThreads, sortThreads, openRowCounts,
  unitsOf, ThreadStore, newActivity, canResolve, canChangeComment, isMe, ThreadsApi, ApiError,
  errorMessage, personLabel, formatTime, anchorLabel, NO_UNIT, QUOTE_MAX
} from '../src/threads.js'

const SECTION = 'hvor-star-vi.russituasjon'
const SENTENCE = 'Ungdomsundersøkelsen viser økt bruk av snus.'
const WORDS = 'økt bruk av snus'

function paragraph (text) {
  return { type: 'paragraph', content: text ? [{ type: 'text', text }] : [] }
}

/** A Y.Doc whose section fragment holds `paragraphs`. */
function docWith (paragraphs) {
  const ydoc = new Y.Doc()
  const fragment = ydoc.getXmlFragment(`section:${SECTION}`)
  prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content: paragraphs.map(paragraph) }, fragment)
  return { ydoc, fragment }
}

/** The ProseMirror view of a fragment now, with the mapping y-prosemirror's binding would have. */
function view (fragment) {
  return initProseMirrorDoc(fragment, schema)
}

/** ProseMirror positions of the first occurrence of `text` (within one text node). */
function find (pmDoc, text) {
  let found = null
  pmDoc.descendants((node, pos) => {
    if (found || !node.isText) return !found
    const i = node.text.indexOf(text)
    if (i >= 0) found = { from: pos + i, to: pos + i + text.length }
    return false
  })
  assert.ok(found, `"${text}" in the document`)
  return found
}

function anchorFor (fragment, text) {
  const { doc, mapping } = view(fragment)
  const { from, to } = find(doc, text)
  return textAnchor({ section: SECTION, from, to, fragment, mapping, text: doc.textBetween(from, to, '\n') })
}

function currentText (ydoc, fragment, anchor) {
  const { doc, mapping } = view(fragment)
  const range = rangeOf(ydoc, fragment, decodePosition(anchor.start), decodePosition(anchor.end), mapping)
  return range && doc.textBetween(range.from, range.to, '\n')
}

/** Applies what `from` has and `to` lacks (one network round). */
function sync (from, to) {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
}

test('an anchor is base64 of encoded relative positions and decodes to the same words', () => {
  const { ydoc, fragment } = docWith(['Innledning.', SENTENCE])
  const anchor = anchorFor(fragment, WORDS)
  assert.equal(anchor.kind, 'text')
  assert.equal(anchor.section, SECTION)
  assert.equal(anchor.quote, WORDS)
  for (const b64 of [anchor.start, anchor.end]) {
    assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/)
    const bytes = Buffer.from(b64, 'base64')
    assert.ok(Y.decodeRelativePosition(bytes) instanceof Y.RelativePosition)
  }
  assert.equal(currentText(ydoc, fragment, anchor), WORDS)
})

test('the anchored words stay anchored while another person types around them', () => {
  const { ydoc: a, fragment: fa } = docWith(['Innledning.', SENTENCE])
  const b = new Y.Doc()
  sync(a, b)
  const fb = b.getXmlFragment(`section:${SECTION}`)
  const anchor = anchorFor(fb, WORDS) // made in B's copy
  // A types before the words, in the same paragraph and in a new paragraph above, and after.
  const text = fa.get(1).get(0)
  assert.ok(text instanceof Y.XmlText)
  text.insert(0, 'I 2024: ')
  text.insert(text.length, ' Mer tekst etter.')
  const p = new Y.XmlElement('paragraph')
  p.insert(0, [new Y.XmlText('Et nytt avsnitt først.')])
  fa.insert(0, [p])
  sync(a, b)
  assert.equal(currentText(b, fb, anchor), WORDS)
  assert.equal(currentText(a, fa, anchor), WORDS)
  // Typing inside the range widens it; typing right before it does not.
  const at = text.toString().indexOf('bruk')
  text.insert(at, 'mye ')
  assert.equal(currentText(a, fa, anchor), 'økt mye bruk av snus')
})

test('an anchor whose text is deleted resolves to nothing', () => {
  const { ydoc, fragment } = docWith([SENTENCE, 'Neste avsnitt.'])
  const anchor = anchorFor(fragment, WORDS)
  const text = fragment.get(0).get(0)
  const start = text.toString().indexOf(WORDS)
  text.delete(start, WORDS.length)
  assert.equal(currentText(ydoc, fragment, anchor), null)

  // The whole paragraph removed.
  const other = docWith([SENTENCE, 'Neste avsnitt.'])
  const anchor2 = anchorFor(other.fragment, WORDS)
  other.fragment.delete(0, 1)
  assert.equal(currentText(other.ydoc, other.fragment, anchor2), null)
})

test('an anchor up to the end of a paragraph, and one over two paragraphs', () => {
  const { ydoc, fragment } = docWith([SENTENCE, 'Andre avsnitt her.'])
  const anchor = anchorFor(fragment, 'snus.')
  fragment.get(0).get(0).insert(0, 'Ny start. ')
  assert.equal(currentText(ydoc, fragment, anchor), 'snus.')

  const { doc, mapping } = view(fragment)
  const from = find(doc, 'bruk').from
  const to = find(doc, 'Andre').to
  const wide = textAnchor({ section: SECTION, from, to, fragment, mapping, text: doc.textBetween(from, to, '\n') })
  assert.equal(wide.quote, 'bruk av snus. Andre')
  assert.equal(currentText(ydoc, fragment, wide), 'bruk av snus.\nAndre')
})

test('bad anchors decode to null, never throw', () => {
  assert.equal(decodePosition(''), null)
  assert.equal(decodePosition(null), null)
  assert.equal(decodePosition('%%%'), null)
  const { ydoc, fragment } = docWith([SENTENCE])
  const { mapping } = view(fragment)
  assert.equal(rangeOf(ydoc, fragment, null, null, mapping), null)
  // A position from another document (an unknown item).
  const other = docWith(['Noe annet helt.'])
  const foreign = anchorFor(other.fragment, 'annet')
  assert.equal(rangeOf(ydoc, fragment, decodePosition(foreign.start), decodePosition(foreign.end), mapping), null)
})

test('quotes are clipped to 1000 characters without splitting a surrogate pair', () => {
  assert.equal(clip('abc', 2), 'ab')
  assert.equal(clip('😀😀😀', 2), '😀😀')
  assert.equal(Array.from(clip('x'.repeat(1500))).length, QUOTE_MAX)
  const { fragment } = docWith([`${'lang tekst '.repeat(150)}slutt`])
  const { doc, mapping } = view(fragment)
  const a = textAnchor({ section: SECTION, from: 1, to: doc.content.size - 1, fragment, mapping, text: doc.textBetween(1, doc.content.size - 1) })
  assert.equal(Array.from(a.quote).length, QUOTE_MAX)
})

const me = { id: 'user:1', name: 'Kari Nordmann', unit: 'NAV' }
const adviser = { id: 'user:2', name: 'Ola Rådgiver', unit: 'KoRus' }
const guest = { id: 'anonymous', name: 'Gjest', unit: null }

function thread (id, { status = 'open', section = 'a', kind = 'text', row, author = adviser, created = '2025-01-01T10:00:00Z', comments } = {}) {
  const anchor = kind === 'tiltak' ? { kind, row, quote: 'Tiltak' } : { kind, section, start: 'AA==', end: 'AA==', quote: 'tekst' }
  return {
    id,
    plan_id: 'p',
    anchor,
    status,
    author,
    created_at: created,
    resolved_at: null,
    resolved_by: null,
    anchor_state: 'present',
    current_text: 'tekst',
    comments: comments || [{ id: `${id}-c1`, author, body: 'Hvilken kilde?', created_at: created, edited_at: null }]
  }
}

test('page data: missing fields have the agreed defaults', () => {
  assert.deepEqual(pageContext({ plan_id: 'x', can_edit: true }), { me: null, role: 'editor', canComment: false, canModerate: false, csrfToken: null })
  const ctx = pageContext({ me, role: 'adviser', can_comment: true, can_moderate: false, csrf_token: 'abc' })
  assert.equal(ctx.role, 'adviser')
  assert.equal(ctx.canComment, true)
  assert.equal(ctx.csrfToken, 'abc')
})

test('filters: status, section (a tiltak row by its section) and the author\'s unit', () => {
  const threads = [
    thread('1'),
    thread('2', { status: 'resolved', section: 'b' }),
    thread('3', { author: me, section: 'b' }),
    thread('4', { kind: 'tiltak', row: 'r1', author: { id: 'user:3', name: 'Uten', unit: null } })
  ]
  const rowSection = (row) => (row === 'r1' ? 'tiltak' : null)
  const ids = (list) => list.map((t) => t.id)
  assert.deepEqual(ids(filterThreads(threads, {}, rowSection)), ['1', '3', '4'], 'default: open')
  assert.deepEqual(ids(filterThreads(threads, { status: 'resolved' }, rowSection)), ['2'])
  assert.deepEqual(ids(filterThreads(threads, { status: 'all', section: 'b' }, rowSection)), ['2', '3'])
  assert.deepEqual(ids(filterThreads(threads, { status: 'all', section: 'tiltak' }, rowSection)), ['4'])
  assert.deepEqual(ids(filterThreads(threads, { status: 'all', unit: 'NAV' }, rowSection)), ['3'])
  assert.deepEqual(ids(filterThreads(threads, { status: 'all', unit: NO_UNIT }, rowSection)), ['4'])
  assert.deepEqual(unitsOf(threads), ['KoRus', 'NAV'])
  assert.deepEqual([...openRowCounts(threads)], [['r1', 1]])
})

test('order: section order on the page, then position in the text, then age', () => {
  const threads = [
    thread('late', { section: 'b', created: '2025-01-03T00:00:00Z' }),
    thread('early', { section: 'b', created: '2025-01-02T00:00:00Z' }),
    thread('far', { section: 'a' }),
    thread('near', { section: 'a', created: '2025-02-01T00:00:00Z' }),
    thread('unknown', { section: 'zzz' })
  ]
  const pos = { far: 40, near: 3 }
  const sorted = sortThreads(threads, ['a', 'b'], null, (t) => pos[t.id] ?? null)
  assert.deepEqual(sorted.map((t) => t.id), ['near', 'far', 'early', 'late', 'unknown'])
})

test('the store: a full list, events buffered while it loads, own changes, deletion', () => {
  const changes = []
  const store = new ThreadStore((c) => changes.push(c.kind))
  store.beginLoad()
  store.event('thread', thread('2'))
  store.event('thread_deleted', { id: '1' })
  assert.equal(store.list().length, 0, 'nothing applied while loading')
  store.reset([thread('1')])
  assert.deepEqual(store.list().map((t) => t.id), ['2'], 'buffered events applied after the list')
  assert.deepEqual(changes, ['reset'])

  store.event('thread', { ...thread('2'), status: 'resolved' })
  assert.equal(store.get('2').status, 'resolved')
  const reply = { id: 'c2', author: me, body: 'Fra SSB', created_at: '2025-01-01T11:00:00Z', edited_at: null }
  store.addComment('2', reply)
  store.addComment('2', reply)
  assert.equal(store.get('2').comments.length, 2, 'a reply already seen on the stream is not added twice')
  store.replaceComment('2', { ...reply, body: 'Fra SSB, 2024', edited_at: '2025-01-01T12:00:00Z' })
  assert.equal(store.get('2').comments[1].body, 'Fra SSB, 2024')
  store.dropComment('2', 'c2')
  assert.equal(store.get('2').comments.length, 1)
  store.dropComment('2', '2-c1')
  assert.equal(store.get('2'), null, 'the thread goes with its last comment')
  store.event('thread', { nonsense: true })
  store.event('thread_deleted', null)
  assert.equal(store.list().length, 0)
})

test('announcements: new threads and replies by others, never one\'s own', () => {
  const t = thread('1')
  assert.equal(newActivity({ kind: 'thread', thread: t, before: null }, me).kind, 'thread')
  assert.equal(newActivity({ kind: 'thread', thread: t, before: null }, adviser), null)
  const withReply = { ...t, comments: [...t.comments, { id: 'c2', author: me, body: 'Svar', created_at: '' }] }
  assert.equal(newActivity({ kind: 'thread', thread: withReply, before: t }, me), null)
  const a = newActivity({ kind: 'thread', thread: withReply, before: t }, adviser)
  assert.equal(a.kind, 'reply')
  assert.equal(a.comment.body, 'Svar')
  assert.equal(newActivity({ kind: 'thread', thread: { ...t, status: 'resolved' }, before: t }, me), null, 'resolving is no reply')
})

test('permissions: moderators resolve any thread, authors their own; only the author changes a comment', () => {
  const t = thread('1', { author: adviser })
  const ctx = (who, more = {}) => ({ me: who, canComment: true, canModerate: false, ...more })
  assert.equal(canResolve(t, ctx(adviser)), true)
  assert.equal(canResolve(t, ctx(me)), false)
  assert.equal(canResolve(t, ctx(me, { canModerate: true })), true)
  assert.equal(canResolve(t, ctx(adviser, { canComment: false })), false)
  assert.equal(canChangeComment(t.comments[0], ctx(adviser)), true)
  assert.equal(canChangeComment(t.comments[0], ctx(me)), false)
  // Anonymous visitors share one id: never "mine".
  assert.equal(isMe(guest, guest), false)
  assert.equal(isMe(me, null), false)
})

test('the API client sends JSON, the CSRF token on changes, and reports errors with their status', async () => {
  const calls = []
  const replies = []
  const fake = async (url, init) => {
    calls.push({ url, init })
    return replies.shift()
  }
  const json = (status, body) => ({ status, ok: status >= 200 && status < 300, json: async () => body })
  const api = new ThreadsApi('p 1', { csrfToken: 'tok' }, fake)
  replies.push(json(200, []))
  assert.deepEqual(await api.list(), [])
  assert.equal(calls[0].url, '/api/plans/p%201/threads')
  assert.equal(calls[0].init.method, 'GET')
  assert.equal(calls[0].init.credentials, 'same-origin')
  assert.equal(calls[0].init.headers['X-CSRF-Token'], undefined)

  replies.push(json(201, thread('t')))
  await api.create({ kind: 'tiltak', row: 'r', quote: 'q' }, 'Hei')
  assert.equal(calls[1].init.method, 'POST')
  assert.equal(calls[1].init.headers['X-CSRF-Token'], 'tok')
  assert.equal(calls[1].init.headers['content-type'], 'application/json')
  assert.deepEqual(JSON.parse(calls[1].init.body), { anchor: { kind: 'tiltak', row: 'r', quote: 'q' }, body: 'Hei' })

  replies.push({ status: 204, ok: true, json: async () => { throw new Error('no body') } })
  assert.equal(await api.remove('t', 'c'), null)
  assert.equal(calls[2].url, '/api/plans/p%201/threads/t/comments/c')
  assert.equal(calls[2].init.method, 'DELETE')
  assert.equal(calls[2].init.headers['X-CSRF-Token'], 'tok')

  replies.push(json(403, { error: 'only the author may edit a comment' }))
  await assert.rejects(api.edit('t', 'c', 'x'), (e) => e instanceof ApiError && e.status === 403 && e.serverText === 'only the author may edit a comment')
  assert.equal(calls[3].init.method, 'PATCH')

  const down = new ThreadsApi('p', { csrfToken: null }, async () => { throw new TypeError('Failed to fetch') })
  await assert.rejects(down.resolve('t'), (e) => e instanceof ApiError && e.status === 0)
  assert.equal(api.eventsUrl(), '/api/plans/p%201/threads/events')
})

test('messages and labels in bokmål', () => {
  assert.match(errorMessage(0, ''), /ingen kontakt med serveren/)
  assert.equal(errorMessage(403, '', 'Tråden ble ikke løst'), 'Tråden ble ikke løst: du har ikke tilgang til dette.')
  assert.equal(errorMessage(403, 'Bare koordinatoren eller den som startet tråden kan markere den som løst.', 'Tråden ble ikke løst'),
    'Tråden ble ikke løst. Bare koordinatoren eller den som startet tråden kan markere den som løst.')
  assert.equal(errorMessage(422, 'Kommentaren er for lang: høyst 5000 tegn.', 'Kommentaren ble ikke lagret'),
    'Kommentaren ble ikke lagret. Kommentaren er for lang: høyst 5000 tegn.')
  assert.equal(errorMessage(409, 'Noen andre endret den'), 'Det ble ikke lagret. Noen andre endret den.')
  assert.match(errorMessage(503, ''), /Prøv igjen om litt/)
  assert.equal(personLabel({ name: 'Kari', unit: 'NAV' }), 'Kari (NAV)')
  assert.equal(personLabel({ name: 'Kari', unit: null }), 'Kari')
  assert.match(formatTime('2025-11-12T13:02:00Z'), /12\. nov\.? 2025.*14[:.]02/)
  assert.equal(formatTime('ikke en dato'), 'ikke en dato')
})

test('a thread on a tiltak row is headed by the number the plan prints the row with', () => {
  const row = { kind: 'tiltak', row: 'r1', quote: 'Foreldremøter om alkohol' }
  assert.equal(anchorLabel({ anchor: row, tiltak_number: '4.5-9' }), 'Tiltak 4.5-9: Foreldremøter om alkohol')
  // A row printed in no table (its section not in use), or a server that sends no number.
  assert.equal(anchorLabel({ anchor: row, tiltak_number: null }), 'Tiltak: Foreldremøter om alkohol')
  assert.equal(anchorLabel({ anchor: row }), 'Tiltak: Foreldremøter om alkohol')
  assert.equal(anchorLabel({ anchor: { kind: 'text', section: 's', quote: 'unge drikker' }, tiltak_number: null }), '«unge drikker»')
})

test('highlight colours keep text contrast of at least 4.5:1', () => {
  const css = readFileSync(new URL('../src/editor.css', import.meta.url), 'utf8')
  const lum = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
  }
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05) }
  const backgrounds = ['.kommentar-anker', '.kommentar-anker.valgt', '.kommentar-ny'].map((sel) => {
    const rule = css.split('\n').find((line) => line.startsWith(`${sel} {`))
    assert.ok(rule, `rule ${sel}`)
    return /background-color: (#[0-9a-f]{6})/.exec(rule)[1]
  })
  // Body text, links, secondary text and blockquotes of the prose editor.
  for (const bg of backgrounds) {
    for (const fg of ['#2a2859', '#1f42aa', '#4d4d4d']) {
      assert.ok(ratio(fg, bg) >= 4.5, `${fg} on ${bg}: ${ratio(fg, bg).toFixed(2)}`)
    }
  }
})

test('the editor plugins: highlights from the anchors, and a caret that changes nothing', async () => {
  const { EditorState, TextSelection } = await import('prosemirror-state')
  const { ySyncPlugin, ySyncPluginKey } = await import('y-prosemirror')
  const { Comments } = await import('../src/comments.js')
  const { KEY, selectionHasText } = await import('../src/comment-highlights.js')
  const { ydoc, fragment } = docWith(['Innledning.', SENTENCE])
  const anchor = anchorFor(fragment, WORDS)
  const comments = new Comments({ data: { plan_id: 'p', can_comment: true }, doc: ydoc })
  let refused = 0
  comments.refusedEdit = () => { refused += 1 } // (the page's hint line)
  const t = { ...thread('t1', { section: SECTION }), anchor }
  comments.store.upsert(t, true)
  comments.store.upsert({ ...thread('t2', { section: SECTION, status: 'resolved' }), anchor }, true)
  const { doc, mapping } = view(fragment)
  let state = EditorState.create({
    schema,
    doc,
    plugins: [ySyncPlugin(fragment, { mapping }), ...comments.plugins(SECTION, { caret: true })]
  })
  state = state.apply(state.tr.setMeta(KEY, true))
  const found = KEY.getState(state).find()
  assert.equal(found.length, 1, 'only the open thread is drawn')
  assert.equal(state.doc.textBetween(found[0].from, found[0].to), WORDS)
  assert.equal(found[0].spec.threadId, 't1')
  assert.equal(comments.present.get('t2'), true, 'a resolved thread\'s text is known to be there')

  // The caret: selections change, text does not, except what the sync plugin brings.
  const { from, to } = find(state.doc, WORDS)
  state = state.apply(state.tr.setSelection(TextSelection.create(state.doc, from, to)))
  assert.equal(selectionHasText(state), true)
  const before = state.doc
  state = state.apply(state.tr.insertText('x', from))
  assert.equal(state.doc, before, 'typing is refused')
  assert.equal(refused, 1, 'and the person is told')
  state = state.apply(state.tr.insertText('Nytt: ', 1).setMeta(ySyncPluginKey, { isChangeOrigin: true }))
  assert.equal(state.doc.textBetween(1, 7), 'Nytt: ', 'remote changes come through')

  // An editor's own typing before the words: the highlight is mapped along until it is
  // recomputed from the document.
  let editing = EditorState.create({ schema, doc, plugins: [ySyncPlugin(fragment, { mapping }), ...comments.plugins(SECTION, { caret: false })] })
  editing = editing.apply(editing.tr.setMeta(KEY, true))
  editing = editing.apply(editing.tr.insertText('I 2024: ', find(editing.doc, 'Ungdoms').from))
  editing = editing.apply(editing.tr.insertText('tydelig ', find(editing.doc, WORDS).from))
  const moved = KEY.getState(editing).find()
  assert.equal(editing.doc.textBetween(moved[0].from, moved[0].to), WORDS)
  assert.equal(refused, 1, 'an editor is never refused')
})
