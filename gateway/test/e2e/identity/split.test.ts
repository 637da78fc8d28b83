import { identitySuite } from './suite.js'

await identitySuite('split')
