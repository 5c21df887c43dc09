// Unit tests of the editor's DOM-free parts: `npm test --prefix web` (node's test runner).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { diff } from '../src/ytext-binding.js'
import { slug } from '../src/util.js'
import { uniqueGroupId } from '../src/targetgroups.js'
import { safeHref, schema } from '../src/schema.js'
import { copyRow } from '../src/tiltak.js'
import { statusText } from '../src/connection.js'
import { panelUrl } from '../src/completeness.js'

test('diff finds the changed range and never splits a surrogate pair', () => {
  assert.deepEqual(diff('abc', 'abXc'), { index: 2, remove: 0, insert: 'X' })
  assert.deepEqual(diff('abc', 'ac'), { index: 1, remove: 1, insert: '' })
  assert.deepEqual(diff('aaa', 'aaaa'), { index: 3, remove: 0, insert: 'a' })
  // 😀 (d83d de00) → 😁 (d83d de01): the whole pair is replaced.
  assert.deepEqual(diff('x😀y', 'x😁y'), { index: 1, remove: 2, insert: '😁' })
})

test('two diffs applied to one Y.Text keep both people\'s typing', () => {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.getText('t').insert(0, 'tiltak')
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  for (const [doc, next] of [[a, 'tiltak (A)'], [b, '[B] tiltak']]) {
    const text = doc.getText('t')
    const change = diff(text.toString(), next)
    text.delete(change.index, change.remove)
    text.insert(change.index, change.insert)
  }
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  assert.equal(a.getText('t').toString(), '[B] tiltak (A)')
  assert.equal(b.getText('t').toString(), '[B] tiltak (A)')
})

test('target group ids are unique ASCII slugs of their names', () => {
  assert.equal(slug('Barn og unge'), 'barn-og-unge')
  assert.equal(slug('Eldre i hjemmetjenesten – pårørende'), 'eldre-i-hjemmetjenesten-parorende')
  assert.equal(slug('Økt åpenhet'), 'okt-apenhet')
  assert.equal(uniqueGroupId('Voksne', new Set(['voksne', 'voksne-2'])), 'voksne-3')
  assert.equal(uniqueGroupId('!!!', new Set()), 'gruppe')
})

test('links are web or mail links and in-page anchors only', () => {
  assert.equal(safeHref('https://korus-oslo.no'), 'https://korus-oslo.no')
  assert.equal(safeHref('www.oslo.kommune.no'), 'https://www.oslo.kommune.no')
  assert.equal(safeHref('mailto:post@bydel.oslo.kommune.no'), 'mailto:post@bydel.oslo.kommune.no')
  assert.equal(safeHref('#hvor-star-vi'), '#hvor-star-vi')
  assert.equal(safeHref('https://korus-oslo.no/a b'), 'https://korus-oslo.no/a b')
  for (const refused of [
    'javascript:alert(1)', 'JavaScript:alert(document.domain)', 'java\tscript:alert(1)',
    'java\nscript:alert(1)', '\u0001javascript:alert(1)', 'data:text/html,x', 'vbscript:x',
    '/plans/x', '//evil.example/', ' java script:x', '#', '', null, undefined
  ]) {
    assert.equal(safeHref(refused), null, JSON.stringify(refused))
  }
})

test('the schema renders and pastes only safe links', () => {
  const toDOM = schema.marks.link.spec.toDOM
  const getAttrs = schema.marks.link.spec.parseDOM[0].getAttrs
  const safe = toDOM(schema.marks.link.create({ href: 'https://korus-oslo.no' }))
  assert.equal(safe[0], 'a')
  assert.equal(safe[1].href, 'https://korus-oslo.no')
  for (const href of ['javascript:alert(document.domain)', 'java\tscript:alert(1)', 'data:text/html,x']) {
    const rendered = toDOM(schema.marks.link.create({ href }))
    assert.equal(rendered[0], 'span', href)
    assert.equal(rendered[1].href, undefined)
    assert.equal(getAttrs({ getAttribute: () => href }), false, href)
  }
  assert.deepEqual(getAttrs({ getAttribute: () => 'https://x.no' }), { href: 'https://x.no' })
  assert.deepEqual(getAttrs({ getAttribute: () => '#tiltak' }), { href: '#tiltak' })
})

test('a moved row keeps its id and values, long texts as new Y.Text', () => {
  const doc = new Y.Doc()
  const rows = doc.getArray('tiltak')
  const row = new Y.Map()
  row.set('id', '6f1c7c1e-58a5-4c1e-9a3c-0d2b8b1e2f00')
  row.set('status', 'pabegynt')
  row.set('tiltak', new Y.Text('Rusfritt ungdomshus'))
  rows.push([row])
  const fields = [{ name: 'tiltak', type: 'long_text' }, { name: 'indikator', type: 'long_text' }, { name: 'status', type: 'enum' }]
  const copy = copyRow(rows.get(0), fields)
  doc.transact(() => { rows.delete(0, 1); rows.insert(0, [copy]) })
  const moved = rows.get(0)
  assert.equal(moved.get('id'), '6f1c7c1e-58a5-4c1e-9a3c-0d2b8b1e2f00')
  assert.equal(moved.get('status'), 'pabegynt')
  assert.ok(moved.get('tiltak') instanceof Y.Text)
  assert.equal(moved.get('tiltak').toString(), 'Rusfritt ungdomshus')
  assert.ok(moved.get('indikator') instanceof Y.Text, 'every long_text cell exists')
})

test('the connection line says what the connection allows', () => {
  assert.equal(statusText('kobler-til', true), 'Kobler til …')
  assert.equal(statusText('tilkoblet', true), 'Tilkoblet – endringer lagres')
  assert.equal(statusText('tilkoblet', false), 'Tilkoblet – bare lesetilgang')
  assert.equal(statusText('frakoblet', true), 'Frakoblet – endringer lagres lokalt')
  assert.equal(statusText('lesetilgang', true), 'Tilkoblet – du kan lese, men ikke endre planen')
})

test('the completeness panel is asked of the plan page\'s own route', () => {
  assert.equal(panelUrl('7f3c2a'), '/plans/7f3c2a/mangler')
  assert.equal(panelUrl('a/b'), '/plans/a%2Fb/mangler')
})
