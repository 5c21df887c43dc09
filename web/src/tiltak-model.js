// The tiltak table's logic without DOM: what the template's schema (page data `tiltak_schema`)
// says about columns, grouping, filters and values, and where each row is shown. tiltak.js
// draws it; the unit tests check it. No field of any template is named here.

import { mapText, mapList, RowKey } from './layout.js'

/** Key of the group (and the filter choice) of rows whose value matches no option or goal. */
export const NONE = '__ingen'

/** Field kinds stored as a plain array of strings. */
const LIST_KINDS = new Set(['multi_enum', 'goals', 'unit'])
/** Field kinds that may group rows. */
const GROUP_KINDS = new Set(['enum', 'multi_enum', 'goals'])

export function isListKind (field) {
  return LIST_KINDS.has(field.type)
}

/**
 * The roles the schema gives its fields: columns in the row (`columns` has "editor"), the
 * others under «Mer», the group field, the title field, the filters, how multi-group rows show.
 */
export function tableRoles (schema) {
  const fields = schema?.fields || []
  const byName = (name) => (name ? fields.find((f) => f.name === name) || null : null)
  const mainFields = fields.filter((f) => (f.columns || []).includes('editor'))
  const groupField = byName(schema?.group_by)
  return {
    fields,
    mainFields,
    extraFields: fields.filter((f) => !mainFields.includes(f)),
    groupField: groupField && GROUP_KINDS.has(groupField.type) ? groupField : null,
    titleField: byName(schema?.title_field) || mainFields[0] || fields[0] || null,
    strategyField: byName(schema?.strategy_field),
    filterFields: fields.filter((f) => f.filter),
    multiGroup: schema?.multi_group === 'once' ? 'once' : 'each'
  }
}

/** A field's values in a row, as a list: [] when empty, one element for a text kind. */
export function fieldValues (map, field) {
  if (isListKind(field)) return mapList(map, field.name)
  const text = mapText(map, field.name)
  return text.trim() === '' ? [] : [text]
}

/**
 * The choices of an enum, multi_enum or goals field, `{value, label, short}`: the options in
 * the template's order, or the plan's goals (`goals`: `[{id, title}]`) in the plan's order.
 */
export function fieldChoices (field, goals = []) {
  if (!field) return []
  if (field.type === 'goals') {
    return goals.map((g, i) => {
      const label = g.title || `Mål ${i + 1} (uten tittel)`
      return { value: g.id, label, short: label }
    })
  }
  return (field.options || []).map((o) => ({ value: o.value, label: o.label, short: o.short_label || o.label }))
}

/**
 * The groups rows are shown in, in order: one per choice of the group field, then «Uten …» for
 * rows that match none (shown only when it has rows); without a group field, one table «Tiltak».
 */
export function groupDefs (groupField, goals = []) {
  if (!groupField) return [{ key: NONE, label: 'Tiltak', short: 'nytt', always: true }]
  const none = `Uten ${groupField.label.toLowerCase()}`
  return [
    ...fieldChoices(groupField, goals).map((c) => ({ key: c.value, label: c.label, short: c.short })),
    { key: NONE, label: none, short: none }
  ]
}

/**
 * Puts items into groups: `valuesOf(item)` gives an item's group values; `defs` are the groups
 * (see groupDefs). An item whose values match no group goes to NONE. With several matching
 * groups, "each" puts it in every one of them, "once" in the first (in the groups' order); each
 * placement lists the item's other groups. Returns Map group key → [{item, others}], in `defs`
 * order, every group present.
 */
export function groupItems (items, valuesOf, defs, multiGroup) {
  const groups = new Map(defs.map((d) => [d.key, []]))
  const keys = defs.map((d) => d.key).filter((k) => k !== NONE)
  for (const item of items) {
    const values = new Set(valuesOf(item))
    const mine = keys.filter((k) => values.has(k))
    if (mine.length === 0) {
      if (!groups.has(NONE)) groups.set(NONE, [])
      groups.get(NONE).push({ item, others: [] })
      continue
    }
    const at = multiGroup === 'once' ? mine.slice(0, 1) : mine
    for (const key of at) groups.get(key).push({ item, others: mine.filter((k) => k !== key) })
  }
  return groups
}

/** The tiltak sections a row names: its `section`, then its `sections`, each once. */
export function rowSections (map) {
  const one = mapText(map, RowKey.SECTION)
  return [...new Set([...(one ? [one] : []), ...mapList(map, RowKey.SECTIONS)])]
}

/**
 * Which views (tiltak sections on the page, `viewIds` in page order) show a row that names
 * `sections`: a row naming none belongs to `defaultId` (the template's own tiltak section); a
 * row whose sections are all missing from the page shows in the first view, so that no row is
 * ever invisible. "each" shows it in every view it names, "once" in the first the row names
 * (its own section first), as the server's `rows_of_section` prints and numbers it.
 */
