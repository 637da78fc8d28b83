import { counter } from '@stagepass/kit'

export const pointOperations = counter('points_operations_total', 'Point ledger writes by type', ['type'])
export const pointAmount = counter('points_amount_total', 'Points moved, by operation type', ['type'])
export const pointRefusals = counter('points_refusals_total', 'Point uses refused, by error code', ['code'])
