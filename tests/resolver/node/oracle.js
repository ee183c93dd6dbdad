// The reference answer for tests/resolver/test_npm_differential.py: node-semver, npm's own ranges.
// Reads {"ranges": [...], "versions": [...]} on stdin; writes one entry per range: null when
// semver.validRange refuses it, else the indices of the versions semver.satisfies admits.
'use strict'
const semver = require('semver')

const chunks = []
process.stdin.on('data', (chunk) => chunks.push(chunk))
process.stdin.on('end', () => {
  const { ranges, versions } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const answers = ranges.map((range) => {
    if (semver.validRange(range) === null) {
      return null
    }
    const admitted = []
    versions.forEach((version, index) => {
      if (semver.satisfies(version, range)) {
        admitted.push(index)
      }
    })
    return admitted
  })
  process.stdout.write(JSON.stringify({ semver: require('semver/package.json').version, answers }))
})
