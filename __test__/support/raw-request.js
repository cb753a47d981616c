'use strict'

// A GET sent byte for byte over a socket, for Cookie headers node's HTTP client refuses to send
// (non-ASCII, very long). Answers { status, headers, text } with set-cookie as an array.

const http = require('http')
const net = require('net')

function rawGet (app, cookieHeader) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app).listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1')
      const chunks = []
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('error', reject)
      socket.on('close', () => {
        server.close()
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')))
      })
      socket.end(Buffer.concat([
        Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: '),
        Buffer.from(cookieHeader, 'utf8'),
        Buffer.from('\r\n\r\n')
      ]))
    })
  })
}

function parseResponse (raw) {
  const split = raw.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n')
  const headers = { 'set-cookie': [] }
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'set-cookie') headers[name].push(value)
    else headers[name] = value
  }
  let body = raw.slice(split + 4)
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body)
  return { status: Number(statusLine.split(' ')[1]), headers, text: body }
}

function dechunk (body) {
  let out = ''
  let rest = body
  for (;;) {
    const lineEnd = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, lineEnd), 16)
    if (!size) return out
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size)
    rest = rest.slice(lineEnd + 4 + size)
  }
}

module.exports = { rawGet }
