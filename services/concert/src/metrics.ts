import { counter } from '@stagepass/kit'

export const availabilityReads = counter(
  'concert_availability_reads_total',
  'Availability views and catalog pages served, by view (seats, seatmap, dates, concerts) and source: hit, miss, shared (joined a query in flight), bypass (Redis unreachable), uncached',
  ['view', 'source'],
)
export const availabilityInvalidations = counter(
  'concert_availability_invalidations_total',
  'Cached availability views dropped, by the event that changed them',
  ['event'],
)
