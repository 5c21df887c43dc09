// The tiltak table's logic without DOM (src/tiltak-model.js): a template's schema decides
// columns, grouping, filters and values; rows in several groups or target groups are placed by
// the schema's `multi_group`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import {
  NONE, tableRoles, fieldValues, fieldChoices, groupDefs, groupItems, rowSections, rowViews,
  validNumber, toggled, newRowValues, maxChars, columnWidths, charCount, counterState, counterMessage,
  TITLE_MIN_SHARE
} from '../src/tiltak-model.js'
import { schema, headingTag } from '../src/schema.js'

/** A made-up template: nothing here is a real template's field, so nothing depends on one. */
const SCHEMA = {
  group_by: 'tema',
  title_field: 'navn',
  strategy_field: 'tema',
  multi_group: 'each',
  fields: [
    { name: 'tema', label: 'Tema', type: 'multi_enum', options: [{ value: 'a', label: 'Alfa', short_label: 'A' }, { value: 'b', label: 'Beta' }], filter: true },
    { name: 'navn', label: 'Navn', type: 'long_text', columns: ['editor', 'page'], width: 4 },
    { name: 'eier', label: 'Eier', type: 'unit', columns: ['editor'], filter: true },
    { name: 'kost', label: 'Kostnad', type: 'number', max_chars: 20 },
    { name: 'fase', label: 'Fase', type: 'enum', default: 'ny', options: [{ value: 'ny', label: 'Ny' }], columns: ['export'] },
    { name: 'mal', label: 'Mål', type: 'goals', default: 'g1' }
  ]
}

function docWithRows (rows) {
  const doc = new Y.Doc()
  const array = doc.getArray('tiltak')
  array.push(rows.map((values) => {
    const map = new Y.Map()
    for (const [k, v] of Object.entries(values)) map.set(k, v)
    return map
  }))
  return array.toArray()
}

test('the schema says which fields are columns, group, filter and title', () => {
  const roles = tableRoles(SCHEMA)
  assert.deepEqual(roles.mainFields.map((f) => f.name), ['navn', 'eier'])
  assert.deepEqual(roles.extraFields.map((f) => f.name), ['tema', 'kost', 'fase', 'mal'])
  assert.equal(roles.groupField.name, 'tema')
  assert.equal(roles.titleField.name, 'navn')
  assert.equal(roles.strategyField.name, 'tema')
  assert.deepEqual(roles.filterFields.map((f) => f.name), ['tema', 'eier'])
  assert.equal(roles.multiGroup, 'each')
  assert.equal(tableRoles({ ...SCHEMA, multi_group: 'once' }).multiGroup, 'once')
  // A group_by that names no groupable field: one table.
  assert.equal(tableRoles({ ...SCHEMA, group_by: 'kost' }).groupField, null)
  assert.equal(tableRoles({ fields: [] }).titleField, null)
  assert.equal(maxChars(SCHEMA.fields[3]), 20)
  assert.equal(maxChars(SCHEMA.fields[0]), 10000)
})

test('values: list kinds read as lists (a single string as one element), text kinds as one value', () => {
  const [row] = docWithRows([{ tema: 'a', eier: ['NAV', 'Frivillige'], navn: new Y.Text('Tiltak'), kost: '  ' }])
  const [tema, navn, eier, kost] = SCHEMA.fields
  assert.deepEqual(fieldValues(row, tema), ['a'])
  assert.deepEqual(fieldValues(row, eier), ['NAV', 'Frivillige'])
  assert.deepEqual(fieldValues(row, navn), ['Tiltak'])
  assert.deepEqual(fieldValues(row, kost), [])
})

test('groups: the options in order, or the plan\'s goals, then «Uten …»; none without group_by', () => {
  const [tema] = SCHEMA.fields
  assert.deepEqual(groupDefs(tema).map((d) => [d.key, d.short]), [['a', 'A'], ['b', 'Beta'], [NONE, 'Uten tema']])
  const goals = [{ id: 'g1', title: 'Færre unge begynner å drikke' }, { id: 'g2', title: '' }]
  const mal = SCHEMA.fields[5]
  assert.deepEqual(groupDefs(mal, goals).map((d) => [d.key, d.label]),
    [['g1', 'Færre unge begynner å drikke'], ['g2', 'Mål 2 (uten tittel)'], [NONE, 'Uten mål']])
  assert.deepEqual(fieldChoices(mal, goals).map((c) => c.value), ['g1', 'g2'])
  assert.deepEqual(groupDefs(null).map((d) => [d.key, d.label, d.always]), [[NONE, 'Tiltak', true]])
})

