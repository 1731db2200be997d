// The workspace's HTTP server: serves HOME/index.html on 127.0.0.1:PORT until it is told to stop.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const [home, port] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  fs.readFile(path.join(home, 'index.html'), (err, body) => {
    if (err) {
      res.writeHead(500).end('no index.html\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  });
});
server.on('error', (err) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
// Stopping a workspace stops it now, open keep-alive connections included.
process.on('SIGTERM', () => process.exit(0));
