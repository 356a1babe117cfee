import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertCallbackAllowed, isRefusedAddress } from '../../src/events/callback-policy.ts'

const refuse = (callback: string, resolve?: (host: string) => Promise<string[]>) =>
  assert.rejects(assertCallbackAllowed(callback, { allowPrivate: false, ...(resolve ? { resolve } : {}) }),
    (err: { code?: string }) => err.code === 'INVALID_CALLBACK', callback)

describe('callback policy', () => {
  it('refuses loopback, private, link-local, carrier-grade NAT, unique-local and reserved addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
      '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd12:3456::1', 'fc00::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a00:1', '64:ff9b::a00:1']) {
      assert.equal(isRefusedAddress(address), true, address)
    }
  })

  it('accepts public addresses', () => {
    for (const address of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(isRefusedAddress(address), false, address)
    }
  })

  it('refuses private IP literals in URLs, however they are written', async () => {
    // The URL parser normalises decimal, hex and short forms to dotted quads before the check.
    for (const callback of ['http://10.0.0.1/hook', 'http://127.0.0.1:8080/', 'http://2130706433/', 'http://0x7f.1/',
      'http://[::1]:9000/', 'http://[::ffff:192.168.0.1]/', 'https://localhost/', 'http://api.localhost/']) {
      await refuse(callback)
    }
  })

  it('refuses schemes other than http and https, and credentials, even when private callbacks are allowed', async () => {
    for (const callback of ['ftp://files.example.com/in', 'file:///etc/passwd', 'javascript:alert(1)', 'http://user:pw@example.com/']) {
      await assert.rejects(assertCallbackAllowed(callback, { allowPrivate: true }), { code: 'INVALID_CALLBACK' }, callback)
    }
  })

  it('refuses a host name that resolves to a private address, or does not resolve', async () => {
    await refuse('https://crm.example.com/hook', async () => ['93.184.216.34', '10.1.2.3'])
    await refuse('https://crm.example.com/hook', async () => { throw new Error('ENOTFOUND') })
    await refuse('https://crm.example.com/hook', async () => [])
  })

  it('accepts a host name that resolves only to public addresses, and private ones when allowed', async () => {
    const url = await assertCallbackAllowed('https://crm.example.com/hook', { allowPrivate: false, resolve: async () => ['93.184.216.34'] })
    assert.equal(url.hostname, 'crm.example.com')
    await assertCallbackAllowed('http://127.0.0.1:3000/hook', { allowPrivate: true, resolve: async () => { throw new Error('not called') } })
  })
})