test('rows with several group values: "each" puts them in every group, "once" in the first', () => {
  const rows = docWithRows([{ tema: ['b', 'a'] }, { tema: 'b' }, { tema: ['x'] }, {}])
  const tema = SCHEMA.fields[0]
  const defs = groupDefs(tema)
  const valuesOf = (map) => fieldValues(map, tema)
  const each = groupItems(rows, valuesOf, defs, 'each')
  assert.deepEqual([...each.keys()], ['a', 'b', NONE])
  assert.deepEqual(each.get('a').map((p) => [rows.indexOf(p.item), p.others]), [[0, ['b']]])
  assert.deepEqual(each.get('b').map((p) => [rows.indexOf(p.item), p.others]), [[0, ['a']], [1, []]])
  // A value that matches no option, and no value at all: «Uten tema».
  assert.deepEqual(each.get(NONE).map((p) => rows.indexOf(p.item)), [2, 3])
  const once = groupItems(rows, valuesOf, defs, 'once')
  // First in the groups' order (the template's), not in the row's stored order.
  assert.deepEqual(once.get('a').map((p) => [rows.indexOf(p.item), p.others]), [[0, ['b']]])
  assert.deepEqual(once.get('b').map((p) => rows.indexOf(p.item)), [1])
  // One row, one map: the same Y.Map in both groups.
  assert.equal(each.get('a')[0].item, each.get('b')[0].item)
})

test('target groups: a row in several tiltak sections shows in each, or once', () => {
  const [plain, one, both, gone, legacy] = docWithRows([
    {},
    { section: 'm.a.t' },
    { section: 'm.a.t', sections: ['m.a.t', 'm.b.t'] },
    { section: 'm.x.t' },
    { sections: 'm.b.t' }
  ])
  assert.deepEqual(rowSections(plain), [])
  assert.deepEqual(rowSections(both), ['m.a.t', 'm.b.t'])
  assert.deepEqual(rowSections(legacy), ['m.b.t'])
  const views = ['tiltak', 'm.a.t', 'm.b.t']
  assert.deepEqual(rowViews(rowSections(plain), views, 'tiltak', 'each'), ['tiltak'])
  assert.deepEqual(rowViews(rowSections(one), views, 'tiltak', 'each'), ['m.a.t'])
  assert.deepEqual(rowViews(rowSections(both), views, 'tiltak', 'each'), ['m.a.t', 'm.b.t'])
  assert.deepEqual(rowViews(rowSections(both), views, 'tiltak', 'once'), ['m.a.t'])
  // A row whose sections are not on the page is never invisible: the first view shows it.
  assert.deepEqual(rowViews(rowSections(gone), views, 'tiltak', 'each'), ['tiltak'])
  assert.deepEqual(rowViews([], ['m.a.t'], null, 'each'), ['m.a.t'])
  assert.deepEqual(rowViews(['m.a.t'], [], null, 'each'), [])
})

test('"once": a row shows, and is numbered, in the first section it names, as the server numbers it', () => {
  // The row's own section comes first even when it is later on the page (rows_of_section).
  const views = ['tiltak', 'm.a.t', 'm.b.t']
  assert.deepEqual(rowViews(['m.b.t', 'm.a.t'], views, 'tiltak', 'once'), ['m.b.t'])
  assert.deepEqual(rowViews(['m.x.t', 'm.b.t', 'm.a.t'], views, 'tiltak', 'once'), ['m.b.t'])
  assert.deepEqual(rowViews(['m.b.t', 'm.a.t'], views, 'tiltak', 'each'), ['m.a.t', 'm.b.t'])
})

test('numbers are stored as written strings of digits, with a sign and decimals', () => {
  for (const ok of ['0', '1500', '-3', '2,5', '2.75', ' 12 ']) assert.ok(validNumber(ok), ok)
  for (const bad of ['', '1 500', '2,', 'ti', '1e3', '--1', '1,2,3']) assert.equal(validNumber(bad), false, bad)
})

