import { shimState } from '../state.js'

export const vu = {
  get idInTest() {
    return shimState().vu
  },
  get idInInstance() {
    return shimState().vu
  },
}
export const scenario = {
  get iterationInTest() {
    return shimState().iterationInTest
  },
}
export const test = {
  fail(message?: string) {
    shimState().failures.push(message ?? 'exec.test.fail()')
  },
  abort(message?: string): never {
    throw new Error(`exec.test.abort(): ${message ?? ''}`)
  },
}

export default { vu, scenario, test }
