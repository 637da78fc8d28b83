import { identitySuite } from './suite.js'

await identitySuite('monolith')
