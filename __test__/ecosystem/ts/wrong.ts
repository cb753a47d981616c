// Must NOT compile: views is declared a number by the augmentation in consumer.ts.
import express from 'express'

express().get('/', (req, res) => {
  req.session.views = 'many'
  res.end()
})