test('a list changed by a checkbox is a new array in the choices\' order, unknown values kept', () => {
  const order = ['NAV', 'Utekontakten', 'Skolene']
  assert.deepEqual(toggled(['Skolene', 'Frivillige'], 'NAV', true, order), ['NAV', 'Skolene', 'Frivillige'])
  assert.deepEqual(toggled(['NAV', 'Skolene'], 'NAV', false, order), ['Skolene'])
  const before = ['NAV']
  const after = toggled(before, 'NAV', true, order)
  assert.notEqual(after, before)
})

test('a new row gets the defaults and its group, nothing else', () => {
  const roles = tableRoles(SCHEMA)
  assert.deepEqual(newRowValues(roles, 'b'), [['tema', ['b']], ['fase', 'ny'], ['mal', ['g1']]])
  assert.deepEqual(newRowValues(roles, NONE), [['fase', 'ny'], ['mal', ['g1']]])
  const single = tableRoles({ ...SCHEMA, group_by: undefined })
  assert.deepEqual(newRowValues(single, NONE), [['fase', 'ny'], ['mal', ['g1']]])
})

test('prose headings have levels 3 to 5, shown below the plan\'s own section headings', () => {
  assert.deepEqual([3, 4, 5].map(headingTag), [4, 5, 6])
  const heading = (level) => schema.nodes.heading.spec.toDOM(schema.nodes.heading.create({ level }))[0]
  assert.deepEqual([3, 4, 5].map(heading), ['h4', 'h5', 'h6'])
  const parsed = Object.fromEntries(schema.nodes.heading.spec.parseDOM.map((rule) => [rule.tag, rule.attrs.level]))
  assert.deepEqual(parsed, { h1: 3, h2: 3, h3: 3, h4: 3, h5: 4, h6: 5 })
})

test('the title column keeps its template share but never less than the minimum share', () => {
  const roles = tableRoles(SCHEMA)
  const widths = columnWidths(roles.mainFields, roles.titleField, '10rem')
  // navn (4) and eier (1): the title field's share of the fields, or 40 % of the table.
  assert.equal(widths.get('navn'), `max(calc((100cqw - 10rem) * 0.8), calc(${TITLE_MIN_SHARE * 100}cqw + 1px))`)
  assert.equal(widths.get('eier'), `calc((100cqw - 10rem - ${widths.get('navn')}) * 1)`)
  // Without a title among the columns, plain template proportions.
  const plain = columnWidths(roles.mainFields, null, '10rem')
  assert.equal(plain.get('navn'), 'calc((100cqw - 10rem) * 0.8)')
  assert.equal(plain.get('eier'), 'calc((100cqw - 10rem) * 0.2)')
  // Three columns: the others share what the title leaves, in their own proportions.
  const fields = [{ name: 'a', width: 2 }, { name: 't', width: 1 }, { name: 'b', width: 6 }]
  const three = columnWidths(fields, fields[1], '8rem')
  assert.match(three.get('a'), /\* 0\.25\)$/)
  assert.match(three.get('b'), /\* 0\.75\)$/)
})

test('lengths count characters as the server does, and the counter warns near and over the limit', () => {
  assert.equal(charCount('Tiltak'), 6)
  assert.equal(charCount('æøå 😀'), 5) // an astral character is one, not two UTF-16 units
  const field = { name: 'x', label: 'Kort', type: 'text', max_chars: 20 }
  assert.deepEqual(counterState(5, field), { max: 20, level: 'ok', shown: true, text: '5 / 20 tegn' })
  assert.equal(counterState(18, field).level, 'naer')
  assert.equal(counterState(20, field).level, 'grense')
  assert.deepEqual(counterState(23, field), { max: 20, level: 'over', shown: true, text: '23 / 20 tegn (3 for mye)' })
  // Without the template's max_chars: the server's limit, shown only near it.
  const long = { name: 'y', label: 'Lang', type: 'long_text' }
  assert.equal(counterState(3200, long).shown, false)
  assert.equal(counterState(9500, long).shown, true)
  assert.equal(counterState(9500, long).max, maxChars(long))
  assert.equal(counterMessage('Kort', 5, 20, 'ok'), null)
  assert.equal(counterMessage('Kort', 18, 20, 'naer'), 'Kort: 18 av 20 tegn brukt.')
  assert.match(counterMessage('Kort', 23, 20, 'over'), /3 over grensen på 20/)
})
