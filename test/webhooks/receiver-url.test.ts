import t from 'tap'
import { checkReceiverUrl } from '../../src/webhooks/receiver-url.js'

t.test('public https receivers are accepted', async (t) => {
  for (const url of ['https://hooks.example.com/ci', 'https://example.com:8443/a?b=c', 'https://[2606:4700::1]/x']) {
    t.equal(checkReceiverUrl(url, []), undefined, url)
  }
})

t.test('refused: not a URL, other schemes, userinfo, fragments, overlong', async (t) => {
  const cases: [string, RegExp][] = [
    ['hooks.example.com/ci', /not an absolute URL/],
    ['ftp://example.com/x', /scheme ftp is not http or https/],
    ['javascript:alert(1)', /scheme javascript/],
    ['https://user:pass@example.com/x', /user name or password/],
    ['https://user@example.com/x', /user name or password/],
    ['https://example.com/x#frag', /fragment/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than 2048/]
  ]
  for (const [url, reason] of cases) t.match(checkReceiverUrl(url, []), reason, url)
})

t.test('plain http only to listed hosts', async (t) => {
  t.match(checkReceiverUrl('http://hooks.example.com/ci', []), /plain http is allowed only to hosts listed/)
  t.equal(checkReceiverUrl('http://hooks.example.com/ci', ['hooks.example.com']), undefined)
  t.equal(checkReceiverUrl('http://127.0.0.1:8080/ci', ['127.0.0.1:8080']), undefined)
  t.match(checkReceiverUrl('http://127.0.0.1:9090/ci', ['127.0.0.1:8080']), /plain http/, 'the listed port only')
})

t.test('literal private addresses, loopback and metadata names are refused unless listed', async (t) => {
  for (const url of [
    'https://127.0.0.1/x',
    'https://10.0.0.1/x',
    'https://169.254.169.254/latest',
    'https://[::1]/x',
    'https://[::ffff:10.0.0.1]/x',
    'https://localhost/x',
    'https://metadata.google.internal/x'
  ]) {
    t.match(checkReceiverUrl(url, []), /is refused/, url)
  }
  t.equal(checkReceiverUrl('https://10.0.0.1/x', ['10.0.0.1']), undefined)
  t.equal(checkReceiverUrl('https://localhost:8443/x', ['localhost:8443']), undefined)
})