export function rowViews (sections, viewIds, defaultId, multiGroup) {
  if (viewIds.length === 0) return []
  if (sections.length === 0) return [defaultId && viewIds.includes(defaultId) ? defaultId : viewIds[0]]
  const named = viewIds.filter((id) => sections.includes(id))
  if (named.length === 0) return [viewIds[0]]
  return multiGroup === 'once' ? [sections.find((id) => viewIds.includes(id))] : named
}

/** A number as the table stores it (a string): digits, an optional `-`, `,` or `.` decimals. */
export function validNumber (text) {
  return /^-?\d+([.,]\d+)?$/.test(text.trim())
}

/**
 * `list` with `value` added (in `order`'s order, values outside `order` after, as they were) or
 * removed: a new array, as the row stores it.
 */
export function toggled (list, value, on, order = []) {
  const set = new Set(list)
  if (on) set.add(value)
  else set.delete(value)
  const known = order.filter((v) => set.has(v))
  return [...known, ...[...set].filter((v) => !order.includes(v))]
}

/**
 * The values of a new row made in the editor, as [name, value] pairs: each field's `default`
 * (a list kind's as a one-element list) and, when the row is added under a group, that group's
 * value. Long texts are left to the caller (a Y.Text each); nothing else is invented.
 */
export function newRowValues (roles, groupKey) {
  const values = []
  for (const field of roles.fields) {
    if (field.type === 'long_text') continue
    if (field === roles.groupField && groupKey && groupKey !== NONE) {
      values.push([field.name, isListKind(field) ? [groupKey] : groupKey])
    } else if (field.default != null && field.default !== '') {
      values.push([field.name, isListKind(field) ? [String(field.default)] : String(field.default)])
    }
  }
  return values
}

/** The character limit of a field (the server's default when the template sets none). */
export function maxChars (field) {
  return field.max_chars || 10000
}

/** The least share of the table's width the title field's column gets, whatever the widths. */
export const TITLE_MIN_SHARE = 0.4

/**
 * CSS widths of the row's field columns (Map field name → CSS length): the template's relative
 * `width`s share the table's width less `fixed` (the number and action columns), except that
 * the title field's column never gets less than TITLE_MIN_SHARE of the table; the others then
 * share what is left in their template proportions. The table fills its scroll box, a size
 * container, so `100cqw` is the table's width: a length, which a fixed table layout honours
 * (it takes a calc() that mixes percentages and lengths for `auto`).
 */
export function columnWidths (mainFields, titleField, fixed) {
  const total = mainFields.reduce((sum, f) => sum + (f.width || 1), 0)
  const widths = new Map()
  const title = mainFields.length > 1 && mainFields.includes(titleField) ? titleField : null
  if (!title) {
    for (const f of mainFields) widths.set(f.name, `calc((100cqw - ${fixed}) * ${round((f.width || 1) / total)})`)
    return widths
  }
  const own = title.width || 1
  // A pixel over the minimum, so that the table's rounding never takes the column under it.
  const titleCss = `max(calc((100cqw - ${fixed}) * ${round(own / total)}), calc(${TITLE_MIN_SHARE * 100}cqw + 1px))`
  for (const f of mainFields) {
    widths.set(f.name, f === title
      ? titleCss
      : `calc((100cqw - ${fixed} - ${titleCss}) * ${round((f.width || 1) / (total - own))})`)
  }
  return widths
}

function round (x) {
  return Math.round(x * 10000) / 10000
}

/** Characters as the server counts them (Unicode code points, not UTF-16 units). */
export function charCount (text) {
  let n = text.length
  // Only astral characters (surrogate pairs) make the two counts differ.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) { n -= 1; i += 1 }
  }
  return n
}

/** From this share of a field's limit on, the counter warns (and is announced once). */
export const NEAR_LIMIT = 0.9

/**
 * The length counter of a text field with `length` characters: `level` is 'ok', 'naer' (from
 * NEAR_LIMIT of the limit), 'grense' (at the limit) or 'over'; `shown` when the template sets
 * the field's `max_chars` or the text nears the server's default limit; `text` as shown.
 */
export function counterState (length, field) {
  const max = maxChars(field)
  const level = length > max ? 'over' : length === max ? 'grense' : length >= Math.ceil(max * NEAR_LIMIT) ? 'naer' : 'ok'
  const text = level === 'over' ? `${length} / ${max} tegn (${length - max} for mye)` : `${length} / ${max} tegn`
  return { max, level, shown: !!field.max_chars || level !== 'ok', text }
}

/** What a screen reader is told when a field's counter reaches a new level (null: nothing). */
export function counterMessage (label, length, max, level) {
  if (level === 'naer') return `${label}: ${length} av ${max} tegn brukt.`
  if (level === 'grense') return `${label}: grensen på ${max} tegn er nådd.`
  if (level === 'over') return `${label}: ${length} tegn, ${length - max} over grensen på ${max}. Teksten må kortes ned.`
  return null
}
