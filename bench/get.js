'use strict'

const http = require('http')

// One GET to a bench server on loopback, resolved with the response once its body has been read.
function get (port, route, cookie, agent) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: route, agent, headers: cookie ? { cookie } : {} }, (res) => {
      res.resume()
      res.on('end', () => resolve(res))
    }).on('error', reject)
  })
}

module.exports = { get }
