import { runSuites } from './run-suites.js'

await runSuites('monolith')
