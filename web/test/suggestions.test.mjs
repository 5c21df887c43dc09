// Unit tests of suggestions.js's DOM-free parts: how a suggestion reads, and its API client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { describe, proposedRow, rowError, SuggestionsApi } from '../src/suggestions.js'
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

test('a proposed new row has only the fields given, text trimmed and lists as chosen', () => {
  const read = (name, value) => ({ field: { name }, read: () => value })
  assert.deepEqual(proposedRow([
    read('tiltak', '  Kurs for foreldre '), read('strategi', ''), read('frist', '   '),
    read('ansvarlig', ['NAV']), read('mal', []), read('status', 'pabegynt')
  ]), { tiltak: 'Kurs for foreldre', ansvarlig: ['NAV'], status: 'pabegynt' })
  assert.deepEqual(proposedRow([read('tiltak', '')]), {})
})

test('a refused new row is told in bokmål, naming the field by its label', () => {
  const fields = [...SCHEMA.fields, { name: 'frist', label: 'Frist', type: 'deadline' }, { name: 'antall', label: 'Antall', type: 'number' }]
  assert.deepEqual(rowError(422, 'rows[0]: field `frist` is 101 characters long; the limit is 100', fields),
    { message: 'Forslaget ble ikke lagret. «Frist» er for langt: høyst 100 tegn.', field: 'frist' })
  assert.equal(rowError(422, 'rows[0]: field `antall` must be a number, not `mange`', fields).message, 'Forslaget ble ikke lagret. «Antall» må være et tall.')
  assert.deepEqual(rowError(422, 'rows[0]: `ukjent` is not allowed for tiltak field `strategi`; allowed values: forebygging', fields),
    { message: 'Forslaget ble ikke lagret. «Strategi» har en verdi som ikke kan velges. Velg på nytt.', field: 'strategi' })
  // The server's own bokmål messages keep their words; English ones without a field do not show.
  assert.deepEqual(rowError(422, 'new_row: Feltet «new_row» er for langt.', fields), { message: 'Forslaget ble ikke lagret. Feltet «new_row» er for langt.', field: null })
  assert.equal(rowError(400, 'expected value at line 1', fields).message, 'Forslaget ble ikke lagret.')
  assert.equal(rowError(0, '', fields).message, 'Forslaget ble ikke lagret: ingen kontakt med serveren. Prøv igjen.')
})

test('a new row\'s goals read as their titles', () => {
  const schema = { fields: [...SCHEMA.fields, { name: 'mal', label: 'Planens mål', type: 'goals' }] }
  assert.equal(describe({ kind: 'row', new_row: { tiltak: 'Nytt', mal: ['g1'] } }, schema, [{ id: 'g1', title: 'Færre unge drikker' }]),
    'Nytt tiltak – Tiltak: Nytt; Planens mål: Færre unge drikker')
})

test('a new row is posted as new_row', async () => {
  const calls = []
  const api = new SuggestionsApi('p1', pageContext({ csrf_token: 'tok' }), async (url, init) => {
    calls.push({ url, init })
    return { ok: true, status: 201, json: async () => ({ id: 's1' }) }
  })
  await api.createRow({ tiltak: 'Nytt', status: 'pabegynt' })
  assert.equal(calls[0].url, '/api/plans/p1/suggestions')
  assert.deepEqual(JSON.parse(calls[0].init.body), { new_row: { tiltak: 'Nytt', status: 'pabegynt' } })
})
