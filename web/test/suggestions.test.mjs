// Unit tests of suggestions.js's DOM-free parts: how a suggestion reads, and its API client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { describe, SuggestionsApi } from '../src/suggestions.js'
import { pageContext } from '../src/threads.js'

const SCHEMA = {
  fields: [
    { name: 'tiltak', label: 'Tiltak', type: 'long_text' },
    { name: 'strategi', label: 'Strategi', type: 'enum', options: [{ value: 'forebygging', label: 'Forebygging' }] },
    { name: 'ansvarlig', label: 'Ansvarlig', type: 'unit' }
  ]
}

test('prose suggestions read as replacement, insertion or deletion', () => {
  assert.equal(describe({ kind: 'text', original: 'hele bydelen', text: 'alle delene' }), 'Erstatt «hele bydelen» med «alle delene»')
  assert.equal(describe({ kind: 'text', original: '', text: 'unge ' }), 'Sett inn «unge »')
  assert.equal(describe({ kind: 'text', original: 'i dag', text: '' }), 'Slett «i dag»')
})

test('tiltak suggestions name the field by its label and options by theirs', () => {
  assert.equal(describe({ kind: 'field', field: 'tiltak', original: 'Kurs', value: 'Kurs for foreldre' }, SCHEMA), 'Tiltak: «Kurs» blir «Kurs for foreldre»')
  assert.equal(describe({ kind: 'field', field: 'strategi', original: '', value: 'forebygging' }, SCHEMA), 'Strategi: «Forebygging»')
  assert.equal(describe({ kind: 'field', field: 'ansvarlig', original: ['NAV', 'SaLTo'], value: [] }, SCHEMA), 'Ansvarlig: tøm «NAV, SaLTo»')
  assert.equal(describe({ kind: 'row', new_row: { tiltak: 'Nytt', strategi: 'forebygging', ansvarlig: [] } }, SCHEMA), 'Nytt tiltak – Tiltak: Nytt; Strategi: Forebygging')
  // Without the schema the code names still say what is proposed.
  assert.equal(describe({ kind: 'field', field: 'frist', original: '2026', value: '2027' }), 'frist: «2026» blir «2027»')
})

test('the API client posts to the plan\'s suggestions with the CSRF token', async () => {
  const calls = []
  const fetchFn = async (url, init) => {
    calls.push({ url, init })
    return { ok: true, status: 200, json: async () => ({ id: 's1' }) }
  }
  const api = new SuggestionsApi('p 1', pageContext({ csrf_token: 'tok' }), fetchFn)
  await api.accept('s/1', true)
  await api.reject('s1', '')
  await api.create({ row: 'r', field: 'tiltak', value: 'x' })
  assert.equal(calls[0].url, '/api/plans/p%201/suggestions/s%2F1/accept')
  assert.deepEqual(JSON.parse(calls[0].init.body), { confirm_stale: true })
  assert.equal(calls[0].init.headers['X-CSRF-Token'], 'tok')
  assert.equal(calls[1].url, '/api/plans/p%201/suggestions/s1/reject')
  assert.deepEqual(JSON.parse(calls[1].init.body), {})
  assert.equal(calls[2].url, '/api/plans/p%201/suggestions')
  assert.equal(calls[2].init.method, 'POST')
})
