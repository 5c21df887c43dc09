// The comment panel's filters: status (with counts), the part of the plan, the author's unit.
// The choices offered follow the threads there are; the chosen ones always stay offered.

import { h, fill, planSection, sectionHeadingText } from './util.js'
import { filterThreads, sectionOf, unitsOf, NO_UNIT } from './threads.js'

const STATUS_OPTIONS = [['open', 'Åpne'], ['resolved', 'Løste'], ['all', 'Alle']]

export class ThreadFilters {
  /** @param {() => void} onChange  called when the reader changes a filter */
  constructor (onChange) {
    this.onChange = onChange
    this.value = { status: 'open', section: '', unit: '' }
    this.sectionKey = null
    this.unitKey = null
  }

  /** The filter group, for the panel. */
  build () {
    const status = h('select', { id: 'kommentar-status' }, STATUS_OPTIONS.map(([v, l]) => h('option', { value: v }, l)))
    const section = h('select', { id: 'kommentar-del' }, h('option', { value: '' }, 'Alle deler'))
    const unit = h('select', { id: 'kommentar-enhet' }, h('option', { value: '' }, 'Alle'))
    this.statusSelect = status
    this.sectionSelect = section
    this.unitSelect = unit
    const onFilter = () => {
      this.value = { status: status.value, section: section.value, unit: unit.value }
      this.onChange()
    }
    for (const s of [status, section, unit]) s.addEventListener('change', onFilter)
    return h('div', { class: 'kommentar-filter', role: 'group', 'aria-label': 'Filtrer kommentarer' },
      h('div', { class: 'felt' }, h('label', { for: status.id }, 'Status'), status),
      h('div', { class: 'felt' }, h('label', { for: section.id }, 'Del av planen'), section),
      h('div', { class: 'felt' }, h('label', { for: unit.id }, 'Forfatterens enhet'), unit))
  }

  /** Whether the reader filters by part or unit. */
  narrowed () {
    return !!(this.value.section || this.value.unit)
  }

  /** The threads of `all` that pass. */
  apply (all, rowSection) {
    return filterThreads(all, this.value, rowSection)
  }

  /** Widens the filters so that `thread` passes. */
  widenFor (thread, rowSection) {
    if (filterThreads([thread], this.value, rowSection).length > 0) return
    const v = this.value
    if (v.status !== 'all' && thread.status !== v.status) v.status = 'all'
    v.section = ''
    v.unit = ''
    this.statusSelect.value = v.status
    this.sectionSelect.value = ''
    this.unitSelect.value = ''
  }

  /** Brings the choices up to date with the threads `all` (sections in page `order`). */
  refresh (all, order, rowSection) {
    // Status options with their counts.
    const counts = { open: 0, resolved: 0, all: all.length }
    for (const t of all) counts[t.status] = (counts[t.status] || 0) + 1
    STATUS_OPTIONS.forEach(([value, label], i) => {
      const text = `${label} (${counts[value] || 0})`
      const option = this.statusSelect.options[i]
      if (option.textContent !== text) option.textContent = text
    })
    // Sections that have threads, in page order (the chosen one stays).
    const sections = new Set(all.map((t) => sectionOf(t, rowSection)).filter(Boolean))
    if (this.value.section) sections.add(this.value.section)
    const sorted = [...sections].sort((a, b) => {
      const i = order.indexOf(a)
      const j = order.indexOf(b)
      return (i < 0 ? Infinity : i) - (j < 0 ? Infinity : j)
    })
    const sectionKey = sorted.join('\n')
    if (sectionKey !== this.sectionKey) {
      this.sectionKey = sectionKey
      this.sectionSelect.replaceChildren(h('option', { value: '' }, 'Alle deler'),
        ...sorted.map((id) => h('option', { value: id }, sectionHeadingText(planSection(id)) || id)))
      this.sectionSelect.value = this.value.section
    }
    const units = unitsOf(all)
    if (this.value.unit && this.value.unit !== NO_UNIT && !units.includes(this.value.unit)) units.push(this.value.unit)
    const withoutUnit = all.some((t) => !t.author?.unit) || this.value.unit === NO_UNIT
    const unitKey = `${units.join('\n')}|${withoutUnit}`
    if (unitKey !== this.unitKey) {
      this.unitKey = unitKey
      fill(this.unitSelect, h('option', { value: '' }, 'Alle'),
        ...units.map((u) => h('option', { value: u }, u)),
        withoutUnit ? h('option', { value: NO_UNIT }, 'Uten enhet') : null)
      this.unitSelect.value = this.value.unit
    }
  }
}
